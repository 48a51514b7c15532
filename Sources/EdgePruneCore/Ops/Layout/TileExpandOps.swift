/// Tile and Expand: strided copies with zero source strides on the repeated/broadcast dims.
enum TileExpandOps {
    static func tile(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let repeats = try LayoutSupport.constInts(ctx, 1, "Tile repeats")
        guard repeats.count == x.rank else {
            throw ctx.error("repeats \(repeats) must have \(x.rank) entries for rank \(x.rank)", .shape)
        }
        guard repeats.allSatisfy({ $0 >= 0 }) else { throw ctx.error("repeats \(repeats) has a negative entry") }
        var outShape: [Int] = []
        for (d, r) in zip(x.shape, repeats) {
            let (n, o) = d.multipliedReportingOverflow(by: r)
            guard !o else { throw ctx.error("tiled shape overflows", .limit) }
            outShape.append(n)
        }
        let y = try ctx.checked(TensorType(x.dtype, outShape))
        // View the output as [r0, d0, r1, d1, ...] with source strides [0, s0, 0, s1, ...].
        let inStrides = Shape.strides(x.shape)
        var dims: [Int] = [], strides: [Int] = []
        for a in 0..<x.rank {
            dims += [repeats[a], x.shape[a]]
            strides += [0, inStrides[a]]
        }
        let plan = StridedCopyPlan(outDims: dims, srcStrides: strides, baseOffset: 0, elemSize: x.dtype.byteSize)
        return .kernel(StridedCopyKernel(plan), [y])
    }

    static func expand(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let shape = try LayoutSupport.constInts(ctx, 1, "Expand shape")
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ctx.error("Expand shape \(shape) has a negative entry") }
        guard let out = Shape.broadcast(x.shape, shape) else {
            throw ctx.error("input \(Shape.describe(x.shape)) cannot be expanded to \(shape)", .shape)
        }
        let y = try ctx.checked(TensorType(x.dtype, out))
        let lead = out.count - x.rank
        let inStrides = Shape.strides(x.shape)
        let strides = (0..<out.count).map { i -> Int in
            guard i >= lead else { return 0 }
            let a = i - lead
            return x.shape[a] == 1 ? 0 : inStrides[a]
        }
        let plan = StridedCopyPlan(outDims: out, srcStrides: strides, baseOffset: 0, elemSize: x.dtype.byteSize)
        return .kernel(StridedCopyKernel(plan), [y])
    }
}
