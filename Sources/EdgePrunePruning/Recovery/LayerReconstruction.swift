import EdgePruneCore
import Foundation

/// Label-free recovery of a pruned ladder by layer-wise reconstruction (OBC / SparseGPT style).
///
/// For every level L of the ladder, the coded layers are visited in graph order. Layer i's inputs
/// X̂ are its input activations in the model at level L with layers before i already
/// re-fitted (so errors do not pile up through the network); its targets Y are the dense
/// model's (level 0) outputs of layer i, before any activation, on the same calibration samples.
/// Per output row r, over the columns S kept in that row at level L (plus a column of ones when
/// the layer has a bias of its own: the bias correction), the damped least squares
///
///     (X̂_S^T X̂_S + λ I) w = X̂_S^T y_r,   λ = damping × mean(diag(X̂^T X̂))
///
/// is solved by Cholesky in Double on the gathered Gram submatrix (the full Gram and X̂^T Y are
/// computed once per layer, level and group). With `anchor: .dense` the right side gains
/// λ w_dense,S, pulling the kept weights towards their dense values instead of 0 (DampingAnchor).
/// Design choices:
/// - the ones column (bias) is not damped on the first attempt: with the weight columns damped
///   the system is already positive definite, and damping the intercept would pull it to 0;
/// - a failed factorisation (non-positive pivot) is retried with λ × 10, up to 3 times, now
///   damping the bias too; a row that still fails keeps its masked weights (never NaN);
/// - a row keeps its masked weights (and dense bias) when they fit the targets better than the
///   damped solution (damping can, in principle, cost more than it gains), so a re-fitted layer
///   never reproduces the dense outputs worse than masking, on the inputs it was fitted on;
/// - a row whose kept set is empty keeps only its (re-fitted) bias;
/// - a layer without a bias input (MatMul, Gemm without C) is fitted without an intercept: the
///   graph is not changed to add one, so its mean output shift is only what the weights can fit.
///   A bias added by a separate Add node after a MatMul stays dense;
/// - Gemm (transA = 0, alpha = beta = 1), MatMul with a 2-D constant weight, and 2-D Conv with
///   explicit pads (any groups, depthwise included) are re-fitted. A Conv's calibration rows are
///   its im2col patches (every output position of every sample), and each group is a separate
///   problem over its own input channels x kernel positions. Layers without codes (protected)
///   are left alone; their inputs still flow from the re-fitted layers.
/// Level 0 (the stored model) is never changed; every level is reconstructed on its own, from
/// its masks alone, so the ladder's kept sets stay nested and its levels independent.
public enum LayerReconstruction {
    public struct Options: Sendable {
        public var damping: Double
        /// What the damping pulls the solution towards.
        public var anchor: DampingAnchor
        /// Calibration samples per inference batch while reading activations.
        public var batch: Int
        public init(damping: Double = RecoveryMethod.defaultDamping, anchor: DampingAnchor = .zero, batch: Int = 64) {
            self.damping = damping
            self.anchor = anchor
            self.batch = batch
        }
    }

    /// (stage, done, total): stage "reconstruct level L", done = layers re-fitted so far.
    public typealias Progress = (String, Int, Int) -> Void

