import EdgePruneCore

/// Samples (and optionally integer labels) that data-driven importance scores, sensitivity and
/// the ladder's accuracy column are computed on.
public struct CalibrationData: Sendable {
    /// [samples, ...the model input's shape without its batch dimension].
    public let inputs: Tensor
    public let labels: [Int]?

    public var samples: Int { inputs.shape.first ?? 0 }

    /// Checks the data against the model's single input and first output: shape, dtype, label
    /// count and label range (0 ..< classes, classes read from the first output's last dimension).
    public init(inputs: Tensor, labels: [Int]?, for graph: Graph) throws {
        let ins = graph.runtimeInputs
        guard ins.count == 1 else { throw EdgePruneError(.input, "pruning with calibration data needs a single-input model; this one has \(ins.count) inputs") }
        let info = ins[0]
        guard inputs.dtype == info.dtype else {
            throw EdgePruneError(.input, "calibration data is \(inputs.dtype); the model input '\(info.name)' is \(info.dtype)")
        }
        let n = inputs.shape.first ?? 0
        guard inputs.rank == info.dims.count, n > 0 else {
            throw EdgePruneError(.input, "calibration data has shape \(Shape.describe(inputs.shape)); the model input '\(info.name)' is \(info.shapeDescription) (samples first)")
        }
        for (axis, d) in info.dims.enumerated().dropFirst() {
            if case .fixed(let want) = d, inputs.shape[axis] != want {
                throw EdgePruneError(.input, "calibration data has shape \(Shape.describe(inputs.shape)); the model input '\(info.name)' is \(info.shapeDescription): axis \(axis) must be \(want)")
            }
        }
        if inputs.dtype == .float32 {
            let p = inputs.pointer(as: Float.self), perSample = inputs.count / n
            if let bad = (0..<inputs.count).first(where: { !p[$0].isFinite }) {
                throw EdgePruneError(.input, "calibration sample \(bad / perSample), element \(bad % perSample) is \(p[bad]); calibration data must be finite")
            }
        }
        if let labels {
            guard labels.count == n else {
                throw EdgePruneError(.input, "\(labels.count) labels for \(n) calibration samples; give one label per sample")
            }
            if let classes = CalibrationData.classes(of: graph) {
                if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
                    throw EdgePruneError(.input, "label \(labels[bad]) at index \(bad) is outside the model's \(classes) classes (0...\(classes - 1))")
                }
            } else if let bad = labels.firstIndex(where: { $0 < 0 }) {
                throw EdgePruneError(.input, "label \(labels[bad]) at index \(bad) is negative")
            }
        }
        self.inputs = inputs
        self.labels = labels
    }

    /// Class count from a first output declared [batch, classes] (nil when not declared).
    public static func classes(of graph: Graph) -> Int? {
        guard let out = graph.outputs.first, out.dims.count == 2, case .fixed(let c) = out.dims[1], c > 0 else { return nil }
        return c
    }

    /// Samples start ..< start + count as a tensor sharing this one's storage.
    func batch(_ start: Int, _ count: Int) -> Tensor {
        let sampleBytes = inputs.byteCount / max(samples, 1)
        return Tensor(type: TensorType(inputs.dtype, [count] + inputs.shape.dropFirst()), buffer: inputs.buffer,
                      byteOffset: inputs.byteOffset + start * sampleBytes)
    }
}
