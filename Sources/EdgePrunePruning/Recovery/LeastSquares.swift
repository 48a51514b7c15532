import Dispatch

/// The dense linear algebra layer reconstruction needs, in Double: Gram and cross products of
/// calibration activations, and a Cholesky solve of a small symmetric positive definite system.
///
/// Activations are held column-major (`data[c * rows + n]`: column c, calibration row n), so every
/// product is a dot product of two contiguous columns.
struct ColumnMatrix: Sendable {
    let rows: Int
    let cols: Int
    var data: [Double]

    init(rows: Int, cols: Int, data: [Double]) {
        precondition(data.count == rows * cols)
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// A row-major [rows, cols] block of Floats, transposed to columns.
    init(rowMajor values: [Float], rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        var d = [Double](repeating: 0, count: rows * cols)
        values.withUnsafeBufferPointer { v in
            d.withUnsafeMutableBufferPointer { out in
                for n in 0..<rows {
                    let src = n * cols
                    for c in 0..<cols { out[c * rows + n] = Double(v[src + c]) }
                }
            }
        }
        data = d
    }
}

enum LeastSquares {
    /// Runs body(0..<count) spread over the machine's cores.
    static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { b in
            let box = UncheckedBox(b)
            DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
        }
    }

    /// The Gram matrix of `x`'s columns, plus (when `bias`) a last column of ones: a symmetric
    /// (cols + 1) x (cols + 1) (or cols x cols) matrix, row-major.
    static func gram(_ x: ColumnMatrix, bias: Bool) -> [Double] {
        let n = x.rows, c = x.cols, m = c + (bias ? 1 : 0)
        var g = [Double](repeating: 0, count: m * m)
        x.data.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { gb in
                let xp = xb.baseAddress!, out = UncheckedBox(gb.baseAddress!)
                parallelFor((c + 3) / 4) { block in
                    let i0 = block * 4, i1 = min(i0 + 4, c)
                    for j in 0..<c {
                        // Lower triangle only (j <= i), mirrored below; four columns i per pass over j.
                        guard j < i1 else { break }
                        let sums = dot4(xp + j * n, xp, firstCol: i0, count: i1 - i0, n: n)
                        for k in 0..<(i1 - i0) where j <= i0 + k {
                            out.value[(i0 + k) * m + j] = sums[k]
                            out.value[j * m + i0 + k] = sums[k]
                        }
                    }
                    if bias {
                        for i in i0..<i1 {
                            var s = 0.0
                            let col = xp + i * n
                            for k in 0..<n { s += col[k] }
                            out.value[i * m + c] = s
                            out.value[c * m + i] = s
                        }
                    }
                }
            }
        }
        if bias { g[c * m + c] = Double(n) }
        return g
    }

    /// Cross products of `y`'s columns with `x`'s (and the ones column when `bias`):
    /// result[r * m + i] = sum_n y[n, r] x[n, i], m = x.cols (+ 1); one row per output unit r.
    static func cross(_ x: ColumnMatrix, _ y: ColumnMatrix, bias: Bool) -> [Double] {
        precondition(x.rows == y.rows)
        let n = x.rows, c = x.cols, m = c + (bias ? 1 : 0), outputs = y.cols
        var result = [Double](repeating: 0, count: outputs * m)
        x.data.withUnsafeBufferPointer { xb in
            y.data.withUnsafeBufferPointer { yb in
                result.withUnsafeMutableBufferPointer { rb in
                    let xp = xb.baseAddress!, yp = yb.baseAddress!, out = UncheckedBox(rb.baseAddress!)
                    parallelFor((outputs + 3) / 4) { block in
                        let r0 = block * 4, r1 = min(r0 + 4, outputs)
                        for i in 0..<c {
                            let sums = dot4(xp + i * n, yp, firstCol: r0, count: r1 - r0, n: n)
                            for k in 0..<(r1 - r0) { out.value[(r0 + k) * m + i] = sums[k] }
                        }
                        if bias {
                            for r in r0..<r1 {
                                var s = 0.0
                                let col = yp + r * n
                                for k in 0..<n { s += col[k] }
                                out.value[r * m + c] = s
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Dot products of column `a` with up to four consecutive columns of `b` starting at `firstCol`.
    @inline(__always)
    static func dot4(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, firstCol: Int, count: Int, n: Int) -> SIMD4<Double> {
        var s = SIMD4<Double>(repeating: 0)
        if count == 4 {
            let b0 = b + firstCol * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n
            for k in 0..<n {
                let v = a[k]
                s += SIMD4(b0[k], b1[k], b2[k], b3[k]) * v
            }
            return s
        }
        for j in 0..<count {
            let bj = b + (firstCol + j) * n
            var t = 0.0
            for k in 0..<n { t += a[k] * bj[k] }
            s[j] = t
        }
        return s
    }

    /// Solves a x = b for a symmetric positive definite m x m `a` (row-major; overwritten by its
    /// Cholesky factor) and `b` (overwritten by x). False, with `b` undefined, when a pivot is not
    /// positive and finite (the matrix is not positive definite to working precision).
    static func choleskySolve(_ a: inout [Double], _ b: inout [Double], m: Int) -> Bool {
        precondition(a.count >= m * m && b.count >= m)
        return a.withUnsafeMutableBufferPointer { ab in
            b.withUnsafeMutableBufferPointer { bb in
                let l = ab.baseAddress!, x = bb.baseAddress!
                for i in 0..<m {
                    let li = l + i * m
                    for j in 0...i {
                        let lj = l + j * m
                        var s = li[j]
                        for k in 0..<j { s -= li[k] * lj[k] }
                        if i == j {
                            guard s > 0, s.isFinite else { return false }
                            li[i] = s.squareRoot()
                        } else {
                            li[j] = s / lj[j]
                        }
                    }
                }
                // L y = b, then L^T x = y.
                for i in 0..<m {
                    let li = l + i * m
                    var s = x[i]
                    for k in 0..<i { s -= li[k] * x[k] }
                    x[i] = s / li[i]
                }
                for i in stride(from: m - 1, through: 0, by: -1) {
                    var s = x[i]
                    for k in (i + 1)..<max(m, i + 1) { s -= l[k * m + i] * x[k] }
                    x[i] = s / l[i * m + i]
                }
                for i in 0..<m where !x[i].isFinite { return false }
                return true
            }
        }
    }
}

/// Hands a value to concurrent iterations that each touch a disjoint part of it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
