/// Gemm and MatMul (f32), on the packed-B GEMM kernels.
enum LinearOps {
    static let preparers: [String: OpPreparer] = ["Gemm": prepareGemm, "MatMul": prepareMatMul]

    static func prepareGemm(_ ctx: OpContext) throws -> PreparedOp {
        let a = try ctx.floatInput(0), b = try ctx.floatInput(1)
        guard a.rank == 2, b.rank == 2 else {
            throw ctx.error("A and B must be 2-D, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))", .shape)
        }
        let transA = ctx.int("transA", 0) != 0, transB = ctx.int("transB", 0) != 0
        let alpha = ctx.float("alpha", 1), beta = ctx.float("beta", 1)
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
        guard k == kb else {
            throw ctx.error("inner dimensions differ: A \(Shape.describe(a.shape))\(transA ? "ᵀ" : "") and B \(Shape.describe(b.shape))\(transB ? "ᵀ" : "")", .shape)
        }
        let y = try ctx.checked(TensorType(.float32, [m, n]))
        let rs = transB ? 1 : n, cs = transB ? k : 1
        var biasM: Buffer? = nil, biasN: Buffer? = nil
        var addC: (BroadcastPlan, Float)? = nil
        if ctx.hasInput(2) && beta != 0 {
            let c = try ctx.floatInput(2)
            guard let bs = Shape.broadcast(c.shape, [m, n]), bs == [m, n] else {
                throw ctx.error("C \(Shape.describe(c.shape)) does not broadcast to [\(m),\(n)]", .shape)
            }
            let padded = [Int](repeating: 1, count: 2 - c.rank) + c.shape
            if let cc = ctx.constant(2), padded[0] == 1 {
                let vals = cc.floats
                biasN = .floats((0..<n).map { beta * vals[padded[1] == 1 ? 0 : $0] })
            } else if let cc = ctx.constant(2), padded[1] == 1 {
                let vals = cc.floats
                biasM = .floats((0..<m).map { beta * vals[$0] })
            } else {
                addC = (BroadcastPlan(a: [m, n], b: c.shape, out: [m, n]), beta)
            }
        }
        if let q = try Int8LinearParams.read(ctx.node) {
            let bc = try Int8LinearOps.requireConstantWeight(ctx)
            guard !transA, biasM == nil, addC == nil else {
                throw ctx.error("int8 quantisation needs transA = 0 and C absent or a constant bias along N", .unsupported)
            }
            let scaled = alpha == 1 ? nil : bc.floats.map { $0 * alpha }
            return try (scaled ?? []).withUnsafeBufferPointer { copy in
                try Int8LinearOps.prepare(ctx, params: q, batch: m, rows: n, cols: k,
                                          w: scaled == nil ? UnsafePointer(bc.pointer(as: Float.self)) : copy.baseAddress!,
                                          rs: cs, cs: rs, bias: biasN.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) }, y: y)
            }
        }
        let stage = OutputStage(FusedActivation.read(ctx.node))
        if let bc = ctx.constant(1), !transA, biasM == nil, addC == nil {
            let scaled = alpha == 1 ? nil : bc.floats.map { $0 * alpha }  // the weight itself when alpha is 1
            if let op = (scaled ?? []).withUnsafeBufferPointer({ copy in
                formatLinear(ctx, batch: m, rows: n, cols: k, w: scaled == nil ? UnsafePointer(bc.pointer(as: Float.self)) : copy.baseAddress!,
                             rs: cs, cs: rs, bias: biasN, stage: stage, y: y)
            }) { return op }
        }
        // Packed once here when B is a constant (the GEMM path only: a chosen format packs its own).
        let packed = ctx.constant(1).map {
            Buffer.packedGemmB(k: k, n: n, src: $0.pointer(as: Float.self), rs: rs, cs: cs, scale: alpha)
        }
        let kernel = GemmKernel(m: m, n: n, k: k, packedB: packed, bRowStride: rs, bColStride: cs,
                                transA: transA, alpha: alpha, biasM: biasM, biasN: biasN, addC: addC,
                                stage: stage, inputs: (0, 1, 2), pool: ctx.pool)
        let scratch = GemmKernel.scratchBytes(m: m, n: n, k: k, packB: packed == nil, transA: transA)
        return .kernel(kernel, [y], name: kernel.kernelName, scratch: scratch, macs: m * n * k)
    }

    /// MatMul with numpy semantics. When B is 2-D, A's leading dims fold into M (one GEMM);
    /// otherwise one GEMM per broadcast batch entry.
    static func prepareMatMul(_ ctx: OpContext) throws -> PreparedOp {
        let a = try ctx.floatInput(0), b = try ctx.floatInput(1)
        guard a.rank >= 1, b.rank >= 1 else { throw ctx.error("MatMul inputs must have rank >= 1", .shape) }
        let aShape = a.rank == 1 ? [1] + a.shape : a.shape
        let bShape = b.rank == 1 ? b.shape + [1] : b.shape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let kb = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == kb else {
            throw ctx.error("inner dimensions differ: \(Shape.describe(a.shape)) x \(Shape.describe(b.shape))", .shape)
        }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        guard let batch = Shape.broadcast(aBatch, bBatch) else {
            throw ctx.error("batch dimensions \(Shape.describe(aBatch)) and \(Shape.describe(bBatch)) do not broadcast", .shape)
        }
        var outShape = batch + [m, n]
        if a.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if b.rank == 1 { outShape.removeLast() }
        let y = try ctx.checked(TensorType(.float32, outShape))
        let stage = OutputStage(FusedActivation.read(ctx.node))
        let batchCount = batch.reduce(1, *)
        let int8 = try Int8LinearParams.read(ctx.node)
        if int8 != nil && !(b.rank == 2 && batch == aBatch) {
            throw ctx.error("int8 quantisation needs a constant 2-D weight B, got \(Shape.describe(b.shape))", .unsupported)
        }
        if bBatch.reduce(1, *) == 1 && batch == aBatch {
            // One GEMM: the rows of every A batch entry times the single B.
            let rows = batchCount * m
            let bias = try matMulBias(ctx, n: n)
            if let q = int8 {
                let bc = try Int8LinearOps.requireConstantWeight(ctx)
                return try Int8LinearOps.prepare(ctx, params: q, batch: rows, rows: n, cols: k, w: bc.pointer(as: Float.self),
                                                 rs: 1, cs: n, bias: bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) }, y: y)
            }
            if let bc = ctx.constant(1), let op = formatLinear(ctx, batch: rows, rows: n, cols: k, w: bc.pointer(as: Float.self),
                                                               rs: 1, cs: n, bias: bias, stage: stage, y: y) {
                return op
            }
            var packed: Buffer? = nil
            if let bc = ctx.constant(1) {
                packed = Buffer.packedGemmB(k: k, n: n, src: bc.pointer(as: Float.self), rs: n, cs: 1)
            }
            let kernel = GemmKernel(m: rows, n: n, k: k, packedB: packed, bRowStride: n, bColStride: 1,
                                    transA: false, alpha: 1, biasM: nil, biasN: bias, addC: nil,
                                    stage: stage, inputs: (0, 1, 2), pool: ctx.pool)
            let scratch = GemmKernel.scratchBytes(m: rows, n: n, k: k, packB: packed == nil, transA: false)
            return .kernel(kernel, [y], name: kernel.kernelName, scratch: scratch, macs: rows * n * k)
        }
        guard ctx.inputCount == 2 else { throw ctx.error("MatMul takes two inputs, got \(ctx.inputCount)") }
        let kernel = BatchedMatMulKernel(aBatch: aBatch, bBatch: bBatch, batch: batch, m: m, n: n, k: k, stage: stage)
        let scratch = GemmKernel.scratchBytes(m: m, n: n, k: k, packB: true, transA: false)
        return .kernel(kernel, [y], name: kernel.name, scratch: scratch, macs: batchCount * m * n * k)
    }

    /// Y = X Wᵀ + bias in a Linear weight format when LinearSelection prefers one to the GEMM
    /// (W is rows x cols, element (n, k) at w[n*rs + k*cs]); nil to use the GEMM.
    private static func formatLinear(_ ctx: OpContext, batch: Int, rows: Int, cols: Int, w: UnsafePointer<Float>,
                                     rs: Int, cs: Int, bias: Buffer?, stage: OutputStage, y: TensorType) -> PreparedOp? {
        let biasPointer = bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) }
        let choice = LinearSelection.choose(policy: ctx.policy.resolved(for: ctx.node.name), batch: batch, rows: rows, cols: cols, w: w,
                                            rs: rs, cs: cs, bias: biasPointer)
        guard let k = choice.kernel, let packed = choice.packed else { return nil }
        let kernel = FormatLinearKernel(kernel: k, packed: packed, batch: batch, rows: rows, cols: cols, bias: bias,
                                        stage: stage, pool: ctx.pool, why: choice.why)
        return .kernel(kernel, [y], name: kernel.description, scratch: 0, macs: batch * rows * cols)
    }

    /// A bias the planner fused into MatMul (MatMul + Add of a constant [N] vector) rides as a
    /// third input; ONNX's MatMul has two, so anything else there is an error.
    private static func matMulBias(_ ctx: OpContext, n: Int) throws -> Buffer? {
        guard ctx.inputCount > 2 else { return nil }
        guard let c = ctx.constant(2), c.dtype == .float32, c.shape == [n] else {
            throw ctx.error("MatMul takes two inputs; a third is only valid as a constant f32 bias of shape [\(n)]")
        }
        return .floats(c.floats)
    }
}

