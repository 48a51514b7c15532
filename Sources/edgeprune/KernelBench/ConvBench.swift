import CEdgeKernels
import EdgePruneCore

/// Conv layers at batch 1: dense (im2col + GEMM, as the runtime runs them) against the sparse
/// "weights x pixels" formats on the same layer, plus the depthwise kernel (dense only).
struct ConvBench {
    let rounds: Int
    let roundMicros: Double
    /// im2col panel width for the pixel kernels (64 measured best for 3x3 layers).
    static let panel = 64

    struct Layer {
        let name: String
        let inC: Int, outC: Int, size: Int, kernel: Int
    }

    static let layers = [Layer(name: "3x3 16->32 32x32", inC: 16, outC: 32, size: 32, kernel: 3),
                         Layer(name: "1x1 64->64 32x32", inC: 64, outC: 64, size: 32, kernel: 1)]

    func measure(sparsities: [Double], progress: (String) -> Void) -> [KernelRecord] {
        var records: [KernelRecord] = []
        for layer in Self.layers { records += measure(layer, sparsities: sparsities, progress: progress) }
        records += depthwise(progress: progress)
        return records
    }

    private func measure(_ l: Layer, sparsities: [Double], progress: (String) -> Void) -> [KernelRecord] {
        let pixels = l.size * l.size, k = l.inC * l.kernel * l.kernel, pad = l.kernel / 2
        var g = ep_conv2d_geometry(in_c: l.inC, in_h: l.size, in_w: l.size, k_h: l.kernel, k_w: l.kernel,
                                   stride_h: 1, stride_w: 1, dil_h: 1, dil_w: 1, pad_top: pad, pad_left: pad,
                                   out_h: l.size, out_w: l.size)
        var rng = WeightPattern.Random(seed: 4)
        let input = (0..<(l.inC * pixels)).map { _ in rng.nonZero() }
        let bias = (0..<l.outC).map { _ in rng.nonZero() }
        var y = [Float](repeating: 0, count: l.outC * pixels)
        var params = ep_f32_minmax_params(min: 0, max: .infinity)  // conv + relu
        let gemm = ep_f32_gemm_get_config()!
        let gemmPanels = Buffer(byteCount: Int(ep_f32_gemm_packed_b_size(k, pixels, gemm.pointee.nr)) * 4)
        let pixelPanels = Buffer(byteCount: Int(ep_f32_gemm_packed_b_size(k, pixels, Self.panel)) * 4)
        let dense = WeightPattern.make(.dense, rows: l.outC, cols: k, sparsity: 0, seed: 6)
        let pointwise = l.kernel == 1

        return input.withUnsafeBufferPointer { ib in
            y.withUnsafeMutableBufferPointer { yb in
                bias.withUnsafeBufferPointer { bb in
                    let x = ib.baseAddress!, yp = yb.baseAddress!, bp = bb.baseAddress!
                    // The runtime's dense path: B = the input (1x1) or its im2col, packed into
                    // GEMM panels; A = W.
                    let gemmPath: (UnsafePointer<Float>) -> Void = { w in
                        let packed = gemmPanels.raw.assumingMemoryBound(to: Float.self)
                        if pointwise {
                            ep_f32_gemm_pack_b(k, pixels, gemm.pointee.nr, x, pixels, 1, packed)
                        } else {
                            ep_f32_im2col_packed(&g, gemm.pointee.nr, x, packed)
                        }
                        ep_f32_gemm(gemm, l.outC, pixels, k, w, k, packed, yp, pixels, bp, nil, &params)
                    }
                    // A pixel-format kernel: straight on the NCHW input (1x1) or per im2col panel.
                    func pixelPath(_ kern: UnsafePointer<ep_f32_spmm_pixels_kernel>, _ blob: Buffer) -> () -> Void {
                        return {
                            if pointwise {
                                kern.pointee.run(blob.raw, 0, l.outC, pixels, x, pixels, yp, pixels, bp, &params)
                                return
                            }
                            let packed = pixelPanels.raw.assumingMemoryBound(to: Float.self)
                            ep_f32_im2col_packed(&g, Self.panel, x, packed)
                            for p in stride(from: 0, to: pixels, by: Self.panel) {
                                kern.pointee.run(blob.raw, 0, l.outC, min(Self.panel, pixels - p), packed + p * k,
                                                 Self.panel, yp + p, pixels, bp, &params)
                            }
                        }
                    }
                    var records: [KernelRecord] = []
                    let denseW = dense
                    var baselineName = String(cString: gemm.pointee.name)
                    var baseline: () -> Void = { denseW.withUnsafeBufferPointer { gemmPath($0.baseAddress!) } }
                    var baselineMicros = KernelTiming.single(rounds: rounds, roundMicros: roundMicros, baseline)
                    var denseRecords = [("gemm", baselineName, baselineMicros)]
                    if let dk = PixelFormats.kernel(format: "dense"),
                       let blob = dense.withUnsafeBufferPointer({ PixelFormats.pack(dk, rows: l.outC, cols: k, w: $0.baseAddress!, rs: k, cs: 1) }) {
                        let run = pixelPath(dk, blob)
                        let (b, d) = KernelTiming.paired(rounds: rounds, roundMicros: roundMicros, baseline, run)
                        denseRecords.append(("dense", String(cString: dk.pointee.name), d * baselineMicros / b))
                        if d < b { baseline = run; baselineName = String(cString: dk.pointee.name); baselineMicros = d * baselineMicros / b }
                    }
                    for (format, kernel, us) in denseRecords {
                        records.append(KernelRecord(op: "conv", shape: l.name, batch: 1, dtype: "f32", format: format, kernel: kernel,
                                                    sparsity: 0, achieved_sparsity: 0, us: us, dense_us: baselineMicros,
                                                    dense_kernel: baselineName, speedup: baselineMicros / us))
                    }
                    progress("conv \(l.name): dense \(baselineName)")
                    for kern in PixelFormats.preferred {
                        let f = kern.pointee.format.pointee
                        guard f.block_rows > 0 else { continue }
                        let kind: WeightPattern.Kind = f.block_rows == 1 && f.block_cols == 1
                            ? .unstructured : .blocks(rows: f.block_rows, cols: f.block_cols)
                        for s in sparsities where s > 0 {
                            let w = WeightPattern.make(kind, rows: l.outC, cols: k, sparsity: s, seed: 7)
                            guard let blob = w.withUnsafeBufferPointer({
                                PixelFormats.pack(kern, rows: l.outC, cols: k, w: $0.baseAddress!, rs: k, cs: 1)
                            }) else { continue }
                            let (d, us) = KernelTiming.paired(rounds: rounds, roundMicros: roundMicros, baseline, pixelPath(kern, blob))
                            records.append(KernelRecord(op: "conv", shape: l.name, batch: 1, dtype: "f32",
                                                        format: String(cString: f.name), kernel: String(cString: kern.pointee.name),
                                                        sparsity: s, achieved_sparsity: WeightPattern.zeroFraction(w), us: us,
                                                        dense_us: d, dense_kernel: baselineName, speedup: d / us))
                        }
                    }
                    return records
                }
            }
        }
    }

