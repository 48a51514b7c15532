import CEdgeKernels

/// 1-D and 2-D convolution (NCW / NCHW, groups, dilation, padding) with fused bias and
/// activation. Depthwise convolutions (one input and one output channel per group) run the direct
/// depthwise kernel; everything else is im2col (packed) + GEMM per image and group, and a
/// pointwise stride-1 unpadded conv packs its input directly.
final class ConvKernel: Kernel {
    let batch: Int, groups: Int
    let inC: Int, outC: Int, inPlane: Int, outPlane: Int
    var geometry: ep_conv2d_geometry
    let weights: Tensor          // [outC, inC/groups, kH, kW], row-major; may live in the mmap
    let bias: Buffer?
    let depthwise: Bool
    let pointwise: Bool
    let gemm: UnsafePointer<ep_f32_gemm_config>
    var stage: OutputStage
    /// Threads split depthwise convs over channels, GEMMs over column panels or row tiles.
    let split: WorkSplit
    let splitColumns: Bool

    init(batch: Int, groups: Int, inC: Int, outC: Int, geometry: ep_conv2d_geometry, weights: Tensor,
         bias: Buffer?, stage: OutputStage, pool: WorkerPool?) {
        self.batch = batch; self.groups = groups; self.inC = inC; self.outC = outC
        self.geometry = geometry
        inPlane = geometry.in_h * geometry.in_w
        outPlane = geometry.out_h * geometry.out_w
        self.weights = weights
        self.bias = bias
        self.stage = stage
        depthwise = groups == inC && groups == outC
        pointwise = ConvKernel.isPointwise(geometry)
        gemm = ep_f32_gemm_get_config()
        let k = inC / groups * geometry.k_h * geometry.k_w
        if depthwise {
            split = WorkSplit(pool: pool, units: inC, work: inC * outPlane * k)
            splitColumns = false
        } else {
            (split, splitColumns) = GemmTask.split(pool: pool, config: gemm, m: outC / groups, n: outPlane, k: k)
        }
    }

    /// 1x1, stride 1, no padding: the input planes are the GEMM's right-hand side as they are.
    static func isPointwise(_ g: ep_conv2d_geometry) -> Bool {
        g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0
            && g.out_h == g.in_h && g.out_w == g.in_w
    }

    var kernelName: String {
        (depthwise ? String(cString: ep_f32_dwconv2d_name()) : (pointwise ? "pack+" : "im2col+") + String(cString: gemm.pointee.name)) + stage.suffix
    }

    var scratchBytes: Int {
        if depthwise { return 0 }
        let k = inC / groups * geometry.k_h * geometry.k_w
        return Int(ep_f32_gemm_packed_b_size(k, outPlane, gemm.pointee.nr)) * 4
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        let w = UnsafePointer(weights.pointer(as: Float.self))
        let b = bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) }
        let cPerG = inC / groups, mPerG = outC / groups
        let k = cPerG * geometry.k_h * geometry.k_w
        let packed = scratch.assumingMemoryBound(to: Float.self)
        withUnsafePointer(to: &geometry) { g in
            withUnsafePointer(to: &stage.params) { params in
                for img in 0..<batch {
                    let xi = x + img * inC * inPlane, yi = y + img * outC * outPlane
                    if depthwise {
                        var task = DepthwiseTask(geometry: g, channels: inC, input: xi, weights: w, bias: b, output: yi,
                                                 params: params, tasks: split.tasks)
                        split.run(&task) { raw, t in raw.assumingMemoryBound(to: DepthwiseTask.self).pointee.execute(t) }
                        continue
                    }
                    for grp in 0..<groups {
                        let xg = xi + grp * cPerG * inPlane
                        if pointwise {
                            ep_f32_gemm_pack_b(cPerG, outPlane, gemm.pointee.nr, xg, outPlane, 1, packed)
                        } else {
                            ep_f32_im2col_packed(g, gemm.pointee.nr, xg, packed)
                        }
                        var task = GemmTask(config: gemm, m: mPerG, n: outPlane, k: k, a: w + grp * mPerG * k, lda: k,
                                            b: packed, c: yi + grp * mPerG * outPlane, ldc: outPlane,
                                            biasM: b.map { $0 + grp * mPerG }, biasN: nil, params: params,
                                            tasks: 1, columns: splitColumns)
                        task.run(split)
                    }
                }
            }
        }
        if let post = stage.post { post.apply(y, y, batch * outC * outPlane) }
    }
}

enum ConvOps {
    static let preparers: [String: OpPreparer] = ["Conv": prepareConv]

