#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax / LogSoftmax over `n` elements with stride `inner`, for `outer` independent groups.
/// Numerically stable (the group max is subtracted before exp). In-place safe.
final class SoftmaxKernel: Kernel {
    let outer: Int, n: Int, inner: Int
    let log: Bool

    init(outer: Int, n: Int, inner: Int, log: Bool) {
        self.outer = outer
        self.n = n
        self.inner = inner
        self.log = log
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        if n == 0 { return }
        if inner == 1 {
            for o in 0..<outer { row(x + o &* n, y + o &* n) }
        } else {
            let acc = scratch.assumingMemoryBound(to: Float.self)
            for o in 0..<outer { strided(x + o &* n &* inner, y + o &* n &* inner, acc, acc + inner) }
        }
    }

    @inline(__always)
    private func row(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var s: Float = 0
        if log {
            for i in 0..<n { s += expf(x[i] - m) }
            let shift = m + logf(s)
            for i in 0..<n { y[i] = x[i] - shift }
        } else {
            for i in 0..<n {
                let e = expf(x[i] - m)
                y[i] = e
                s += e
            }
            let inv = 1 / s
            for i in 0..<n { y[i] *= inv }
        }
    }

    /// Groups interleaved with stride `inner`: per-position max and sum live in scratch so the
    /// data is walked row by row (cache friendly).
    private func strided(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                         _ mx: UnsafeMutablePointer<Float>, _ sm: UnsafeMutablePointer<Float>) {
        let k = inner
        for j in 0..<k { mx[j] = -Float.infinity; sm[j] = 0 }
        for a in 0..<n {
            let r = x + a &* k
            for j in 0..<k where r[j] > mx[j] { mx[j] = r[j] }
        }
        for a in 0..<n {
            let r = x + a &* k, w = y + a &* k
            if log {
                for j in 0..<k { sm[j] += expf(r[j] - mx[j]) }
            } else {
                for j in 0..<k {
                    let e = expf(r[j] - mx[j])
                    w[j] = e
                    sm[j] += e
                }
            }
        }
        if log {
            for j in 0..<k { sm[j] = mx[j] + logf(sm[j]) }
            for a in 0..<n {
                let r = x + a &* k, w = y + a &* k
                for j in 0..<k { w[j] = r[j] - sm[j] }
            }
        } else {
            for j in 0..<k { sm[j] = 1 / sm[j] }
            for a in 0..<n {
                let w = y + a &* k
                for j in 0..<k { w[j] *= sm[j] }
            }
        }
    }
}

enum SoftmaxOps {
    /// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and each row is
    /// normalised; from 13 on the op runs along the single axis (default -1).
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.floatInput(ctx, 0)
        let log = ctx.node.opType == "LogSoftmax"
        guard x.rank >= 1 else { throw ctx.error("input must have rank >= 1", .shape) }
        let outer: Int, n: Int, inner: Int
        if ctx.opset < 13 {
            let axis = try ctx.axis(ctx.int("axis", 1), rank: x.rank)
            outer = try LayoutSupport.product(ctx, x.shape[..<axis])
            n = try LayoutSupport.product(ctx, x.shape[axis...])
            inner = 1
        } else {
            let axis = try ctx.axis(ctx.int("axis", -1), rank: x.rank)
            outer = try LayoutSupport.product(ctx, x.shape[..<axis])
            n = x.shape[axis]
            inner = try LayoutSupport.product(ctx, x.shape[(axis + 1)...])
        }
        let scratch = inner == 1 ? 0 : 2 * inner * MemoryLayout<Float>.size
        return .kernel(SoftmaxKernel(outer: outer, n: n, inner: inner, log: log), [x],
                       scratch: scratch, macs: x.count)
    }
}
