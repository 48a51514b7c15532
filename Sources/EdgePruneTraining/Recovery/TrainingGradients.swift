import EdgePruneCore
import EdgePrunePruning

/// Loss gradients of the weights over calibration data, for gradient-based importance (Taylor,
/// SNIP): one forward and backward pass per batch.
public struct TrainingGradients: GradientSource {
    public var batchSize: Int

    public init(batchSize: Int = 64) { self.batchSize = batchSize }

    public func scores(_ method: ImportanceMethod, graph: Graph, weights: [String], data: CalibrationData) throws -> [String: [Float]] {
        guard let labels = data.labels else { throw EdgePruneError(.input, "method '\(method.rawValue)' needs labels for the calibration data (--labels)") }
        let set = LabelledData(inputs: TrainTensor(shape: data.inputs.shape, data: data.inputs.floats), labels: labels)
        let model = try TrainingGraph<Float>(graph, trainable: Set(weights))
        try set.checkLabels(classes: try model.classCount(set.batch([0]).0), what: "calibration data")
        let w = model.parameters
        // taylor: mean over batches of |w · g_batch|; snip: |w · mean g| over all the data.
        var absProducts = w.map { [Double](repeating: 0, count: $0.count) }
        var gradientSum = w.map { [Double](repeating: 0, count: $0.count) }
        var batches = 0
        var start = 0
        while start < set.samples {
            let end = min(start + batchSize, set.samples)
            let (x, y) = set.batch(Array(start..<end)[...])
            let (logits, values) = try model.forward(x)
            let (loss, dLogits) = CrossEntropy.loss(logits: logits, labels: y[...])
            guard loss.isFinite else { throw EdgePruneError(.input, "the loss is \(loss) on calibration samples \(start)..<\(end); gradients cannot be scored") }
            let grads = try model.backward(values: values, logitsGradient: dLogits)
            for p in 0..<w.count {
                for i in 0..<w[p].count {
                    let g = Double(grads[p].data[i])
                    absProducts[p][i] += abs(Double(w[p].data[i]) * g)
                    gradientSum[p][i] += g * Double(end - start)
                }
            }
            batches += 1
            start = end
        }
        var out: [String: [Float]] = [:]
        for (p, name) in model.parameterNames.enumerated() {
            switch method {
            case .snip:
                out[name] = (0..<w[p].count).map { Float(abs(Double(w[p].data[$0]) * gradientSum[p][$0] / Double(set.samples))) }
            default:
                out[name] = absProducts[p].map { Float($0 / Double(batches)) }
            }
        }
        return out
    }
}