    /// Re-fits every level of `graph.ladder` on `data` (labels unused). Returns the ladder's
    /// `levelWeights` (for levels 1...n: the kept values of every re-fitted weight and its whole
    /// re-fitted bias) and what was done. `graph` itself is not changed.
    public static func reconstruct(_ graph: Graph, data: CalibrationData, options: Options = Options(),
                                   makeSession: (Graph) throws -> InferenceSession = { try InferenceSession(graph: $0) },
                                   progress: Progress? = nil) throws -> (levelWeights: [Int: [String: [Float]]], report: ReconstructionReport) {
        try RecoveryMethod.checkDamping(options.damping)
        guard options.batch > 0 else { throw EdgePruneError(.input, "reconstruction batch must be > 0") }
        guard let ladder = graph.ladder, ladder.topLevel >= 1 else {
            throw EdgePruneError(.input, "reconstruction needs a model with a sparsity ladder (levels above 0)")
        }
        guard !ladder.isStructured else {
            throw EdgePruneError(.unsupported, "reconstruction works on weight-level ladders (unstructured, block, nm); channel ladders are compacted and not re-fitted yet")
        }
        guard data.samples > 0 else { throw EdgePruneError(.input, "reconstruction needs calibration samples; the data is empty") }
        let started = Date()
        var skipped: [String] = []
        var targets: [Target] = []
        for layer in PrunableLayers.find(graph) where ladder.codes[layer.weight] != nil {
            switch Target.make(layer, graph: graph) {
            case .success(let t): targets.append(t)
            case .failure(let why): skipped.append("\(layer.node): \(why.message)")
            }
        }
        guard !targets.isEmpty else {
            throw EdgePruneError(.unsupported, "no pruned layer can be reconstructed (\(skipped.joined(separator: "; ")))")
        }

        // The dense targets: every re-fitted layer's output in the stored model, read once.
        var dense = graph
        dense.ladder = nil
        let denseOutputs = try LayerActivations.capture(dense, values: targets.map(\.output), data: data, batch: options.batch,
                                                        what: "dense model", level: 0, makeSession: makeSession)

        var plain = ladder
        plain.levelWeights = [:]
        var withMasks = graph
        withMasks.ladder = plain
        var levelWeights: [Int: [String: [Float]]] = [:]
        var layerReports: [ReconstructionReport.Layer] = []
        for level in 1...ladder.topLevel {
            let stage = "reconstruct level \(level)"
            progress?(stage, 0, targets.count)
            var current = try withMasks.atLadderLevel(level)
            current.ladder = nil
            var weights: [String: [Float]] = [:]
            for (i, t) in targets.enumerated() {
                let codes = ladder.codes[t.layer.weight]!
                let inputs = try LayerActivations.capture(current, values: [t.layer.input], data: data, batch: options.batch,
                                                          what: "layer '\(t.layer.node)' input", level: level,
                                                          makeSession: makeSession)[t.layer.input]!
                let fit = try refit(t, codes: codes, level: level, inputs: inputs, targets: denseOutputs[t.output]!,
                                    weight: graph.initializers[t.layer.weight]!, bias: t.bias.map { graph.initializers[$0]! },
                                    damping: options.damping, anchor: options.anchor)
                let w = graph.initializers[t.layer.weight]!
                current.initializers[t.layer.weight] = Tensor(fit.weight, shape: w.shape)
                weights[t.layer.weight] = SparsityLadder.keptValues(fit.weight, codes: codes, level: level)
                if let b = t.bias, let values = fit.bias {
                    current.initializers[b] = Tensor(values, shape: graph.initializers[b]!.shape)
                    weights[b] = values
                }
                layerReports.append(fit.report)
                progress?(stage, i + 1, targets.count)
            }
            levelWeights[level] = weights
        }
        let report = ReconstructionReport(method: .reconstruct, damping: options.damping, anchor: options.anchor, samples: data.samples, layers: layerReports,
                                          skipped: skipped, seconds: Date().timeIntervalSince(started))
        return (levelWeights, report)
    }

    /// A layer that can be re-fitted: its output value and the bias re-fitted with it.
    struct Target {
        let layer: PrunableLayer
        let output: String
        let bias: String?
        /// Set for a Conv: its window, read from the node's attributes.
        var conv: ConvWindow? = nil

        struct Reason: Error { let message: String }

