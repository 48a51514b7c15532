import EdgePruneCore

/// Loss gradients for gradient-based importance (first-order Taylor). The recovery (fine-tuning)
/// module provides one; pruning only consumes it.
public protocol GradientSource {
    /// dLoss/dw averaged over the calibration samples, per weight initializer, in element order.
    func meanGradients(_ graph: Graph, weights: [String], data: CalibrationData) throws -> [String: [Float]]
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
        case .taylor:
            guard let gradients else { throw EdgePruneError(.unsupported, "method 'taylor' needs a gradient source") }
            guard let data else { throw EdgePruneError(.input, "method 'taylor' needs calibration data (--calib)") }
            let g = try gradients.meanGradients(graph, weights: layers.map(\.weight), data: data)
            return try Dictionary(uniqueKeysWithValues: layers.map { layer in
                guard let gw = g[layer.weight], gw.count == layer.count else {
                    throw EdgePruneError(.invalidModel, "the gradient source gave no gradient of the right size for '\(layer.weight)'")
                }
                let w = graph.initializers[layer.weight]!.floats
                return (layer.weight, zip(w, gw).map { abs($0 * $1) })
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
