import CEdgeKernels

/// A 1x1 convolution over fewer pixels than a GEMM panel is wide (the late layers of mobile nets,
/// at 2x2 or 4x4): computed as Yᵀ = Xᵀ·Wᵀ so the output channels, not the few pixels, fill the
/// kernel's vector panels. Wᵀ is packed once at prepare; the two small transposes (input and
/// output, pixels x channels each) run in scratch.
final class PixelMajorPointwiseKernel: Kernel {
    let batch: Int, inC: Int, outC: Int, pixels: Int
    let packedWeights: Buffer
    let bias: Buffer?
    var stage: OutputStage
    let config: UnsafePointer<ep_f32_gemm_config>
    let split: WorkSplit

    /// Whether this orientation wins: too few pixels to fill a panel, enough channels to.
    static func applies(groups: Int, pointwise: Bool, pixels: Int, outC: Int) -> Bool {
        let nr = Int(ep_f32_gemm_get_config().pointee.nr)
        return groups == 1 && pointwise && pixels < nr && outC >= nr
    }

    init(batch: Int, inC: Int, outC: Int, pixels: Int, weights: Tensor, bias: Buffer?, stage: OutputStage, pool: WorkerPool?) {
        self.batch = batch; self.inC = inC; self.outC = outC; self.pixels = pixels
        // B = Wᵀ: element (c, o) is W[o, c], at o*inC + c.
        packedWeights = .packedGemmB(k: inC, n: outC, src: weights.pointer(as: Float.self), rs: 1, cs: inC)
        self.bias = bias
        self.stage = stage
        config = ep_f32_gemm_get_config()
        let panels = (outC + Int(config.pointee.nr) - 1) / Int(config.pointee.nr)
        split = WorkSplit(pool: pool, units: panels, work: pixels * outC * inC)
    }

    var kernelName: String { "pixel-major+" + String(cString: config.pointee.name) + stage.suffix }
    var scratchBytes: Int { (pixels * inC + pixels * outC) * 4 }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        let xt = scratch.assumingMemoryBound(to: Float.self)
        let yt = xt + pixels * inC
        let w = UnsafePointer(packedWeights.raw.assumingMemoryBound(to: Float.self))
        let b = bias.map { UnsafePointer($0.raw.assumingMemoryBound(to: Float.self)) }
        withUnsafePointer(to: &stage.params) { params in
            for img in 0..<batch {
                let xi = x + img * inC * pixels, yi = y + img * outC * pixels
                for c in 0..<inC { for p in 0..<pixels { xt[p * inC + c] = xi[c * pixels + p] } }
                var task = GemmTask(config: config, m: pixels, n: outC, k: inC, a: xt, lda: inC, b: w, c: yt, ldc: outC,
                                    biasM: nil, biasN: b, params: params, tasks: 1, columns: true)
                task.run(split)
                for p in 0..<pixels { for o in 0..<outC { yi[o * pixels + p] = yt[p * outC + o] } }
            }
        }
        if let post = stage.post { post.apply(y, y, batch * outC * pixels) }
    }
}
