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
/// computed once per layer and level). Design choices:
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
/// - only Gemm (transA = 0, alpha = beta = 1) and MatMul with a 2-D constant weight are re-fitted.
///   Conv layers are skipped (reported): im2col reconstruction is not implemented yet. Layers
///   without codes (protected) are left alone; their inputs still flow from the re-fitted layers.
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
                var kept: [Float] = []
                kept.reserveCapacity(ladder.keptCount(codes, level: level))
                for e in 0..<codes.count where SparsityLadder.kept(code: codes[e], level: level) { kept.append(fit.weight[e]) }
                weights[t.layer.weight] = kept
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
            default:
                return .failure(Reason(message: "\(node.opType) reconstruction (im2col patches) is not implemented yet; its weights stay masked"))
            }
        }
    }

    struct Fit {
        let weight: [Float]
        let bias: [Float]?
        let report: ReconstructionReport.Layer
    }

    /// One layer at one level: the damped least-squares fit of every output row.
    static func refit(_ t: Target, codes: [UInt8], level: Int, inputs: LayerActivations.Matrix, targets: LayerActivations.Matrix,
                      weight: Tensor, bias: Tensor?, damping: Double, anchor: DampingAnchor) throws -> Fit {
        let layer = t.layer
        guard inputs.width == layer.cols else {
            throw EdgePruneError(.unsupported, "layer '\(layer.node)': input '\(layer.input)' has last dimension \(inputs.width); the weight has \(layer.cols) inputs")
        }
        guard targets.width == layer.rows, targets.rows == inputs.rows else {
            throw EdgePruneError(.unsupported, "layer '\(layer.node)': output '\(t.output)' is \(targets.rows) x \(targets.width); want \(inputs.rows) x \(layer.rows)")
        }
        let hasBias = bias != nil
        let cols = layer.cols, m = cols + (hasBias ? 1 : 0), n = inputs.rows
        let x = ColumnMatrix(rowMajor: inputs.values, rows: n, cols: cols)
        let y = ColumnMatrix(rowMajor: targets.values, rows: n, cols: layer.rows)
        let gram = LeastSquares.gram(x, bias: hasBias)
        let cross = LeastSquares.cross(x, y, bias: hasBias)
        var meanDiagonal = 0.0
        for c in 0..<cols { meanDiagonal += gram[c * m + c] }
        meanDiagonal /= Double(max(cols, 1))
        // All-zero inputs (a dead layer): damping alone decides, as an absolute value.
        let lambda = damping * (meanDiagonal > 0 ? meanDiagonal : 1)
        var energy = [Double](repeating: 0, count: layer.rows)
        y.data.withUnsafeBufferPointer { yb in
            for r in 0..<layer.rows {
                var s = 0.0
                for k in 0..<n { s += yb[r * n + k] * yb[r * n + k] }
                energy[r] = s
            }
        }

        let dense = weight.floats
        let denseBias = bias?.floats
        var outWeight = [Float](repeating: 0, count: layer.count)
        var outBias = denseBias
        struct RowResult { var retried = false, failed = false, maskedBetter = false, maskedError = 0.0, error = 0.0 }
        var results = [RowResult](repeating: RowResult(), count: layer.rows)
        outWeight.withUnsafeMutableBufferPointer { wb in
            results.withUnsafeMutableBufferPointer { rb in
                let w = UncheckedBox(wb.baseAddress!), res = UncheckedBox(rb.baseAddress!)
                var biasStorage = outBias ?? []
                biasStorage.withUnsafeMutableBufferPointer { bb in
                    let b = UncheckedBox(bb.baseAddress)
                    LeastSquares.parallelFor(layer.rows) { r in
                        var kept: [Int] = []
                        for c in 0..<cols where SparsityLadder.kept(code: codes[layer.index(row: r, col: c)], level: level) { kept.append(c) }
                        let columns = kept + (hasBias ? [cols] : [])
                        let k = columns.count
                        guard k > 0 else {
                            // Nothing kept and no bias: the row outputs 0 either way.
                            res.value[r] = RowResult(maskedError: energy[r], error: energy[r])
                            return
                        }
                        var a0 = [Double](repeating: 0, count: k * k)
                        var rhs = [Double](repeating: 0, count: k)
                        var masked = [Double](repeating: 0, count: k)
                        for (i, ci) in columns.enumerated() {
                            for (j, cj) in columns.enumerated() { a0[i * k + j] = gram[ci * m + cj] }
                            rhs[i] = cross[r * m + ci]
                            masked[i] = ci == cols ? Double(denseBias![r]) : Double(dense[layer.index(row: r, col: ci)])
                        }
                        var result = RowResult()
                        var solution: [Double]? = nil
                        var l = lambda
                        for attempt in 0...3 {
                            var a = a0, s = rhs
                            for i in 0..<k where columns[i] != cols || attempt > 0 {
                                a[i * k + i] += l
                                if anchor == .dense { s[i] += l * masked[i] }
                            }
                            if LeastSquares.choleskySolve(&a, &s, m: k) { solution = s; break }
                            result.retried = true
                            l *= 10
                        }
                        // Squared error against the targets, up to the constant y^T y.
                        func error(_ v: [Double]) -> Double {
                            var e = 0.0
                            for i in 0..<k {
                                var av = 0.0
                                for j in 0..<k { av += a0[i * k + j] * v[j] }
                                e += v[i] * av - 2 * v[i] * rhs[i]
                            }
                            return e
                        }
                        let maskedError = error(masked)
                        result.maskedError = max(energy[r] + maskedError, 0)
                        var chosen = masked
                        if let solution {
                            let e = error(solution)
                            if e <= maskedError && solution.allSatisfy({ Float($0).isFinite }) {
                                chosen = solution
                                result.error = max(energy[r] + e, 0)
                            } else {
                                result.maskedBetter = true
                                result.error = result.maskedError
                            }
                        } else {
                            result.failed = true
                            result.error = result.maskedError
                        }
                        for (i, ci) in columns.enumerated() {
                            if ci == cols { b.value![r] = Float(chosen[i]) } else { w.value[layer.index(row: r, col: ci)] = Float(chosen[i]) }
                        }
                        res.value[r] = result
                    }
                }
                if hasBias { outBias = biasStorage }
            }
        }
        let total = max(energy.reduce(0, +), .leastNormalMagnitude)
        let report = ReconstructionReport.Layer(
            level: level, node: layer.node, weight: layer.weight, bias: t.bias, calibrationRows: n,
            maskedError: results.reduce(0) { $0 + $1.maskedError } / total, reconstructedError: results.reduce(0) { $0 + $1.error } / total,
            retriedRows: results.filter(\.retried).count, failedRows: results.filter(\.failed).count,
            maskedBetterRows: results.filter(\.maskedBetter).count)
        return Fit(weight: outWeight, bias: outBias, report: report)
    }
}
