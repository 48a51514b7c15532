import CEdgeKernels

/// How the planner picks the weight format and kernel of a Linear layer (Gemm or MatMul with a
/// constant weight).
public struct KernelPolicy: Sendable, Equatable {
    /// nil: time every format the weight fits (a short probe at load) and keep the fastest.
    /// "gemm": always the blocked dense GEMM. Any other value names a Linear weight format
    /// ("dense", "csr", "bsr8x1", "nm2:4", ...): used when the weight fits it, else GEMM.
    public var linearFormat: String?
    /// The same for convolutions (group 1): nil measures; "gemm" is im2col + GEMM; or a
    /// sparse-weight x pixels format ("dense", "csr", "bsr4x1").
    public var convFormat: String?
    /// Per-layer overrides by node name: "gemm" or a format name, used for that node instead of
    /// linearFormat/convFormat. A level switch re-uses the choices an earlier (measured) plan made
    /// (`ExecutionPlan.weightFormats`), so re-planning skips the probe.
    public var layerFormats: [String: String]

    public init(linearFormat: String? = nil, convFormat: String? = nil, layerFormats: [String: String] = [:]) {
        self.linearFormat = linearFormat
        self.convFormat = convFormat
        self.layerFormats = layerFormats
    }

    /// The policy one node is planned with: its layerFormats entry, if any, forces both formats.
    public func resolved(for node: String) -> KernelPolicy {
        guard let forced = layerFormats[node] else { return self }
        return KernelPolicy(linearFormat: forced, convFormat: forced)
    }

    /// Formats below this zero fraction are not probed: a sparse format cannot win there.
    static let minimumZeroFractionForSparse = 0.2
    /// Largest batch (rows of X) the Linear formats are timed for; above it, GEMM.
    static let maximumFormatBatch = 64
}

/// Chooses between the blocked GEMM and the Linear weight formats by measuring them on the layer
/// itself: every candidate runs on the same probe input and the fastest median wins, so a sparse
/// format is only chosen where it is faster on this machine.
enum LinearSelection {
    struct Choice {
        /// nil: use the GEMM path.
        let kernel: UnsafePointer<ep_f32_linear_kernel>?
        let packed: Buffer?
        /// "csr, 92.8% zeros, 3.10x dense" for inspect.
        let why: String
    }

    /// W is rows (outputs) x cols (inputs), element (n, k) at w[n*rs + k*cs], already scaled.
    static func choose(policy: KernelPolicy, batch: Int, rows: Int, cols: Int, w: UnsafePointer<Float>,
                       rs: Int, cs: Int, bias: UnsafePointer<Float>?) -> Choice {
        let zeros = LinearFormats.zeroFraction(rows: rows, cols: cols, w: w, rs: rs, cs: cs)
        let zeroText = String(format1: zeros * 100) + "% zeros"
        if let name = policy.linearFormat {
            if name != "gemm", let k = LinearFormats.kernel(format: name),
               let packed = LinearFormats.pack(k, rows: rows, cols: cols, w: w, rs: rs, cs: cs) {
                return Choice(kernel: k, packed: packed, why: "\(name), \(zeroText), forced")
            }
            return Choice(kernel: nil, packed: nil, why: "gemm, \(zeroText), \(name == "gemm" ? "forced" : "\(name) does not fit")")
        }
        guard batch <= KernelPolicy.maximumFormatBatch, rows > 0, cols > 0 else {
            return Choice(kernel: nil, packed: nil, why: "gemm, batch \(batch)")
        }
        // Probe input: deterministic values with a quarter zeros (like Relu outputs).
        var x = [Float](repeating: 0, count: batch * cols)
        var state: UInt32 = 2463534242
        for i in x.indices {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            x[i] = state % 4 == 0 ? 0 : Float(state % 2001) / 1000 - 1
        }
        var y = [Float](repeating: 0, count: batch * rows)
        var params = ep_f32_minmax_params(min: -.infinity, max: .infinity)

        // The GEMM path, as GemmKernel runs it.
        let gemm = ep_f32_gemm_get_config()!
        let packedB = Buffer.packedGemmB(k: cols, n: rows, src: w, rs: cs, cs: rs)
        let bp = UnsafePointer(packedB.raw.assumingMemoryBound(to: Float.self))
        var best = x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                LinearFormats.medianMicros {
                    ep_f32_gemm(gemm, batch, rows, cols, xp.baseAddress, cols, bp, yp.baseAddress, rows, nil, bias, &params)
                }
            }
        }
        let gemmMicros = best
        var choice = Choice(kernel: nil, packed: nil, why: "gemm, \(zeroText), measured")
        for k in LinearFormats.preferred {
            let f = k.pointee.format.pointee
            let sparse = f.block_rows != 0 || f.nm_m != 0
            if sparse && zeros < KernelPolicy.minimumZeroFractionForSparse { continue }
            guard let packed = LinearFormats.pack(k, rows: rows, cols: cols, w: w, rs: rs, cs: cs) else { continue }
            let micros = x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    LinearFormats.medianMicros {
                        k.pointee.run(packed.raw, 0, rows, batch, xp.baseAddress, cols, yp.baseAddress, rows, bias, &params)
                    }
                }
            }
            // A candidate must beat the best so far by 3%: noise must not flip a layer to a
            // format that is not really faster.
            if micros < best * 0.97 {
                best = micros
                let name = String(cString: f.name)
                choice = Choice(kernel: k, packed: packed,
                                why: "\(name), \(zeroText), \(String(format2: gemmMicros / micros))x gemm, measured")
            }
        }
        return choice
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 v: Double) { self = String(Double((v * 10).rounded()) / 10) }
    /// Two decimal places, without Foundation.
    init(format2 v: Double) {
        let r = Int((v * 100).rounded())
        self = "\(r / 100)." + (r % 100 < 10 ? "0" : "") + "\(r % 100)"
    }
}
