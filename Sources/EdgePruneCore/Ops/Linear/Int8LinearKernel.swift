import CEdgeKernels

/// Y[M,N] = dequantize(requantize(quantize(X) x Wqᵀ + bias_q)) for a Gemm/MatMul carrying
/// `Int8LinearParams`: X is quantised to uint8 into scratch, one int8 Linear kernel (dense or
/// block-sparse, chosen at prepare by `Int8LinearSelection`) writes the uint8 output (a fused
/// Relu is its lower clamp) into scratch, and that is dequantised into the f32 output. The graph
/// around the layer stays f32, and the result is what ONNX Runtime computes for the QDQ form
/// (`QuantizeLinear`/`DequantizeLinear` around the layer) that `edgeprune export` writes.
/// Threads split the output rows in multiples of the format's row group.
final class Int8LinearKernel: Kernel {
    let kernel: UnsafePointer<ep_qs8_linear_kernel>
    let packed: Buffer
    let batch: Int, rows: Int, cols: Int
    let params: Int8LinearParams
    let output: ep_qs8_output_params
    let split: WorkSplit
    /// Byte offset of the uint8 output inside scratch (after the quantised input).
    let yOffset: Int
    /// What `inspect` shows: kernel name, "+relu", and "[int8-<format>, zeros, why]".
    let description: String

    init(kernel: UnsafePointer<ep_qs8_linear_kernel>, packed: Buffer, batch: Int, rows: Int, cols: Int,
         params: Int8LinearParams, relu: Bool, pool: WorkerPool?, why: String) {
        self.kernel = kernel
        self.packed = packed
        self.batch = batch; self.rows = rows; self.cols = cols
        self.params = params
        output = ep_qs8_output_params(y_zero_point: params.yZeroPoint, y_unsigned: 1,
                                      qmin: relu ? params.yZeroPoint : 0, qmax: 255)
        let f = kernel.pointee.format.pointee
        split = WorkSplit(pool: pool, units: (rows + Int(f.row_group) - 1) / Int(f.row_group),
                          work: Int(f.stored(packed.raw)) * batch)
        yOffset = Int8LinearKernel.align64(batch * cols)
        description = String(cString: kernel.pointee.name) + (relu ? "+relu" : "") + " [" + why + "]"
    }

    static func align64(_ v: Int) -> Int { (v + 63) & ~63 }

    static func scratchBytes(batch: Int, rows: Int, cols: Int) -> Int {
        align64(batch * cols) + align64(batch * rows)
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let xq = scratch.assumingMemoryBound(to: UInt8.self)
        let yq = (scratch + yOffset).assumingMemoryBound(to: UInt8.self)
        ep_f32_qu8_quantize_ukernel__scalar(batch * cols, inputs[0].assumingMemoryBound(to: Float.self),
                                            params.xScale, params.xZeroPoint, xq)
        var task = Int8LinearTask(kernel: kernel, packed: UnsafeRawPointer(packed.raw), rows: rows, batch: batch,
                                  rowGroup: Int(kernel.pointee.format.pointee.row_group), x: UnsafeRawPointer(xq),
                                  cols: cols, y: UnsafeMutableRawPointer(yq), params: output, tasks: split.tasks)
        task.run(split)
        ep_qu8_f32_dequantize_ukernel__scalar(batch * rows, yq, params.yScale, params.yZeroPoint,
                                              outputs[0].assumingMemoryBound(to: Float.self))
    }
}

/// One int8 Linear product, split by output rows.
struct Int8LinearTask {
    var kernel: UnsafePointer<ep_qs8_linear_kernel>
    var packed: UnsafeRawPointer
    var rows: Int, batch: Int, rowGroup: Int
    var x: UnsafeRawPointer, cols: Int
    var y: UnsafeMutableRawPointer
    var params: ep_qs8_output_params
    var tasks: Int

    func execute(_ t: Int) {
        let r = tasks == 1 ? 0..<rows : WorkSplit.range(t, of: tasks, units: rows, granule: rowGroup)
        guard !r.isEmpty else { return }
        withUnsafePointer(to: params) { p in
            kernel.pointee.run(packed, r.lowerBound, r.upperBound, batch, x, cols, y, rows, p)
        }
    }

