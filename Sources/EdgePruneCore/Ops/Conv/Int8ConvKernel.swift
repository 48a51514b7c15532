import CEdgeKernels

/// A group-1 Conv carrying `Int8LinearParams`, as an int8 Linear product whose batch is the output
/// pixels: per image, the input is quantised to uint8 (one pass) and gathered into the pixel-major
/// im2col matrix (padding at the zero point), one int8 Linear kernel (dense or block-sparse over the
/// out_c x in_c*k_h*k_w weight, chosen like a Gemm's) writes pixels x out_c uint8, and that is
/// dequantised and transposed into the NCHW f32 output. QDQ-equivalent like `Int8LinearKernel`.
final class Int8ConvKernel: Kernel {
    let kernel: UnsafePointer<ep_qs8_linear_kernel>
    let packed: Buffer
    let batch: Int, outC: Int, inC: Int, k: Int, pixels: Int, inPlane: Int
    var geometry: ep_conv2d_geometry
    let params: Int8LinearParams
    let output: ep_qs8_output_params
    let split: WorkSplit
    /// Byte offsets inside scratch: the im2col matrix after the quantised image, the output after it.
    let colOffset: Int
    let yOffset: Int
    let description: String

    init(kernel: UnsafePointer<ep_qs8_linear_kernel>, packed: Buffer, batch: Int, inC: Int, outC: Int,
         geometry: ep_conv2d_geometry, params: Int8LinearParams, relu: Bool, pool: WorkerPool?, why: String) {
        self.kernel = kernel
        self.packed = packed
        self.batch = batch; self.inC = inC; self.outC = outC
        self.geometry = geometry
        k = inC * geometry.k_h * geometry.k_w
        pixels = geometry.out_h * geometry.out_w
        inPlane = inC * geometry.in_h * geometry.in_w
        self.params = params
        output = ep_qs8_output_params(y_zero_point: params.yZeroPoint, y_unsigned: 1,
                                      qmin: relu ? params.yZeroPoint : 0, qmax: 255)
        let f = kernel.pointee.format.pointee
        split = WorkSplit(pool: pool, units: (outC + Int(f.row_group) - 1) / Int(f.row_group),
                          work: Int(f.stored(packed.raw)) * pixels)
        colOffset = Int8LinearKernel.align64(inPlane)
        yOffset = colOffset + Int8LinearKernel.align64(pixels * k)
        description = "im2col+" + String(cString: kernel.pointee.name) + (relu ? "+relu" : "") + " [" + why + "]"
    }

    var scratchBytes: Int { yOffset + Int8LinearKernel.align64(pixels * outC) }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let image = scratch.assumingMemoryBound(to: UInt8.self)
        let xq = (scratch + colOffset).assumingMemoryBound(to: UInt8.self)
        let yq = (scratch + yOffset).assumingMemoryBound(to: UInt8.self)
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        for n in 0..<batch {
            ep_f32_qu8_quantize_ukernel__scalar(inPlane, x + n * inPlane, params.xScale, params.xZeroPoint, image)
            withUnsafePointer(to: &geometry) { g in
                ep_qu8_im2col_ukernel__scalar(g, image, UInt8(params.xZeroPoint), xq)
            }
            var task = Int8LinearTask(kernel: kernel, packed: UnsafeRawPointer(packed.raw), rows: outC, batch: pixels,
                                      rowGroup: Int(kernel.pointee.format.pointee.row_group), x: UnsafeRawPointer(xq),
                                      cols: k, y: UnsafeMutableRawPointer(yq), params: output, tasks: split.tasks)
            task.run(split)
            ep_qu8_f32_dequantize_transpose_ukernel__scalar(pixels, outC, yq, params.yScale, params.yZeroPoint,
                                                            y + n * outC * pixels)
        }
    }
}
