import CEdgeKernels

/// Chooses, for a group-1 convolution whose weight has zeros, between the im2col + GEMM path and
/// the sparse-weight x pixels formats by timing both on the layer itself (a short probe at load).
/// Dense weights (under 20% zeros) are not probed: no sparse format can win there.
enum ConvSelection {
    static func choose(_ ctx: OpContext, gemmKernel: ConvKernel, inC: Int, outC: Int, batch: Int,
                       geometry: ep_conv2d_geometry, weights: Tensor, bias: Buffer?, stage: OutputStage)
        -> PixelFormatConvKernel? {
        let k = inC * geometry.k_h * geometry.k_w
        let w = weights.pointer(as: Float.self)
        let zeros = LinearFormats.zeroFraction(rows: outC, cols: k, w: w, rs: k, cs: 1)
        let zeroText = String(format1: zeros * 100) + "% zeros"
        func make(_ kern: UnsafePointer<ep_f32_spmm_pixels_kernel>, _ why: String) -> PixelFormatConvKernel? {
            guard let packed = PixelFormats.pack(kern, rows: outC, cols: k, w: w, rs: k, cs: 1) else { return nil }
            return PixelFormatConvKernel(kernel: kern, packed: packed, batch: batch, inC: inC, outC: outC,
                                         geometry: geometry, bias: bias, stage: stage, pool: ctx.pool, why: why)
        }
        if let name = ctx.policy.resolved(for: ctx.node.name).convFormat {
            guard name != "gemm", let kern = PixelFormats.kernel(format: name) else { return nil }
            return make(kern, "\(name), \(zeroText), forced")
        }
        guard zeros >= KernelPolicy.minimumZeroFractionForSparse else { return nil }
        let inCount = batch * inC * geometry.in_h * geometry.in_w
        let outCount = batch * outC * geometry.out_h * geometry.out_w
        var state: UInt32 = 2463534242
        let input = Buffer(byteCount: inCount * 4), output = Buffer(byteCount: outCount * 4)
        let xf = input.raw.assumingMemoryBound(to: Float.self)
        for i in 0..<inCount {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            xf[i] = Float(state % 2001) / 1000 - 1
        }
        func time(_ kernel: Kernel, scratchBytes: Int) -> Double {
            let scratch = Buffer(byteCount: scratchBytes)
            var ins = [UnsafeRawPointer(input.raw), UnsafeRawPointer(input.raw), UnsafeRawPointer(input.raw)]
            var outs = [output.raw]
            return ins.withUnsafeMutableBufferPointer { ip in
                outs.withUnsafeMutableBufferPointer { op in
                    LinearFormats.medianMicros(rounds: 5, roundMicros: 500) {
                        kernel.run(inputs: ip.baseAddress!, outputs: op.baseAddress!, scratch: scratch.raw)
                    }
                }
            }
        }
        let gemmMicros = time(gemmKernel, scratchBytes: gemmKernel.scratchBytes)
        var best = gemmMicros
        var choice: PixelFormatConvKernel? = nil
        for kern in PixelFormats.preferred where kern.pointee.format.pointee.block_rows > 0 {
            guard let candidate = make(kern, "") else { continue }
            let micros = time(candidate, scratchBytes: candidate.scratchBytes)
            if micros < best * 0.97 {
                best = micros
                let name = String(cString: kern.pointee.format.pointee.name)
                choice = make(kern, "\(name), \(zeroText), \(String(format2: gemmMicros / micros))x gemm, measured")
            }
        }
        return choice
    }
}