    mutating func run(_ split: WorkSplit) {
        split.run(&self) { raw, t in raw.assumingMemoryBound(to: Int8LinearTask.self).pointee.execute(t) }
    }
}

/// The int8 Linear formats of the C library ("dense", "bsr4x4", "bsr8x4") and the choice between
/// them for one layer, made like the f32 choice (`LinearSelection`): every format the weight is
/// worth trying in (sparse ones from 20% zeros) runs on a probe input, and the fastest median
/// wins, a sparse format only when it beats the best so far by 3%. Format names in plans and
/// policies carry the prefix "int8-" ("int8-bsr4x4"), so `ExecutionPlan.weightFormats` fed back
/// as `KernelPolicy.layerFormats` re-plans a level without the probe.
public enum Int8LinearSelection {
    public static let prefix = "int8-"

    nonisolated(unsafe) static let preferred = LinearFormats.preferredKernels(ep_qs8_linear_list_kernels) {
        UnsafeRawPointer($0.pointee.format)
    }

    /// "int8-dense", "int8-bsr4x4", "int8-bsr8x4".
    public static var formatNames: [String] { preferred.map { prefix + String(cString: $0.pointee.format.pointee.name) } }

    static func kernel(format name: String) -> UnsafePointer<ep_qs8_linear_kernel>? {
        preferred.first { prefix + String(cString: $0.pointee.format.pointee.name) == name }
    }

    static func pack(_ k: UnsafePointer<ep_qs8_linear_kernel>, _ w: Int8Weights, xZeroPoint: Int32) -> Buffer? {
        let f = k.pointee.format.pointee
        return w.values.withUnsafeBufferPointer { q -> Buffer? in
            let size = f.packed_size(w.rows, w.cols, q.baseAddress, w.cols, 1)
            guard size > 0 else { return nil }
            let buf = Buffer(byteCount: size)
            let status = w.bias.withUnsafeBufferPointer { b in
                w.multipliers.withUnsafeBufferPointer { m in
                    f.pack(w.rows, w.cols, q.baseAddress, w.cols, 1, b.baseAddress, m.baseAddress, xZeroPoint, 1, buf.raw)
                }
            }
            return status == 0 ? buf : nil
        }
    }

    /// Zero bytes among the int8 weights (branch-free, so it vectorises).
    static func zeroCount(_ v: [Int8]) -> Int {
        v.withUnsafeBufferPointer { p in
            var n = 0
            for x in p { n &+= x == 0 ? 1 : 0 }
            return n
        }
    }

    struct Choice {
        let kernel: UnsafePointer<ep_qs8_linear_kernel>
        let packed: Buffer
        let why: String
    }

    static func choose(policy: KernelPolicy, batch: Int, weights w: Int8Weights, xZeroPoint: Int32) throws -> Choice {
        let zeros = Double(zeroCount(w.values)) / Double(max(w.values.count, 1))
        let zeroText = String(format1: zeros * 100) + "% zeros"
        // A forced format (a level switch re-using measured choices) packs only itself.
        if let name = policy.linearFormat, name.hasPrefix(prefix), name != prefix + "dense",
           let k = kernel(format: name), let packed = pack(k, w, xZeroPoint: xZeroPoint) {
            return Choice(kernel: k, packed: packed, why: "\(name), \(zeroText), forced")
        }
        guard let dense = kernel(format: prefix + "dense"), let densePacked = pack(dense, w, xZeroPoint: xZeroPoint) else {
            throw EdgePruneError(.unsupported, "int8 Linear \(w.rows)x\(w.cols) does not fit the int8 dense format (limits: 2^24 rows, 2^18 columns)")
        }
        if let name = policy.linearFormat, name.hasPrefix(prefix) {
            let why = name == prefix + "dense" ? "forced" : "\(name) does not fit"
            return Choice(kernel: dense, packed: densePacked, why: "int8-dense, \(zeroText), \(why)")
        }
        guard batch <= KernelPolicy.maximumFormatBatch else {
            return Choice(kernel: dense, packed: densePacked, why: "int8-dense, \(zeroText), batch \(batch)")
        }
        // Probe input: deterministic bytes, a quarter at the zero point (like Relu outputs).
        var x = [UInt8](repeating: 0, count: batch * w.cols)
        var state: UInt32 = 2463534242
        for i in x.indices {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            x[i] = state % 4 == 0 ? UInt8(xZeroPoint) : UInt8(truncatingIfNeeded: state >> 8)
        }
        var y = [UInt8](repeating: 0, count: batch * w.rows)
        var out = ep_qs8_output_params(y_zero_point: 0, y_unsigned: 1, qmin: 0, qmax: 255)
        func time(_ k: UnsafePointer<ep_qs8_linear_kernel>, _ packed: Buffer) -> Double {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    LinearFormats.medianMicros {
                        k.pointee.run(packed.raw, 0, w.rows, batch, xp.baseAddress, w.cols, yp.baseAddress, w.rows, &out)
                    }
                }
            }
        }
        let denseMicros = time(dense, densePacked)
        var best = denseMicros
        var choice = Choice(kernel: dense, packed: densePacked, why: "int8-dense, \(zeroText), measured")
        guard zeros >= KernelPolicy.minimumZeroFractionForSparse else { return choice }
        for k in preferred where k.pointee.format.pointee.block_rows != 0 {
            guard let packed = pack(k, w, xZeroPoint: xZeroPoint) else { continue }
            let micros = time(k, packed)
            if micros < best * 0.97 {
                best = micros
                let name = prefix + String(cString: k.pointee.format.pointee.name)
                choice = Choice(kernel: k, packed: packed,
                                why: "\(name), \(zeroText), \(String(format2: denseMicros / micros))x int8-dense, measured")
            }
        }
        return choice
    }
}

