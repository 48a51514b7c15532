/// Flatten, Reshape and Concat.
enum ShapeMath {
    static func flatten<T: TrainScalar>(_ x: TrainTensor<T>, axis: Int) throws -> TrainTensor<T> {
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0, a <= x.rank else { throw trainError("Flatten axis \(axis) for rank \(x.rank)") }
        let outer = x.shape[..<a].reduce(1, *)
        return x.reshaped([outer, x.count / max(outer, 1)])
    }

    static func reshape<T: TrainScalar>(_ x: TrainTensor<T>, _ spec: [Int], allowZero: Bool) throws -> TrainTensor<T> {
        var shape = spec.enumerated().map { i, d in d == 0 && !allowZero && i < x.rank ? x.shape[i] : d }
        if let free = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != free }.reduce(1) { $0 * $1.element }
            guard known > 0, x.count % known == 0 else { throw trainError("Reshape of \(x.shape) to \(spec)") }
            shape[free] = x.count / known
        }
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == x.count else { throw trainError("Reshape of \(x.shape) to \(spec)") }
        return x.reshaped(shape)
    }

    static func concat<T: TrainScalar>(_ xs: [TrainTensor<T>], axis: Int) throws -> TrainTensor<T> {
        let rank = xs[0].rank, a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank, xs.allSatisfy({ $0.rank == rank }) else { throw trainError("Concat axis \(axis) of shapes \(xs.map(\.shape))") }
        for x in xs where x.shape.enumerated().contains(where: { $0.offset != a && $0.element != xs[0].shape[$0.offset] }) {
            throw trainError("Concat of shapes \(xs.map(\.shape)) on axis \(axis)")
        }
        let outer = xs[0].shape[..<a].reduce(1, *)
        var shape = xs[0].shape
        shape[a] = xs.reduce(0) { $0 + $1.shape[a] }
        var out: [T] = []
        out.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for x in xs {
                let chunk = x.count / max(outer, 1)
                out += x.data[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        return TrainTensor(shape: shape, data: out)
    }

    static func concatBackward<T: TrainScalar>(_ g: TrainTensor<T>, _ shapes: [[Int]], axis: Int) -> [TrainTensor<T>?] {
        let a = axis < 0 ? axis + g.rank : axis
        let outer = g.shape[..<a].reduce(1, *)
        var parts = shapes.map { [T](repeating: 0, count: $0.reduce(1, *)) }
        var cursor = 0
        for o in 0..<outer {
            for i in shapes.indices {
                let chunk = parts[i].count / max(outer, 1)
                for j in 0..<chunk { parts[i][o * chunk + j] = g.data[cursor + j] }
                cursor += chunk
            }
        }
        return zip(shapes, parts).map { TrainTensor(shape: $0, data: $1) }
    }
}

/// Softmax (ONNX >= 13: along one axis; older opsets: over everything from `axis` on).
enum SoftmaxMath {
    static func layout(_ shape: [Int], axis: Int, legacy: Bool) -> (outer: Int, length: Int, inner: Int) {
        let a = axis < 0 ? axis + shape.count : axis
        let outer = shape[..<a].reduce(1, *)
        if legacy { return (outer, shape[a...].reduce(1, *), 1) }
        return (outer, shape[a], shape[(a + 1)...].reduce(1, *))
    }

    static func forward<T: TrainScalar>(_ x: TrainTensor<T>, axis: Int, legacy: Bool) throws -> TrainTensor<T> {
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0, a < x.rank else { throw trainError("Softmax axis \(axis) for rank \(x.rank)") }
        let (outer, length, inner) = layout(x.shape, axis: axis, legacy: legacy)
        var out = x.data
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var m = -T.infinity
                for k in 0..<length { m = max(m, out[base + k * inner]) }
                var s: T = 0
                for k in 0..<length { let e = T.exp(out[base + k * inner] - m); out[base + k * inner] = e; s += e }
                for k in 0..<length { out[base + k * inner] /= s }
            }
        }
        return TrainTensor(shape: x.shape, data: out)
    }

    /// dx = y ⊙ (g − Σ g ⊙ y) along the axis.
    static func backward<T: TrainScalar>(_ g: TrainTensor<T>, _ y: TrainTensor<T>, axis: Int, legacy: Bool) -> TrainTensor<T> {
        let (outer, length, inner) = layout(y.shape, axis: axis, legacy: legacy)
        var dx = [T](repeating: 0, count: y.count)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * length * inner + i
                var dot: T = 0
                for k in 0..<length { dot += g.data[base + k * inner] * y.data[base + k * inner] }
                for k in 0..<length { let j = base + k * inner; dx[j] = y.data[j] * (g.data[j] - dot) }
            }
        }
        return TrainTensor(shape: y.shape, data: dx)
    }
}

