import EdgePruneCore

/// Post-training int8 quantisation (PTQ) of the Gemm/MatMul/Conv layers of a model, pruned or not.
///
/// What it produces: the model's graph, unchanged but for `Int8LinearParams` on every quantisable
/// Gemm/MatMul/Conv node: the uint8 range of its input and of its output (after the Relu the
/// runtime fuses into it), calibrated by running the f32 model, as the runtime prepares it, on the
/// calibration data. The runtime then runs those layers on the int8 kernels, quantising the
/// weights per output channel (symmetric int8) at prepare; everything else stays f32.
///
/// Sparsity ladders: the activation ranges are shared by every level, calibrated over the
/// activations of all levels together (each level's masked f32 model on the same data): one set
/// of attributes serves every level, so `Graph.atLadderLevel`, the level switch and the .epm
/// ladder need nothing new, and no level's activations fall outside the range. Weight scales are
/// per level: computed at prepare from that level's masked weights, so pruned weights are exactly
/// 0 in int8 and a level whose surviving weights are smaller gets a finer scale.
///
/// Quantisable: Gemm (transA = 0, constant 2-D B, C absent or a constant bias along N), MatMul
/// (constant 2-D B, optional fused bias) and group-1 Conv (1-D or 2-D, constant weight and bias),
/// with no fused activation or a fused Relu. Depthwise/grouped Conv and everything else stay f32
/// (listed as skipped with the reason).
public enum PostTrainingQuantizer {
    public typealias Progress = (String, Int, Int) -> Void

    public struct Options: Sendable {
        public var method: RangeMethod
        /// Calibration batch size.
        public var batch: Int
        /// Also quantise group-1 Conv layers. Off by default: the int8 Linear kernels the int8 Conv
        /// runs on loop over pixels one at a time (GEMV-shaped), so on the digits CNN int8 Conv is
        /// about half as fast as the f32 im2col + GEMM (docs/int8.md); it is exact (QDQ-equal) and
        /// there for the accuracy and interop, not for speed yet.
        public var includeConv: Bool
        public init(method: RangeMethod = .minMax, batch: Int = 64, includeConv: Bool = false) {
            self.method = method
            self.batch = batch
            self.includeConv = includeConv
        }
    }

    public struct Layer: Sendable, Encodable {
        public let node: String
        public let opType: String
        public let inputLo: Float, inputHi: Float
        public let outputLo: Float, outputHi: Float
        public let xScale: Float, xZeroPoint: Int32
        public let yScale: Float, yZeroPoint: Int32
    }

    public struct Outcome: Sendable {
        public let graph: Graph
        public let layers: [Layer]
        /// "node: reason" for Gemm/MatMul/Conv layers left in f32.
        public let skipped: [String]
        /// Ladder levels the ranges were calibrated on.
        public let levels: Int
    }