/// Preparing Gemm/MatMul layers that carry `Int8LinearParams`.
enum Int8LinearOps {
    /// Y = X Wᵀ + bias (W rows x cols, element (n, k) at w[n*rs + k*cs]) on the int8 kernels.
    static func prepare(_ ctx: OpContext, params: Int8LinearParams, batch: Int, rows: Int, cols: Int,
                        w: UnsafePointer<Float>, rs: Int, cs: Int, bias: UnsafePointer<Float>?, y: TensorType) throws -> PreparedOp {
        let (choice, relu) = try choose(ctx, params: params, batch: batch, rows: rows, cols: cols, w: w, rs: rs, cs: cs, bias: bias)
        let kernel = Int8LinearKernel(kernel: choice.kernel, packed: choice.packed, batch: batch, rows: rows, cols: cols,
                                      params: params, relu: relu, pool: ctx.pool, why: choice.why)
        return .kernel(kernel, [y], name: kernel.description,
                       scratch: Int8LinearKernel.scratchBytes(batch: batch, rows: rows, cols: cols), macs: batch * rows * cols)
    }

    /// The packed weight and kernel for a layer (and whether a fused Relu is its clamp).
    static func choose(_ ctx: OpContext, params: Int8LinearParams, batch: Int, rows: Int, cols: Int,
                       w: UnsafePointer<Float>, rs: Int, cs: Int, bias: UnsafePointer<Float>?) throws -> (Int8LinearSelection.Choice, Bool) {
        var relu = false
        if let f = FusedActivation.read(ctx.node) {
            guard case .relu = f else {
                throw ctx.error("int8 quantisation supports a fused Relu only, not \(f.name)", .unsupported)
            }
            relu = true
        } else if ctx.node.string(FusedActivation.key) != nil {
            throw ctx.error("unknown fused activation '\(ctx.node.string(FusedActivation.key)!)'", .unsupported)
        }
        let weights = Int8Weights.quantize(rows: rows, cols: cols, w: w, rs: rs, cs: cs, bias: bias, params: params)
        let choice: Int8LinearSelection.Choice
        do {
            choice = try Int8LinearSelection.choose(policy: ctx.policy.resolved(for: ctx.node.name), batch: batch,
                                                    weights: weights, xZeroPoint: params.xZeroPoint)
        } catch let e as EdgePruneError {
            throw ctx.error(e.message, e.kind)
        }
        return (choice, relu)
    }

    static func requireConstantWeight(_ ctx: OpContext) throws -> Tensor {
        guard let b = ctx.constant(1), b.dtype == .float32, b.rank == 2 else {
            throw ctx.error("int8 quantisation needs a constant 2-D f32 weight (input #1)", .unsupported)
        }
        return b
    }
}