/// MatMul where both operands carry (broadcast) batch dimensions: one GEMM per batch entry,
/// B packed into scratch each time.
final class BatchedMatMulKernel: Kernel {
    let m: Int, n: Int, k: Int
    let offsetsA: [Int], offsetsB: [Int]
    let gemm: GemmKernel

    init(aBatch: [Int], bBatch: [Int], batch: [Int], m: Int, n: Int, k: Int, stage: OutputStage) {
        self.m = m; self.n = n; self.k = k
        let plan = BroadcastPlan(a: aBatch, b: bBatch, out: batch)
        var oa: [Int] = [], ob: [Int] = []
        for row in 0..<plan.rowOffsetsA.count {
            for i in 0..<plan.inner {
                oa.append((plan.rowOffsetsA[row] + i * plan.strideA) * m * k)
                ob.append((plan.rowOffsetsB[row] + i * plan.strideB) * k * n)
            }
        }
        if batch.isEmpty { oa = [0]; ob = [0] }
        offsetsA = oa; offsetsB = ob
        gemm = GemmKernel(m: m, n: n, k: k, packedB: nil, bRowStride: n, bColStride: 1, transA: false,
                          alpha: 1, biasM: nil, biasN: nil, addC: nil, stage: stage, inputs: (0, 1, 2))
    }

    var name: String { gemm.kernelName + " (batched)" }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        var ptrs: (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer) = (inputs[0], inputs[1], inputs[0])
        var out: UnsafeMutableRawPointer = outputs[0]
        for i in 0..<offsetsA.count {
            ptrs.0 = inputs[0] + offsetsA[i] * 4
            ptrs.1 = inputs[1] + offsetsB[i] * 4
            out = outputs[0] + i * m * n * 4
            withUnsafePointer(to: &ptrs) { ip in
                ip.withMemoryRebound(to: UnsafeRawPointer.self, capacity: 3) { ipp in
                    withUnsafePointer(to: &out) { op in
                        gemm.run(inputs: ipp, outputs: op, scratch: scratch)
                    }
                }
            }
        }
    }
}
