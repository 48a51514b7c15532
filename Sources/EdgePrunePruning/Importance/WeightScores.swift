import EdgePruneCore

/// Gradient-based importance scores (first-order Taylor, SNIP). The training module
/// (EdgePruneTraining.TrainingGradients) provides one; pruning only consumes it.
public protocol GradientSource {
    /// Per weight initializer, in element order: for `taylor`, the mean over calibration batches of
    /// |w · ∂L/∂w| on the batch; for `snip`, |w · ∂L/∂w| with the gradient averaged over all the
    /// calibration data. L is the softmax cross-entropy against the calibration labels.
    func scores(_ method: ImportanceMethod, graph: Graph, weights: [String], data: CalibrationData) throws -> [String: [Float]]
}

/// Per-weight importance scores (see ImportanceMethod for the formulas), by weight name, in the
/// weight tensor's element order.
public enum WeightScores {
    public static func compute(_ method: ImportanceMethod, graph: Graph, layers: [PrunableLayer],
                               data: CalibrationData?, gradients: GradientSource? = nil) throws -> [String: [Float]] {
        var magnitude: [String: [Float]] = [:]
        for layer in layers { magnitude[layer.weight] = graph.initializers[layer.weight]!.floats.map { abs($0) } }
        switch method {
        case .magnitude, .magnitudeL2, .sensitivity:
            return magnitude
        case .taylor, .snip:
            guard let gradients else { throw EdgePruneError(.unsupported, "method '\(method.rawValue)' needs a gradient source") }
            guard let data else { throw EdgePruneError(.input, "method '\(method.rawValue)' needs calibration data (--calib)") }
            let s = try gradients.scores(method, graph: graph, weights: layers.map(\.weight), data: data)
            return try Dictionary(uniqueKeysWithValues: layers.map { layer in
                guard let sw = s[layer.weight], sw.count == layer.count else {
                    throw EdgePruneError(.invalidModel, "the gradient source gave no score of the right size for '\(layer.weight)'")
                }
                return (layer.weight, sw)
            })
        case .activation, .apoz, .ib:
            guard let data else { throw EdgePruneError(.input, "method '\(method.rawValue)' needs calibration data (--calib)") }
            let stats = try ActivationCapture.collect(graph, values: layers.map(\.input), data: data)
            var classes = 0
            if method == .ib {
                guard let labels = data.labels else { throw EdgePruneError(.input, "method 'ib' needs labels for the calibration data (--labels)") }
                classes = CalibrationData.classes(of: graph) ?? (labels.max() ?? 0) + 1
            }
            var out: [String: [Float]] = [:]
            for layer in layers {
                let a = stats[layer.input]!
                let perChannel: [Double]
                switch method {
                case .activation: perChannel = a.meanAbs
                case .apoz: perChannel = a.zeroFraction.map { 1 - $0 }
                default: perChannel = InformationScores.perChannel(a, labels: data.labels!, classes: classes)
                }
                guard perChannel.count == layer.groups * (layer.cols / layer.kernelSize) else {
                    throw EdgePruneError(.unsupported, "layer '\(layer.node)' reads \(perChannel.count) channels of '\(layer.input)' but its weight expects \(layer.groups * (layer.cols / layer.kernelSize))")
                }
                var s = magnitude[layer.weight]!
                for r in 0..<layer.rows {
                    for c in 0..<layer.cols {
                        let i = layer.index(row: r, col: c)
                        s[i] *= Float(perChannel[layer.inputChannel(row: r, col: c)])
                    }
                }
                out[layer.weight] = s
            }
            return out
        }
    }
}