    /// Depthwise 3x3 on 32 channels of 32x32 (pad 1): the direct kernel. No sparse depthwise kernel
    /// exists (9 taps per channel leave nothing to skip profitably), so only the dense record.
    private func depthwise(progress: (String) -> Void) -> [KernelRecord] {
        let c = 32, size = 32
        var g = ep_conv2d_geometry(in_c: 1, in_h: size, in_w: size, k_h: 3, k_w: 3, stride_h: 1, stride_w: 1,
                                   dil_h: 1, dil_w: 1, pad_top: 1, pad_left: 1, out_h: size, out_w: size)
        var rng = WeightPattern.Random(seed: 8)
        let input = (0..<(c * size * size)).map { _ in rng.nonZero() }
        let w = (0..<(c * 9)).map { _ in rng.nonZero() }
        var y = [Float](repeating: 0, count: c * size * size)
        var params = ep_f32_minmax_params(min: 0, max: .infinity)
        let us = KernelTiming.single(rounds: rounds, roundMicros: roundMicros) {
            ep_f32_dwconv2d(&g, c, input, w, nil, &y, &params)
        }
        progress("conv depthwise: \(String(cString: ep_f32_dwconv2d_name()))")
        return [KernelRecord(op: "conv", shape: "dw3x3 32 32x32", batch: 1, dtype: "f32", format: "dense",
                             kernel: String(cString: ep_f32_dwconv2d_name()), sparsity: 0, achieved_sparsity: 0, us: us,
                             dense_us: us, dense_kernel: String(cString: ep_f32_dwconv2d_name()), speedup: 1)]
    }
}
