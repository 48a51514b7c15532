/// MaxPool / AveragePool attributes in 2-D form (1-D pools have height 1).
struct PoolAttributes {
    var spatial: Int
    var kernel: [Int]     // [kh, kw]
    var strides: [Int]
    var pads: [Int]       // [top, left, bottom, right]
    var dilations: [Int]
    var ceilMode: Bool
    var autoPad: String

    /// Output size and leading pad of one axis.
    func axis(_ i: Int, input: Int) -> (out: Int, padBegin: Int, padEnd: Int) {
        windowAxis(input: input, kernel: kernel[i], stride: strides[i], dilation: dilations[i], padBegin: pads[i],
                   padEnd: pads[i + 2], autoPad: autoPad, ceilMode: ceilMode)
    }
}

/// Pools over NCHW (or NCL) tensors.
enum PoolMath {
    struct Geometry { let planes, h, w, oh, ow, padH, padW, padEndH, padEndW: Int; let a: PoolAttributes }

    static func geometry<T: TrainScalar>(_ x: TrainTensor<T>, _ a: PoolAttributes) throws -> Geometry {
        guard x.rank == a.spatial + 2 else { throw trainError("pool of \(a.spatial)-D over input \(x.shape)") }
        let h = a.spatial == 2 ? x.shape[2] : 1, w = x.shape[x.rank - 1]
        let vh = a.axis(0, input: h), vw = a.axis(1, input: w)
        guard vh.out > 0, vw.out > 0 else { throw trainError("pool output of input \(x.shape) is empty") }
        return Geometry(planes: x.shape[0] * x.shape[1], h: h, w: w, oh: vh.out, ow: vw.out, padH: vh.padBegin, padW: vw.padBegin,
                        padEndH: vh.padEnd, padEndW: vw.padEnd, a: a)
    }

    static func outShape<T: TrainScalar>(_ x: TrainTensor<T>, _ g: Geometry) -> [Int] {
        g.a.spatial == 2 ? [x.shape[0], x.shape[1], g.oh, g.ow] : [x.shape[0], x.shape[1], g.ow]
    }

    /// Calls body(outputIndex, inputIndex within plane or nil for padding) for every window tap.
    @inline(__always)
    static func window(_ g: Geometry, oy: Int, ox: Int, _ body: (Int?) -> Void) {
        for ky in 0..<g.a.kernel[0] {
            let iy = oy * g.a.strides[0] - g.padH + ky * g.a.dilations[0]
            for kx in 0..<g.a.kernel[1] {
                let ix = ox * g.a.strides[1] - g.padW + kx * g.a.dilations[1]
                let inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w
                // Taps past the end pad (ceil_mode) are not counted as padding.
                if inside { body(iy * g.w + ix) } else if iy < g.h + g.padEndH && ix < g.w + g.padEndW { body(nil) }
            }
        }
    }

    /// Index within the plane of each output's maximum (the first one on ties).
    static func argmax<T: TrainScalar>(_ x: TrainTensor<T>, _ g: Geometry) -> [Int] {
        var arg = [Int](repeating: -1, count: g.planes * g.oh * g.ow)
        for p in 0..<g.planes {
            let base = p * g.h * g.w
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    var best = -T.infinity, at = -1
                    window(g, oy: oy, ox: ox) { i in
                        if let i, x.data[base + i] > best || at < 0 { best = x.data[base + i]; at = i }
                    }
                    arg[(p * g.oh + oy) * g.ow + ox] = at
                }
            }
        }
        return arg
    }

    static func maxForward<T: TrainScalar>(_ x: TrainTensor<T>, _ a: PoolAttributes) throws -> TrainTensor<T> {
        let g = try geometry(x, a)
        let arg = argmax(x, g)
        var out = [T](repeating: 0, count: arg.count)
        for (o, i) in arg.enumerated() { out[o] = i < 0 ? 0 : x.data[(o / (g.oh * g.ow)) * g.h * g.w + i] }
        return TrainTensor(shape: outShape(x, g), data: out)
    }

    static func maxBackward<T: TrainScalar>(_ gy: TrainTensor<T>, _ x: TrainTensor<T>, _ a: PoolAttributes) -> TrainTensor<T> {
        let g = try! geometry(x, a)
        var dx = [T](repeating: 0, count: x.count)
        for (o, i) in argmax(x, g).enumerated() where i >= 0 { dx[(o / (g.oh * g.ow)) * g.h * g.w + i] += gy.data[o] }
        return TrainTensor(shape: x.shape, data: dx)
    }

    /// Divisor of each output: taps inside the input, plus padding taps with count_include_pad.
    static func divisors(_ g: Geometry, countIncludePad: Bool) -> [Int] {
        var d = [Int](repeating: 0, count: g.oh * g.ow)
        for oy in 0..<g.oh {
            for ox in 0..<g.ow {
                var n = 0
                window(g, oy: oy, ox: ox) { i in if i != nil || countIncludePad { n += 1 } }
                d[oy * g.ow + ox] = max(n, 1)
            }
        }
        return d
    }

    static func averageForward<T: TrainScalar>(_ x: TrainTensor<T>, _ a: PoolAttributes, countIncludePad: Bool) throws -> TrainTensor<T> {
        let g = try geometry(x, a)
        let div = divisors(g, countIncludePad: countIncludePad)
        var out = [T](repeating: 0, count: g.planes * g.oh * g.ow)
        for p in 0..<g.planes {
            let base = p * g.h * g.w
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    var s: T = 0
                    window(g, oy: oy, ox: ox) { i in if let i { s += x.data[base + i] } }
                    out[(p * g.oh + oy) * g.ow + ox] = s / T(div[oy * g.ow + ox])
                }
            }
        }
        return TrainTensor(shape: outShape(x, g), data: out)
    }

    static func averageBackward<T: TrainScalar>(_ gy: TrainTensor<T>, _ x: TrainTensor<T>, _ a: PoolAttributes, countIncludePad: Bool) -> TrainTensor<T> {
        let g = try! geometry(x, a)
        let div = divisors(g, countIncludePad: countIncludePad)
        var dx = [T](repeating: 0, count: x.count)
        for p in 0..<g.planes {
            let base = p * g.h * g.w
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    let share = gy.data[(p * g.oh + oy) * g.ow + ox] / T(div[oy * g.ow + ox])
                    window(g, oy: oy, ox: ox) { i in if let i { dx[base + i] += share } }
                }
            }
        }
        return TrainTensor(shape: x.shape, data: dx)
    }

    static func globalAverageForward<T: TrainScalar>(_ x: TrainTensor<T>) throws -> TrainTensor<T> {
        guard x.rank >= 3 else { throw trainError("GlobalAveragePool needs [N, C, ...], got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1], size = x.count / planes
        let out = (0..<planes).map { p in x.data[(p * size)..<((p + 1) * size)].reduce(0, +) / T(size) }
        return TrainTensor(shape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2), data: out)
    }

    static func globalAverageBackward<T: TrainScalar>(_ gy: TrainTensor<T>, _ x: TrainTensor<T>) -> TrainTensor<T> {
        let planes = x.shape[0] * x.shape[1], size = x.count / planes
        var dx = [T](repeating: 0, count: x.count)
        for p in 0..<planes { let v = gy.data[p] / T(size); for i in 0..<size { dx[p * size + i] = v } }
        return TrainTensor(shape: x.shape, data: dx)
    }
}
