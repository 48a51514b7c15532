/// Concat along one axis, any element type: for each outer index, one memcpy per input.
final class ConcatKernel: Kernel {
    let outer: Int
    let chunkBytes: [Int]   // per input: bytes of one outer slice

    init(outer: Int, chunkBytes: [Int]) {
        self.outer = outer
        self.chunkBytes = chunkBytes
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        var dst = outputs[0]
        for o in 0..<outer {
            for i in 0..<chunkBytes.count {
                let n = chunkBytes[i]
                if n > 0 {
                    dst.copyMemory(from: inputs[i] + o &* n, byteCount: n)
                    dst += n
                }
            }
        }
    }
}

enum ConcatOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        guard ctx.inputCount >= 1 else { throw ctx.error("needs at least one input") }
        let types = try (0..<ctx.inputCount).map { try LayoutSupport.input(ctx, $0) }
        let first = types[0]
        guard first.rank >= 1 else { throw ctx.error("cannot concatenate scalars", .shape) }
        guard let a = ctx.node.int("axis") ?? (ctx.opset < 4 ? 1 : nil) else {
            throw ctx.error("missing attribute 'axis'")
        }
        let axis = try ctx.axis(a, rank: first.rank)
        for (i, t) in types.enumerated() {
            guard t.dtype == first.dtype else {
                throw ctx.error("input #\(i) is \(t.dtype) but input #0 is \(first.dtype)", .shape)
            }
            let sameOther = t.rank == first.rank
                && (0..<t.rank).allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] }
            guard sameOther else {
                throw ctx.error("input #\(i) shape \(Shape.describe(t.shape)) does not match input #0 shape \(Shape.describe(first.shape)) outside axis \(axis)", .shape)
            }
        }
        let total = try LayoutSupport.sum(ctx, types.map { $0.shape[axis] })
        var shape = first.shape
        shape[axis] = total
        let y = try ctx.checked(TensorType(first.dtype, shape))
        let outer = try LayoutSupport.product(ctx, first.shape[..<axis])
        let chunks = try types.map { try LayoutSupport.product(ctx, $0.shape[axis...]) * first.dtype.byteSize }
        return .kernel(ConcatKernel(outer: outer, chunkBytes: chunks), [y])
    }
}
