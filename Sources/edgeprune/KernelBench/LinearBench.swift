import CEdgeKernels
import EdgePruneCore
import Foundation

/// One measured (layer, batch, dtype, format, sparsity) point of `bench-kernels`.
struct KernelRecord: Encodable {
    let op: String            // "linear" or "conv"
    let shape: String         // linear: "in x out" (e.g. "1024x10"); conv: "3x3 16->32 32x32"
    let batch: Int
    let dtype: String         // "f32" or "int8"
    let format: String
    let kernel: String
    let sparsity: Double      // requested
    let achieved_sparsity: Double
    let us: Double            // median microseconds per call
    let dense_us: Double      // our f32 dense on the same layer, timed alternately in the same run
    let dense_kernel: String
    let speedup: Double       // dense_us / us
}

/// f32 Linear layers (y = W x + b at batch 1..8) in every weight format the C library lists.
struct LinearBench {
    let rounds: Int
    let roundMicros: Double
    let inputZeros: Double

    /// The dense baseline: the faster of the blocked GEMM and the "dense" Linear format.
    struct Baseline {
        let name: String
        let run: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    }

    func input(batch: Int, cols: Int) -> [Float] {
        var rng = WeightPattern.Random(seed: 77)
        return (0..<(batch * cols)).map { _ in
            Double(rng.below(10_000)) < inputZeros * 10_000 ? 0 : rng.nonZero()
        }
    }

    func measure(inputs cols: Int, outputs rows: Int, batch: Int, sparsities: [Double],
                 progress: (String) -> Void) -> [KernelRecord] {
        let shape = "\(cols)x\(rows)"
        let x = input(batch: batch, cols: cols)
        var y = [Float](repeating: 0, count: batch * rows)
        let bias = WeightPattern.make(.dense, rows: 1, cols: rows, sparsity: 0, seed: 5)
        var records: [KernelRecord] = []
        let dense = WeightPattern.make(.dense, rows: rows, cols: cols, sparsity: 0, seed: 1)

        return x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                bias.withUnsafeBufferPointer { bb in
                    let xp = xb.baseAddress!, yp = yb.baseAddress!, bp = bb.baseAddress!
                    // Dense candidates on the dense matrix.
                    var params = ep_f32_minmax_params(min: -.infinity, max: .infinity)
                    let gemm = ep_f32_gemm_get_config()!
                    let packedB = dense.withUnsafeBufferPointer {
                        Buffer.packedGemmB(k: cols, n: rows, src: $0.baseAddress!, rs: 1, cs: cols)
                    }
                    let gemmRun: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void = { x, y in
                        ep_f32_gemm(gemm, batch, rows, cols, x, cols, packedB.raw.assumingMemoryBound(to: Float.self),
                                    y, rows, nil, bp, &params)
                    }
                    var baseline = Baseline(name: String(cString: gemm.pointee.name), run: gemmRun)
                    var baselineMicros = KernelTiming.single(rounds: rounds, roundMicros: roundMicros) { gemmRun(xp, yp) }
                    var denseRecords: [(String, String, Double)] = [("gemm", baseline.name, baselineMicros)]
                    for k in LinearFormats.preferred {
                        let f = k.pointee.format.pointee
                        guard f.block_rows == 0, f.nm_m == 0,
                              let packed = dense.withUnsafeBufferPointer({
                                  LinearFormats.pack(k, rows: rows, cols: cols, w: $0.baseAddress!, rs: cols, cs: 1)
                              }) else { continue }
                        let run: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void = { x, y in
                            k.pointee.run(packed.raw, 0, rows, batch, x, cols, y, rows, bp, &params)
                        }
                        let (g, d) = KernelTiming.paired(rounds: rounds, roundMicros: roundMicros,
                                                         { baseline.run(xp, yp) }, { run(xp, yp) })
                        let name = String(cString: k.pointee.name)
                        denseRecords.append((String(cString: f.name), name, d * baselineMicros / g))
                        if d < g {
                            baseline = Baseline(name: name, run: run)
                            baselineMicros = d * baselineMicros / g
                        }
                    }
                    for (format, kernel, us) in denseRecords {
                        records.append(KernelRecord(op: "linear", shape: shape, batch: batch, dtype: "f32", format: format,
                                                    kernel: kernel, sparsity: 0, achieved_sparsity: 0, us: us,
                                                    dense_us: baselineMicros, dense_kernel: baseline.name,
                                                    speedup: baselineMicros / us))
                    }
                    progress("linear \(shape) batch \(batch): dense \(baseline.name) \(String(format: "%.2f", baselineMicros)) us")

                    // Sparse formats, each on weights drawn with its own pattern.
                    for k in LinearFormats.preferred {
                        let f = k.pointee.format.pointee
                        let kind: WeightPattern.Kind
                        if f.nm_m > 0 { kind = .nm(n: f.nm_n, m: f.nm_m) }
                        else if f.block_rows == 1 && f.block_cols == 1 { kind = .unstructured }
                        else if f.block_rows > 0 { kind = .blocks(rows: f.block_rows, cols: f.block_cols) }
                        else { continue }
                        let levels = f.nm_m > 0 ? [1 - Double(f.nm_n) / Double(f.nm_m)] : sparsities.filter { $0 > 0 }
                        for s in levels {
                            let w = WeightPattern.make(kind, rows: rows, cols: cols, sparsity: s, seed: 2)
                            guard let packed = w.withUnsafeBufferPointer({
                                LinearFormats.pack(k, rows: rows, cols: cols, w: $0.baseAddress!, rs: cols, cs: 1)
                            }) else { continue }
                            let (d, us) = KernelTiming.paired(rounds: rounds, roundMicros: roundMicros, { baseline.run(xp, yp) }) {
                                k.pointee.run(packed.raw, 0, rows, batch, xp, cols, yp, rows, bp, &params)
                            }
                            records.append(KernelRecord(op: "linear", shape: shape, batch: batch, dtype: "f32",
                                                        format: String(cString: f.name), kernel: String(cString: k.pointee.name),
                                                        sparsity: s, achieved_sparsity: WeightPattern.zeroFraction(w), us: us,
                                                        dense_us: d, dense_kernel: baseline.name, speedup: d / us))
                        }
                    }
                    records += measureInt8(inputs: cols, outputs: rows, batch: batch, sparsities: sparsities,
                                           baseline: baseline, x: xp, y: yp)
                    return records
                }
            }
        }
    }
}
