import CEdgeKernels
import EdgePruneCore

/// int8 Linear formats on the same layers, against the same f32 dense baseline.
extension LinearBench {
    nonisolated(unsafe) static let qs8Kernels = LinearFormats.preferredKernels(ep_qs8_linear_list_kernels) {
        UnsafeRawPointer($0.pointee.format)
    }

    /// Records for every int8 format at each sparsity (dense at 0 only); uint8 activations with
    /// zero point 128, per-row weight scales, uint8 output.
    func measureInt8(inputs cols: Int, outputs rows: Int, batch: Int, sparsities: [Double], baseline: Baseline,
                     x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) -> [KernelRecord] {
        var records: [KernelRecord] = []
        let xq = (0..<(batch * cols)).map { i in UInt8(clamping: Int((x[i] * 127).rounded()) + 128) }
        var yq = [UInt8](repeating: 0, count: batch * rows)
        var out = ep_qs8_output_params(y_zero_point: 128, y_unsigned: 1, qmin: 0, qmax: 255)
        for k in Self.qs8Kernels {
            let f = k.pointee.format.pointee
            let kind: WeightPattern.Kind = f.block_rows == 0 ? .dense : .blocks(rows: f.block_rows, cols: f.block_cols)
            let levels = f.block_rows == 0 ? [0.0] : sparsities.filter { $0 > 0 }
            for s in levels {
                let w = WeightPattern.make(kind, rows: rows, cols: cols, sparsity: s, seed: 3)
                var q = [Int8](repeating: 0, count: rows * cols)
                var scales = [Float](repeating: 0, count: rows)
                ep_qs8_quantize_rows(rows, cols, w, cols, 1, &q, &scales)
                let multipliers = scales.map { $0 * (1 / 127) / 0.05 }
                let size = f.packed_size(rows, cols, q, cols, 1)
                guard size > 0 else { continue }
                let blob = Buffer(byteCount: size)
                guard f.pack(rows, cols, q, cols, 1, nil, multipliers, 128, 1, blob.raw) == 0 else { continue }
                let (d, us) = xq.withUnsafeBufferPointer { xb in
                    yq.withUnsafeMutableBufferPointer { yb in
                        KernelTiming.paired(rounds: rounds, roundMicros: roundMicros, { baseline.run(x, y) }) {
                            k.pointee.run(blob.raw, 0, rows, batch, xb.baseAddress, cols, yb.baseAddress, rows, &out)
                        }
                    }
                }
                records.append(KernelRecord(op: "linear", shape: "\(cols)x\(rows)", batch: batch, dtype: "int8",
                                            format: String(cString: f.name), kernel: String(cString: k.pointee.name),
                                            sparsity: s, achieved_sparsity: WeightPattern.zeroFraction(w), us: us,
                                            dense_us: d, dense_kernel: baseline.name, speedup: d / us))
            }
        }
        return records
    }
}