    public static func quantize(_ graph: Graph, data: CalibrationData, options: Options = Options(),
                                progress: Progress? = nil) throws -> Outcome {
        guard data.samples > 0 else {
            throw EdgePruneError(.input, "calibration data is empty (0 samples); give at least one sample")
        }
        if case .percentile(let p) = options.method, !(p > 50 && p <= 100) {
            throw EdgePruneError(.input, "percentile must be in (50, 100], got \(p)")
        }
        guard options.batch >= 1 else { throw EdgePruneError(.input, "calibration batch must be >= 1") }
        if let ladder = graph.ladder, ladder.isStructured {
            throw EdgePruneError(.unsupported, "int8 quantisation of a channel-pruned ladder is not supported (levels change layer shapes); quantise an exported level instead")
        }
        // The model as given (the ladder's codes name its weights), without earlier quantisation:
        // calibration runs f32. Each level is masked first and optimised after (folding and fusion
        // may rename or rewrite weights), exactly as the runtime prepares a level.
        var base = graph
        for i in base.nodes.indices { Int8LinearParams.remove(from: &base.nodes[i]) }
        let g0 = try GraphPasses.optimize(base)

        // Targets by node name: the optimiser keeps a layer's name (a fused Relu or bias, a folded
        // BatchNormalization land on it), and the attributes go on the model's node of that name.
        let baseNames = base.nodes.map(\.name)
        var targets: [String] = []
        var skipped: [String] = []
        for node in g0.nodes where ["Gemm", "MatMul", "Conv"].contains(node.opType) {
            var reason = unsupportedReason(node, g0)
            if reason == nil && node.opType == "Conv" && !options.includeConv {
                reason = "Conv stays f32 unless Conv quantisation is asked for (int8 Conv is slower than f32 on the current kernels)"
            }
            if reason == nil && (node.name.isEmpty || baseNames.filter({ $0 == node.name }).count != 1) {
                reason = "node name is empty or not unique"
            }
            if let reason { skipped.append("\(node.name.isEmpty ? node.opType : node.name): \(reason)") } else { targets.append(node.name) }
        }
        guard !targets.isEmpty else {
            throw EdgePruneError(.unsupported, "the model has no Gemm/MatMul/Conv layer int8 quantisation supports" + (skipped.isEmpty ? "" : " (\(skipped.joined(separator: "; ")))"))
        }
        var inputRanges = Dictionary(uniqueKeysWithValues: targets.map { ($0, ActivationRange(method: options.method)) })
        var outputRanges = inputRanges
        var relu: [String: Bool] = [:]

        let levelCount = (base.ladder?.topLevel ?? 0) + 1
        let batches = (data.samples + options.batch - 1) / options.batch
        for level in 0..<levelCount {
            var lg = try GraphPasses.optimize(try base.atLadderLevel(level))
            lg.ladder = nil
            let inputName = lg.runtimeInputs.first?.name ?? ""
            var values: [String: (String, String)] = [:]
            for name in targets {
                guard let node = lg.nodes.first(where: { $0.name == name }) else {
                    throw EdgePruneError(.invalidModel, "layer '\(name)' is missing at level \(level)")
                }
                values[name] = (node.inputs[0], node.outputs[0])
                if level == 0, case .relu? = FusedActivation.read(node) { relu[name] = true }
            }
            for (x, y) in values.values {
                for v in [x, y] where v != inputName && !lg.outputs.contains(where: { $0.name == v }) {
                    lg.outputs.append(ValueInfo(name: v, dtype: .float32, dims: []))
                }
            }
            let session = try InferenceSession(graph: lg, policy: KernelPolicy(linearFormat: "gemm", convFormat: "gemm"))
            var start = 0, done = 0
            while start < data.samples {
                let b = min(options.batch, data.samples - start)
                let feed = data.batch(start, b)
                var outs = try session.run([inputName: feed])
                outs[inputName] = feed
                func add(_ v: String, into range: inout ActivationRange) throws {
                    guard let t = outs[v], t.dtype == .float32 else {
                        throw EdgePruneError(.invalidModel, "activation '\(v)' was not produced as f32")
                    }
                    let p = t.pointer(as: Float.self)
                    if let bad = (0..<t.count).first(where: { !p[$0].isFinite }) {
                        throw EdgePruneError(.input, "activation '\(v)' is \(p[bad]) on calibration sample \(start + bad / max(1, t.count / b)) at level \(level); calibration needs finite activations")
                    }
                    range.add(p, t.count)
                }
                for name in targets {
                    try add(values[name]!.0, into: &inputRanges[name]!)
                    try add(values[name]!.1, into: &outputRanges[name]!)
                }
                start += b
                done += 1
                progress?(levelCount > 1 ? "calibrate level \(level)" : "calibrate", done, batches)
            }
        }

        var layers: [Layer] = []
        for name in targets {
            let i = base.nodes.firstIndex { $0.name == name }!
            let (xlo, xhi) = inputRanges[name]!.range()!
            var (ylo, yhi) = outputRanges[name]!.range()!
            if relu[name] == true { ylo = 0; yhi = max(yhi, 0) }
            let x = Int8LinearParams.activation(lo: xlo, hi: xhi)
            let y = Int8LinearParams.activation(lo: ylo, hi: yhi)
            let params = Int8LinearParams(xScale: x.scale, xZeroPoint: x.zeroPoint, yScale: y.scale, yZeroPoint: y.zeroPoint)
            params.write(into: &base.nodes[i])
            layers.append(Layer(node: name, opType: base.nodes[i].opType, inputLo: xlo, inputHi: xhi, outputLo: ylo, outputHi: yhi,
                                xScale: x.scale, xZeroPoint: x.zeroPoint, yScale: y.scale, yZeroPoint: y.zeroPoint))
        }
        var g = base
        g.metadata["edgeprune.quantization"] = "int8 ptq: per-channel symmetric int8 weights, uint8 activations (\(options.method)), \(data.samples) calibration samples, \(levelCount) level\(levelCount == 1 ? "" : "s")"
        return Outcome(graph: g, layers: layers, skipped: skipped, levels: levelCount)
    }

    /// Why the runtime cannot run `node` on the int8 kernels (nil: it can).
    static func unsupportedReason(_ node: Node, _ g: Graph) -> String? {
        switch node.opType {
        case "Gemm", "MatMul", "Conv": break
        default: return "\(node.opType) stays f32"
        }
        if let f = FusedActivation.read(node) {
            guard case .relu = f else { return "fused \(f.name) (int8 fuses Relu only)" }
        } else if node.string(FusedActivation.key) != nil {
            return "unknown fused activation"
        }
        if node.opType == "Conv" {
            guard node.inputs.count >= 2, let w = g.initializers[node.inputs[1]], w.dtype == .float32, w.rank == 3 || w.rank == 4 else {
                return "weight is not a constant 1-D/2-D convolution weight"
            }
            if (node.int("group") ?? 1) != 1 { return "group \(node.int("group") ?? 1) (int8 covers group-1 convolutions)" }
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                guard let b = g.initializers[node.inputs[2]], b.dtype == .float32, b.shape == [w.shape[0]] else { return "bias is not constant" }
            }
            return nil
        }
        guard node.inputs.count >= 2, let w = g.initializers[node.inputs[1]], w.dtype == .float32, w.rank == 2 else {
            return "weight is not a constant 2-D f32 tensor"
        }
        let n: Int
        if node.opType == "Gemm" {
            if (node.int("transA") ?? 0) != 0 { return "transA = 1" }
            n = (node.int("transB") ?? 0) != 0 ? w.shape[0] : w.shape[1]
            if node.inputs.count > 2, !node.inputs[2].isEmpty, (node.float("beta") ?? 1) != 0 {
                guard let c = g.initializers[node.inputs[2]], c.dtype == .float32 else { return "C is not a constant" }
                let padded = [Int](repeating: 1, count: max(0, 2 - c.rank)) + c.shape
                guard c.rank <= 2, padded[0] == 1, padded[1] == n || padded[1] == 1 else { return "C is not a bias along N" }
            }
        } else {
            n = w.shape[1]
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                guard let c = g.initializers[node.inputs[2]], c.dtype == .float32, c.shape == [n] else { return "bias is not a constant [N] vector" }
            }
        }
        return nil
    }
}
