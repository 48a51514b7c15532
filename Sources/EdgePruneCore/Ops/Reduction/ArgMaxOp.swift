/// ArgMax along one axis of an f32 tensor; int64 output. Ties resolve to the first index, or the
/// last with select_last_index=1. Comparisons are plain `>` / `>=`, so a NaN is only selected
/// when it is the first element.
final class ArgMaxKernel: Kernel {
    let outer: Int, n: Int, inner: Int
    let selectLast: Bool

    init(outer: Int, n: Int, inner: Int, selectLast: Bool) {
        self.outer = outer
        self.n = n
        self.inner = inner
        self.selectLast = selectLast
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Int64.self)
        for o in 0..<outer {
            let base = x + o &* n &* inner
            for j in 0..<inner {
                let p = base + j
                var best = p[0], at = 0
                if selectLast {
                    for a in 1..<n where p[a &* inner] >= best { best = p[a &* inner]; at = a }
                } else {
                    for a in 1..<n where p[a &* inner] > best { best = p[a &* inner]; at = a }
                }
                y[o &* inner &+ j] = Int64(at)
            }
        }
    }
}

enum ArgMaxOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.floatInput(ctx, 0)
        guard x.rank >= 1 else { throw ctx.error("input must have rank >= 1", .shape) }
        let axis = try ctx.axis(ctx.int("axis", 0), rank: x.rank)
        guard x.shape[axis] > 0 else { throw ctx.error("cannot take ArgMax over an empty axis \(axis)", .shape) }
        let keepDims = ctx.int("keepdims", 1) != 0
        let selectLast = ctx.opset >= 12 && ctx.int("select_last_index", 0) != 0
        var shape = x.shape
        if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
        let y = try ctx.checked(TensorType(.int64, shape))
        let k = ArgMaxKernel(outer: try LayoutSupport.product(ctx, x.shape[..<axis]), n: x.shape[axis],
                             inner: try LayoutSupport.product(ctx, x.shape[(axis + 1)...]), selectLast: selectLast)
        return .kernel(k, [y], macs: x.count)
    }
}