/// BatchNormalization in inference mode (running statistics fixed): y = γ (x − μ)/√(σ² + ε) + β.
/// Gradients reach x, γ and β; the statistics are constants.
enum NormMath {
    static func forward<T: TrainScalar>(_ x: [TrainTensor<T>], epsilon: T) throws -> TrainTensor<T> {
        let c = x[0].shape.count > 1 ? x[0].shape[1] : 1
        guard x.count == 5, x[1...].allSatisfy({ $0.count == c }) else { throw trainError("BatchNormalization parameters do not match \(c) channels") }
        let inner = x[0].count / max(x[0].shape[0] * c, 1)
        var out = x[0].data
        for i in 0..<out.count {
            let ch = (i / inner) % c
            out[i] = x[1].data[ch] * (out[i] - x[3].data[ch]) / (x[4].data[ch] + epsilon).squareRoot() + x[2].data[ch]
        }
        return TrainTensor(shape: x[0].shape, data: out)
    }

    static func backward<T: TrainScalar>(_ g: TrainTensor<T>, _ x: [TrainTensor<T>], epsilon: T, needs: [Bool]) -> [TrainTensor<T>?] {
        let c = x[0].shape.count > 1 ? x[0].shape[1] : 1
        let inner = x[0].count / max(x[0].shape[0] * c, 1)
        var dx = [T](repeating: 0, count: x[0].count)
        var dScale = [T](repeating: 0, count: c), dBias = [T](repeating: 0, count: c)
        for i in 0..<dx.count {
            let ch = (i / inner) % c
            let inv = 1 / (x[4].data[ch] + epsilon).squareRoot()
            dx[i] = g.data[i] * x[1].data[ch] * inv
            dScale[ch] += g.data[i] * (x[0].data[i] - x[3].data[ch]) * inv
            dBias[ch] += g.data[i]
        }
        return [needs[0] ? TrainTensor(shape: x[0].shape, data: dx) : nil,
                needs[1] ? TrainTensor(shape: x[1].shape, data: dScale) : nil,
                needs[2] ? TrainTensor(shape: x[2].shape, data: dBias) : nil, nil, nil]
    }
}

/// Softmax cross-entropy on logits [N, C] with integer labels, averaged over the batch.
public enum CrossEntropy {
    /// The mean loss and dLoss/dlogits.
    public static func loss<T: TrainScalar>(logits: TrainTensor<T>, labels: ArraySlice<Int>) -> (loss: Double, gradient: TrainTensor<T>) {
        let n = logits.shape[0], c = logits.count / max(n, 1)
        var grad = [T](repeating: 0, count: logits.count)
        var total = 0.0
        for (s, label) in zip(0..<n, labels) {
            let row = s * c
            var m = -T.infinity
            for k in 0..<c { m = max(m, logits.data[row + k]) }
            var sum: T = 0
            for k in 0..<c { let e = T.exp(logits.data[row + k] - m); grad[row + k] = e; sum += e }
            total += Double(T.log(sum) + m - logits.data[row + label])
            for k in 0..<c { grad[row + k] = (grad[row + k] / sum - (k == label ? 1 : 0)) / T(n) }
        }
        return (total / Double(n), TrainTensor(shape: logits.shape, data: grad))
    }
}
