/// Gather along an axis. Constant indices are validated and normalised at prepare. Runtime
/// indices (int32 or int64) wrap when negative; an index still out of range at run time makes
/// its output block zero-filled (never a crash or an out-of-bounds read).
final class GatherKernel: Kernel {
    let outer: Int
    let axisDim: Int
    let blockBytes: Int        // bytes of one gathered block (inner dims)
    let indexCount: Int
    let constIndices: [Int]    // normalised; used when useConst
    let useConst: Bool
    let indexIs64: Bool

    init(outer: Int, axisDim: Int, blockBytes: Int, indexCount: Int, constIndices: [Int]?, indexIs64: Bool) {
        self.outer = outer
        self.axisDim = axisDim
        self.blockBytes = blockBytes
        self.indexCount = indexCount
        self.constIndices = constIndices ?? []
        self.useConst = constIndices != nil
        self.indexIs64 = indexIs64
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let data = inputs[0], idx = inputs[1]
        var dst = outputs[0]
        let n = blockBytes
        for o in 0..<outer {
            let base = data + o &* axisDim &* n
            for j in 0..<indexCount {
                var k: Int
                if useConst {
                    k = constIndices[j]
                } else {
                    k = indexIs64 ? Int(idx.loadUnaligned(fromByteOffset: j &* 8, as: Int64.self))
                                  : Int(idx.loadUnaligned(fromByteOffset: j &* 4, as: Int32.self))
                    if k < 0 { k = k &+ axisDim }
                }
                if k >= 0 && k < axisDim {
                    dst.copyMemory(from: base + k &* n, byteCount: n)
                } else {
                    dst.initializeMemory(as: UInt8.self, repeating: 0, count: n)
                }
                dst += n
            }
        }
    }
}

enum GatherOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let ind = try LayoutSupport.input(ctx, 1)
        guard x.rank >= 1 else { throw ctx.error("cannot gather from a scalar", .shape) }
        guard ind.dtype == .int64 || ind.dtype == .int32 else {
            throw ctx.error("indices must be int32 or int64, got \(ind.dtype)")
        }
        let axis = try ctx.axis(ctx.int("axis", 0), rank: x.rank)
        let dim = x.shape[axis]
        var constIndices: [Int]?
        if let c = ctx.constant(1) {
            var list = c.asInts()
            for (j, k) in list.enumerated() {
                guard k >= -dim && k < dim else {
                    throw ctx.error("index \(k) is out of range for axis \(axis) of size \(dim)", .shape)
                }
                if k < 0 { list[j] = k + dim }
            }
            constIndices = list
        }
        let shape = Array(x.shape[..<axis]) + ind.shape + Array(x.shape[(axis + 1)...])
        let y = try ctx.checked(TensorType(x.dtype, shape))
        let outer = try LayoutSupport.product(ctx, x.shape[..<axis])
        let inner = try LayoutSupport.product(ctx, x.shape[(axis + 1)...])
        let k = GatherKernel(outer: outer, axisDim: dim, blockBytes: inner * x.dtype.byteSize,
                             indexCount: ind.count, constIndices: constIndices, indexIs64: ind.dtype == .int64)
        return .kernel(k, [y])
    }
}
