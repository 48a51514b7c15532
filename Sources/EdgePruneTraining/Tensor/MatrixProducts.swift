/// The three matrix products training needs, on row-major matrices, accumulating into `c`
/// (c += a·b with optional transposes). Loops are ordered so the innermost one runs over
/// contiguous memory of both operands and vectorises.
enum MatrixProducts {
    /// c[m x n] += a[m x k] · b[k x n]
    static func nn<T: TrainScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, m: Int, k: Int, n: Int) {
        for i in 0..<m {
            let ci = c + i * n
            for p in 0..<k {
                let av = a[i * k + p]
                if av == 0 { continue }
                let bp = b + p * n
                for j in 0..<n { ci[j] += av * bp[j] }
            }
        }
    }

    /// c[m x n] += a[k x m]^T · b[k x n]
    static func tn<T: TrainScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, m: Int, k: Int, n: Int) {
        for p in 0..<k {
            let ap = a + p * m, bp = b + p * n
            for i in 0..<m {
                let av = ap[i]
                if av == 0 { continue }
                let ci = c + i * n
                for j in 0..<n { ci[j] += av * bp[j] }
            }
        }
    }

    /// Row-major transpose of a [rows x cols] matrix.
    static func transpose<T: TrainScalar>(_ a: [T], rows: Int, cols: Int) -> [T] {
        var out = [T](repeating: 0, count: a.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = a[r * cols + c] } }
        return out
    }
}