        static func make(_ layer: PrunableLayer, graph: Graph) -> Result<Target, Reason> {
            let users = graph.nodes.filter { $0.inputs.contains(layer.weight) }
            guard users.count == 1, let node = users.first, node.inputs.count >= 2, node.inputs[1] == layer.weight else {
                return .failure(Reason(message: "weight '\(layer.weight)' is read by \(users.count) nodes; only a weight of one layer is re-fitted"))
            }
            switch node.opType {
            case "Gemm":
                if (node.int("transA") ?? 0) != 0 { return .failure(Reason(message: "Gemm with transA=1 is not reconstructed")) }
                if (node.float("alpha") ?? 1) != 1 || (node.float("beta") ?? 1) != 1 {
                    return .failure(Reason(message: "Gemm with alpha or beta other than 1 is not reconstructed"))
                }
                guard node.inputs.count >= 3, !node.inputs[2].isEmpty else {
                    return .success(Target(layer: layer, output: node.outputs[0], bias: nil))
                }
                let c = node.inputs[2]
                guard let t = graph.initializers[c], t.dtype == .float32, t.count == layer.rows,
                      graph.nodes.filter({ $0.inputs.contains(c) }).count == 1, graph.ladder?.codes[c] == nil else {
                    return .failure(Reason(message: "its bias '\(c)' is not an f32 initializer of one value per output read only by this layer"))
                }
                return .success(Target(layer: layer, output: node.outputs[0], bias: c))
            case "MatMul":
                return .success(Target(layer: layer, output: node.outputs[0], bias: nil))
            case "Conv":
                let window: ConvWindow
                switch ConvWindow.make(node, weightShape: graph.initializers[layer.weight]!.shape) {
                case .success(let w): window = w
                case .failure(let why): return .failure(Reason(message: why.message))
                }
                guard node.inputs.count >= 3, !node.inputs[2].isEmpty else {
                    return .success(Target(layer: layer, output: node.outputs[0], bias: nil, conv: window))
                }
                let c = node.inputs[2]
                guard let t = graph.initializers[c], t.dtype == .float32, t.count == layer.rows,
                      graph.nodes.filter({ $0.inputs.contains(c) }).count == 1, graph.ladder?.codes[c] == nil else {
                    return .failure(Reason(message: "its bias '\(c)' is not an f32 initializer of one value per output read only by this layer"))
                }
                return .success(Target(layer: layer, output: node.outputs[0], bias: c, conv: window))
            default:
                return .failure(Reason(message: "\(node.opType) layers are not reconstructed; its weights stay masked"))
            }
        }
    }

    struct Fit {
        let weight: [Float]
        let bias: [Float]?
        let report: ReconstructionReport.Layer
    }

    /// One layer at one level: the damped least-squares fit of every output row, per group of
    /// rows that read the same columns (one group for Gemm/MatMul; a Conv's groups).
    static func refit(_ t: Target, codes: [UInt8], level: Int, inputs: LayerActivations.Matrix, targets: LayerActivations.Matrix,
                      weight: Tensor, bias: Tensor?, damping: Double, anchor: DampingAnchor) throws -> Fit {
        let layer = t.layer
        var fit = RowFit(layer: layer, codes: codes, level: level, dense: weight.floats, denseBias: bias?.floats,
                         damping: damping, anchor: anchor)
        var calibrationRows = 0
        if let conv = t.conv {
            let patches = try ConvPatches(conv, layer: layer, input: inputs, output: targets, output: t.output)
            calibrationRows = patches.positions
            for g in 0..<layer.groups {
                let (x, y) = patches.group(g)
                fit.solve(x: x, y: y, firstRow: g * (layer.rows / layer.groups))
            }
        } else {
            guard inputs.width == layer.cols else {
                throw EdgePruneError(.unsupported, "layer '\(layer.node)': input '\(layer.input)' has last dimension \(inputs.width); the weight has \(layer.cols) inputs")
            }
            guard targets.width == layer.rows, targets.rows == inputs.rows else {
                throw EdgePruneError(.unsupported, "layer '\(layer.node)': output '\(t.output)' is \(targets.rows) x \(targets.width); want \(inputs.rows) x \(layer.rows)")
            }
            calibrationRows = inputs.rows
            fit.solve(x: ColumnMatrix(rowMajor: inputs.values, rows: inputs.rows, cols: layer.cols),
                      y: ColumnMatrix(rowMajor: targets.values, rows: inputs.rows, cols: layer.rows), firstRow: 0)
        }
        let results = fit.results
        let total = max(results.reduce(0) { $0 + $1.energy }, .leastNormalMagnitude)
        let report = ReconstructionReport.Layer(
            level: level, node: layer.node, weight: layer.weight, bias: t.bias, calibrationRows: calibrationRows,
            maskedError: results.reduce(0) { $0 + $1.maskedError } / total, reconstructedError: results.reduce(0) { $0 + $1.error } / total,
            retriedRows: results.filter(\.retried).count, failedRows: results.filter(\.failed).count,
            maskedBetterRows: results.filter(\.maskedBetter).count)
        return Fit(weight: fit.weight, bias: fit.bias, report: report)
    }
}
