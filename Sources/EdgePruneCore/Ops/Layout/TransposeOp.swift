/// Transpose: a strided copy whose source strides are the input strides permuted.
enum TransposeOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let perm = ctx.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, perm.sorted() == Array(0..<x.rank) else {
            throw ctx.error("perm \(perm) is not a permutation of the \(x.rank) axes")
        }
        let inStrides = Shape.strides(x.shape)
        let y = try ctx.checked(TensorType(x.dtype, perm.map { x.shape[$0] }))
        let plan = StridedCopyPlan(outDims: y.shape, srcStrides: perm.map { inStrides[$0] },
                                   baseOffset: 0, elemSize: x.dtype.byteSize)
        return .kernel(StridedCopyKernel(plan), [y])
    }
}
