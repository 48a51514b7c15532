import EdgePruneCore

/// Numpy-style (multidirectional) broadcasting for Add, and the reduction its backward needs.
enum Broadcast {
    static func shape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = max(a.count, b.count)
        let pa = Array(repeating: 1, count: r - a.count) + a, pb = Array(repeating: 1, count: r - b.count) + b
        return try zip(pa, pb).map { x, y in
            guard x == y || x == 1 || y == 1 else { throw trainError("shapes \(a) and \(b) do not broadcast") }
            return max(x, y)
        }
    }

    /// For every element of `target` (row-major), the index of the element of a `source`-shaped
    /// tensor that broadcasts to it.
    static func indexMap(from source: [Int], to target: [Int]) throws -> [Int] {
        guard source.count <= target.count else { throw trainError("shape \(source) does not broadcast to \(target)") }
        let padded = Array(repeating: 1, count: target.count - source.count) + source
        for (s, t) in zip(padded, target) where s != t && s != 1 { throw trainError("shape \(source) does not broadcast to \(target)") }
        let ss = Shape.strides(padded)
        let effective = zip(padded, ss).map { $0 == 1 ? 0 : $1 }
        let total = target.reduce(1, *)
        var map = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: target.count)
        var offset = 0
        for i in 0..<total {
            map[i] = offset
            var d = target.count - 1
            while d >= 0 {
                index[d] += 1
                offset += effective[d]
                if index[d] < target[d] { break }
                offset -= effective[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return map
    }

    static func add<T: TrainScalar>(_ a: TrainTensor<T>, _ b: TrainTensor<T>) throws -> TrainTensor<T> {
        if a.shape == b.shape { return Pointwise.zip(a, b, +) }
        let out = try shape(a.shape, b.shape)
        let ma = try indexMap(from: a.shape, to: out), mb = try indexMap(from: b.shape, to: out)
        var data = [T](repeating: 0, count: ma.count)
        for i in 0..<data.count { data[i] = a.data[ma[i]] + b.data[mb[i]] }
        return TrainTensor(shape: out, data: data)
    }

    static func addBackward<T: TrainScalar>(_ g: TrainTensor<T>, _ a: [Int], _ b: [Int]) -> [TrainTensor<T>?] {
        [reduce(g, to: a), reduce(g, to: b)]
    }

    /// Sums `g` over the dimensions that were broadcast from `shape`.
    static func reduce<T: TrainScalar>(_ g: TrainTensor<T>, to shape: [Int]) -> TrainTensor<T> {
        if g.shape == shape { return g }
        let map = try! indexMap(from: shape, to: g.shape)
        var out = [T](repeating: 0, count: shape.reduce(1, *))
        for i in 0..<g.count { out[map[i]] += g.data[i] }
        return TrainTensor(shape: shape, data: out)
    }
}