    static func prepareConv(_ ctx: OpContext) throws -> PreparedOp {
        let x = try ctx.floatInput(0), w = try ctx.floatInput(1)
        guard x.rank == 3 || x.rank == 4 else {
            if x.rank == 5 { throw ctx.error("3-D convolution is not supported", .unsupported) }
            throw ctx.error("input must be NCW or NCHW, got \(Shape.describe(x.shape))", .shape)
        }
        guard w.rank == x.rank else {
            throw ctx.error("weight rank \(w.rank) does not match input rank \(x.rank)", .shape)
        }
        guard let wc = ctx.constant(1) else { throw ctx.error("weights must be constant", .unsupported) }
        let groups = ctx.int("group", 1)
        let n = x.shape[0], c = x.shape[1], m = w.shape[0]
        guard groups >= 1, c % groups == 0, m % groups == 0, w.shape[1] == c / groups else {
            throw ctx.error("channels do not match: input \(Shape.describe(x.shape)), weights \(Shape.describe(w.shape)), group \(groups)", .shape)
        }
        let spatial = Array(x.shape.dropFirst(2))
        var kernelShape = Array(w.shape.dropFirst(2))
        if let ks = ctx.ints("kernel_shape"), ks != kernelShape {
            throw ctx.error("kernel_shape \(ks) does not match weights \(Shape.describe(w.shape))", .shape)
        }
        if kernelShape.isEmpty { kernelShape = [1] }
        let geo = try WindowGeometry(ctx: ctx, input: spatial, kernel: kernelShape)
        var bias: Buffer? = nil
        if ctx.hasInput(2) {
            let bt = try ctx.floatInput(2)
            guard bt.shape == [m] else { throw ctx.error("bias shape \(Shape.describe(bt.shape)) must be [\(m)]", .shape) }
            guard let bc = ctx.constant(2) else { throw ctx.error("bias must be constant", .unsupported) }
            bias = .floats(bc.floats)
        }
        let is1D = x.rank == 3
        let g = ep_conv2d_geometry(
            in_c: c / groups, in_h: is1D ? 1 : spatial[0], in_w: spatial.last!,
            k_h: is1D ? 1 : kernelShape[0], k_w: kernelShape.last!,
            stride_h: is1D ? 1 : geo.strides[0], stride_w: geo.strides.last!,
            dil_h: is1D ? 1 : geo.dilations[0], dil_w: geo.dilations.last!,
            pad_top: is1D ? 0 : geo.padsBegin[0], pad_left: geo.padsBegin.last!,
            out_h: is1D ? 1 : geo.output[0], out_w: geo.output.last!)
        let y = try ctx.checked(TensorType(.float32, [n, m] + geo.output))
        let pixels = geo.output.reduce(1, *)
        if let q = try Int8LinearParams.read(ctx.node) {
            guard groups == 1 else { throw ctx.error("int8 quantisation supports group-1 convolutions only, got group \(groups)", .unsupported) }
            let k = c * kernelShape.reduce(1, *)
            let biasPointer = bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) }
            let (choice, relu) = try Int8LinearOps.choose(ctx, params: q, batch: pixels, rows: m, cols: k, w: wc.pointer(as: Float.self),
                                                          rs: k, cs: 1, bias: biasPointer)
            let kernel = Int8ConvKernel(kernel: choice.kernel, packed: choice.packed, batch: n, inC: c, outC: m, geometry: g,
                                        params: q, relu: relu, pool: ctx.pool, why: choice.why)
            return .kernel(kernel, [y], name: kernel.description, scratch: kernel.scratchBytes, macs: n * m * pixels * k)
        }
        let stage = OutputStage(FusedActivation.read(ctx.node))
        if PixelMajorPointwiseKernel.applies(groups: groups, pointwise: ConvKernel.isPointwise(g), pixels: pixels, outC: m) {
            let kernel = PixelMajorPointwiseKernel(batch: n, inC: c, outC: m, pixels: pixels, weights: wc, bias: bias,
                                                   stage: stage, pool: ctx.pool)
            return .kernel(kernel, [y], name: kernel.kernelName, scratch: kernel.scratchBytes, macs: n * m * pixels * c)
        }
        // Weights are used in place (from the mmap for .epm files).
        let kernel = ConvKernel(batch: n, groups: groups, inC: c, outC: m, geometry: g,
                                weights: wc, bias: bias,
                                stage: stage, pool: ctx.pool)
        let macs = n * m * geo.output.reduce(1, *) * (c / groups) * kernelShape.reduce(1, *)
        if groups == 1, !kernel.depthwise,
           let sparse = ConvSelection.choose(ctx, gemmKernel: kernel, inC: c, outC: m, batch: n, geometry: g,
                                             weights: wc, bias: bias, stage: stage) {
            return .kernel(sparse, [y], name: sparse.description, scratch: sparse.scratchBytes, macs: macs)
        }
        return .kernel(kernel, [y], name: kernel.kernelName, scratch: kernel.scratchBytes, macs: macs)
    }
}

/// Depthwise convolution over a range of channels per task.
struct DepthwiseTask {
    var geometry: UnsafePointer<ep_conv2d_geometry>
    var channels: Int
    var input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    var output: UnsafeMutablePointer<Float>
    var params: UnsafePointer<ep_f32_minmax_params>
    var tasks: Int

    func execute(_ t: Int) {
        let r = WorkSplit.range(t, of: tasks, units: channels)
        guard !r.isEmpty else { return }
        let g = geometry.pointee
        let inPlane = g.in_h * g.in_w, outPlane = g.out_h * g.out_w, taps = g.k_h * g.k_w
        ep_f32_dwconv2d(geometry, r.count, input + r.lowerBound * inPlane, weights + r.lowerBound * taps,
                        bias.map { $0 + r.lowerBound }, output + r.lowerBound * outPlane, params)
    }
}
