/// Gemm and MatMul, forward and backward.
enum LinearMath {
    /// Y = alpha · A' · B' + beta · C, A' = transA ? Aᵀ : A, B' likewise; C broadcast to [M, N].
    static func gemm<T: TrainScalar>(_ x: [TrainTensor<T>], alpha: T, beta: T, transA: Bool, transB: Bool) throws -> TrainTensor<T> {
        let a = x[0], b = x[1]
        guard a.rank == 2, b.rank == 2 else { throw trainError("Gemm needs 2-D A and B, got \(a.shape) and \(b.shape)") }
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw trainError("Gemm inner dimensions differ: A \(a.shape) B \(b.shape) (transA \(transA), transB \(transB))") }
        let ap = transA ? MatrixProducts.transpose(a.data, rows: a.shape[0], cols: a.shape[1]) : a.data
        let bp = transB ? MatrixProducts.transpose(b.data, rows: b.shape[0], cols: b.shape[1]) : b.data
        var out = [T](repeating: 0, count: m * n)
        MatrixProducts.nn(ap, bp, &out, m: m, k: k, n: n)
        if alpha != 1 { for i in 0..<out.count { out[i] *= alpha } }
        if x.count > 2, beta != 0 {
            let c = x[2]
            let map = try Broadcast.indexMap(from: c.shape, to: [m, n])
            for i in 0..<out.count { out[i] += beta * c.data[map[i]] }
        }
        return TrainTensor(shape: [m, n], data: out)
    }

    static func gemmBackward<T: TrainScalar>(_ g: TrainTensor<T>, _ x: [TrainTensor<T>], alpha: T, beta: T, transA: Bool,
                                             transB: Bool, needs: [Bool]) -> [TrainTensor<T>?] {
        let a = x[0], b = x[1]
        let m = g.shape[0], n = g.shape[1]
        let k = transA ? a.shape[0] : a.shape[1]
        let ga = alpha == 1 ? g.data : g.data.map { $0 * alpha }
        var result: [TrainTensor<T>?] = Array(repeating: nil, count: x.count)
        if needs[0] {
            // dA' = G · B'ᵀ, B'ᵀ is [N, K]: B itself when transB, else Bᵀ.
            let bt = transB ? b.data : MatrixProducts.transpose(b.data, rows: b.shape[0], cols: b.shape[1])
            var da = [T](repeating: 0, count: m * k)
            MatrixProducts.nn(ga, bt, &da, m: m, k: n, n: k)
            result[0] = TrainTensor(shape: a.shape, data: transA ? MatrixProducts.transpose(da, rows: m, cols: k) : da)
        }
        if needs[1] {
            // dB' = A'ᵀ · G, [K, N]; A' is [M, K].
            let ap = transA ? MatrixProducts.transpose(a.data, rows: a.shape[0], cols: a.shape[1]) : a.data
            var db = [T](repeating: 0, count: k * n)
            MatrixProducts.tn(ap, ga, &db, m: k, k: m, n: n)
            result[1] = TrainTensor(shape: b.shape, data: transB ? MatrixProducts.transpose(db, rows: k, cols: n) : db)
        }
        if x.count > 2, needs[2] {
            result[2] = Broadcast.reduce(TrainTensor(shape: g.shape, data: g.data.map { $0 * beta }), to: x[2].shape)
        }
        return result
    }

    /// A [..., M, K] · B [K, N] (B 2-D; A's leading dimensions are batch rows).
    static func matMul<T: TrainScalar>(_ a: TrainTensor<T>, _ b: TrainTensor<T>) throws -> TrainTensor<T> {
        guard a.rank >= 2, b.rank == 2, a.shape.last == b.shape[0] else {
            throw trainError("training supports MatMul of [..., M, K] by a 2-D [K, N]; got \(a.shape) by \(b.shape)")
        }
        let k = b.shape[0], n = b.shape[1], m = a.count / k
        var out = [T](repeating: 0, count: m * n)
        MatrixProducts.nn(a.data, b.data, &out, m: m, k: k, n: n)
        return TrainTensor(shape: Array(a.shape.dropLast()) + [n], data: out)
    }

    static func matMulBackward<T: TrainScalar>(_ g: TrainTensor<T>, _ a: TrainTensor<T>, _ b: TrainTensor<T>, needs: [Bool]) -> [TrainTensor<T>?] {
        let k = b.shape[0], n = b.shape[1], m = a.count / k
        var da: TrainTensor<T>? = nil, db: TrainTensor<T>? = nil
        if needs[0] {
            var d = [T](repeating: 0, count: m * k)
            MatrixProducts.nn(g.data, MatrixProducts.transpose(b.data, rows: k, cols: n), &d, m: m, k: n, n: k)
            da = TrainTensor(shape: a.shape, data: d)
        }
        if needs[1] {
            var d = [T](repeating: 0, count: k * n)
            MatrixProducts.tn(a.data, g.data, &d, m: k, k: m, n: n)
            db = TrainTensor(shape: b.shape, data: d)
        }
        return [da, db]
    }
}
