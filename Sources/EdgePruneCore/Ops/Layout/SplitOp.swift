/// Split along one axis into several outputs, any element type.
final class SplitKernel: Kernel {
    let outer: Int
    let rowBytes: Int       // bytes of one outer slice of the input
    let chunkBytes: [Int]   // per output: bytes of one outer slice
    let offsets: [Int]      // per output: byte offset within an input slice

    init(outer: Int, rowBytes: Int, chunkBytes: [Int], offsets: [Int]) {
        self.outer = outer
        self.rowBytes = rowBytes
        self.chunkBytes = chunkBytes
        self.offsets = offsets
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let src = inputs[0]
        for j in 0..<chunkBytes.count {
            let n = chunkBytes[j]
            if n == 0 { continue }
            let dst = outputs[j], off = offsets[j]
            for o in 0..<outer {
                (dst + o &* n).copyMemory(from: src + (o &* rowBytes &+ off), byteCount: n)
            }
        }
    }
}

enum SplitOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        guard x.rank >= 1 else { throw ctx.error("cannot split a scalar", .shape) }
        let axis = try ctx.axis(ctx.int("axis", 0), rank: x.rank)
        let dim = x.shape[axis]
        let n = ctx.node.outputs.count
        guard n >= 1 else { throw ctx.error("has no outputs") }
        var sizes: [Int]
        let given = try LayoutSupport.intsAttrOrInput(ctx, attr: "split", input: 1, useInput: ctx.opset >= 13, "Split sizes")
        if let s = given, !s.isEmpty {   // an empty split tensor means "not given"
            guard s.count == n else {
                throw ctx.error("split \(s) has \(s.count) entries for \(n) outputs")
            }
            guard s.allSatisfy({ $0 >= 0 }), try LayoutSupport.sum(ctx, s) == dim else {
                throw ctx.error("split \(s) does not add up to dimension \(axis) of size \(dim)", .shape)
            }
            sizes = s
        } else if ctx.opset >= 18, let parts = ctx.node.int("num_outputs") {
            guard parts == n else {
                throw ctx.error("num_outputs \(parts) does not match the \(n) outputs")
            }
            // Chunks of ceil(dim / n); the last one takes what is left.
            let chunk = (dim + n - 1) / n
            sizes = [Int](repeating: chunk, count: n)
            sizes[n - 1] = dim - chunk * (n - 1)
            guard sizes[n - 1] >= 0 else {
                throw ctx.error("cannot split dimension of size \(dim) into \(n) chunks of \(chunk)", .shape)
            }
        } else {
            guard dim % n == 0 else {
                throw ctx.error("dimension \(axis) of size \(dim) does not split evenly into \(n) outputs", .shape)
            }
            sizes = [Int](repeating: dim / n, count: n)
        }
        let es = x.dtype.byteSize
        let outer = try LayoutSupport.product(ctx, x.shape[..<axis])
        let inner = try LayoutSupport.product(ctx, x.shape[(axis + 1)...])
        var outputs: [TensorType] = []
        var chunks: [Int] = [], offsets: [Int] = []
        var pos = 0
        for s in sizes {
            var shape = x.shape
            shape[axis] = s
            outputs.append(try ctx.checked(TensorType(x.dtype, shape)))
            chunks.append(s * inner * es)
            offsets.append(pos * inner * es)
            pos += s
        }
        let k = SplitKernel(outer: outer, rowBytes: dim * inner * es, chunkBytes: chunks, offsets: offsets)
        return .kernel(k, outputs)
    }
}
