import CEdgeKernels

/// A group-1 convolution whose weight (outC x K) runs in one of the sparse-weight x dense-pixels
/// formats (chosen at prepare by ConvSelection): a 1x1 stride-1 unpadded conv straight on the
/// NCHW input, anything else on im2col panels `panel` pixels wide. Threads split output channels.
final class PixelFormatConvKernel: Kernel {
    let kernel: UnsafePointer<ep_f32_spmm_pixels_kernel>
    let packed: Buffer
    let batch: Int, inC: Int, outC: Int, k: Int, inPlane: Int, outPlane: Int
    var geometry: ep_conv2d_geometry
    let pointwise: Bool
    let bias: Buffer?
    var stage: OutputStage
    let split: WorkSplit
    let description: String
    /// im2col panel width (64 measured best for 3x3 layers on AVX2; a multiple of every pixel tile).
    static let panel = 64

    init(kernel: UnsafePointer<ep_f32_spmm_pixels_kernel>, packed: Buffer, batch: Int, inC: Int, outC: Int,
         geometry: ep_conv2d_geometry, bias: Buffer?, stage: OutputStage, pool: WorkerPool?, why: String) {
        self.kernel = kernel; self.packed = packed
        self.batch = batch; self.inC = inC; self.outC = outC
        self.geometry = geometry
        k = inC * geometry.k_h * geometry.k_w
        inPlane = geometry.in_h * geometry.in_w
        outPlane = geometry.out_h * geometry.out_w
        pointwise = ConvKernel.isPointwise(geometry)
        self.bias = bias
        self.stage = stage
        let stored = Int(kernel.pointee.format.pointee.stored(packed.raw))
        split = WorkSplit(pool: pool, units: outC, work: stored * outPlane)
        description = (pointwise ? "" : "im2col+") + String(cString: kernel.pointee.name) + stage.suffix + " [" + why + "]"
    }

    var scratchBytes: Int { pointwise ? 0 : Int(ep_f32_gemm_packed_b_size(k, outPlane, Self.panel)) * 4 }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        let panels = scratch.assumingMemoryBound(to: Float.self)
        for img in 0..<batch {
            let xi = x + img * inC * inPlane, yi = y + img * outC * outPlane
            if !pointwise { withUnsafePointer(to: &geometry) { ep_f32_im2col_packed($0, Self.panel, xi, panels) } }
            var task = PixelConvTask(kernel: kernel, packed: UnsafeRawPointer(packed.raw), rows: outC, k: k,
                                     pixels: outPlane, x: pointwise ? UnsafePointer(xi) : UnsafePointer(panels),
                                     pointwise: pointwise, y: yi,
                                     bias: bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) },
                                     params: stage.params, tasks: split.tasks)
            split.run(&task) { raw, t in raw.assumingMemoryBound(to: PixelConvTask.self).pointee.execute(t) }
        }
        if let post = stage.post { post.apply(y, y, batch * outC * outPlane) }
    }
}

/// One image of a pixel-format conv, split by output channels.
struct PixelConvTask {
    var kernel: UnsafePointer<ep_f32_spmm_pixels_kernel>
    var packed: UnsafeRawPointer
    var rows: Int, k: Int, pixels: Int
    var x: UnsafePointer<Float>
    var pointwise: Bool
    var y: UnsafeMutablePointer<Float>
    var bias: UnsafePointer<Float>?
    var params: ep_f32_minmax_params
    var tasks: Int

    func execute(_ t: Int) {
        let r = WorkSplit.range(t, of: tasks, units: rows)
        guard !r.isEmpty else { return }
        withUnsafePointer(to: params) { p in
            if pointwise {
                kernel.pointee.run(packed, r.lowerBound, r.upperBound, pixels, x, pixels, y, pixels, bias, p)
                return
            }
            let panel = PixelFormatConvKernel.panel
            for p0 in stride(from: 0, to: pixels, by: panel) {
                kernel.pointee.run(packed, r.lowerBound, r.upperBound, min(panel, pixels - p0), x + p0 * k, panel,
                                   y + p0, pixels, bias, p)
            }
        }
    }
}
