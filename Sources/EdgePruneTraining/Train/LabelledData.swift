import EdgePruneCore

/// Samples and integer labels for training, checked: non-empty, finite, one label per sample,
/// labels inside the model's classes.
public struct LabelledData: Sendable {
    /// [samples, ...sample shape], f32.
    public let inputs: TrainTensor<Float>
    public let labels: [Int]

    public var samples: Int { labels.count }
    var sampleSize: Int { inputs.count / max(samples, 1) }

    public init(inputs: Tensor, labels: [Int], classes: Int?, what: String = "training data") throws {
        guard inputs.dtype == .float32 else { throw EdgePruneError(.input, "\(what) is \(inputs.dtype); training needs f32 samples") }
        let n = inputs.shape.first ?? 0
        guard n > 0, inputs.count > 0 else { throw EdgePruneError(.input, "\(what) is empty (shape \(Shape.describe(inputs.shape)))") }
        guard labels.count == n else { throw EdgePruneError(.input, "\(labels.count) labels for \(n) samples of \(what); give one label per sample") }
        let values = inputs.floats
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw EdgePruneError(.input, "\(what): sample \(bad / (values.count / n)), element \(bad % (values.count / n)) is \(values[bad]); samples must be finite")
        }
        if let bad = labels.firstIndex(where: { label in label < 0 || (classes.map { label >= $0 } ?? false) }) {
            throw EdgePruneError(.input, "\(what): label \(labels[bad]) at index \(bad) is outside the model's \(classes ?? 0) classes")
        }
        self.inputs = TrainTensor(shape: inputs.shape, data: values)
        self.labels = labels
    }

    init(inputs: TrainTensor<Float>, labels: [Int]) {
        self.inputs = inputs
        self.labels = labels
    }

    /// Throws when a label is outside 0..<classes (the model's logits per sample).
    public func checkLabels(classes: Int, what: String) throws {
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw EdgePruneError(.input, "\(what): label \(labels[bad]) at index \(bad) is outside the model's \(classes) classes (0...\(classes - 1))")
        }
    }

    /// The samples at `indices`, as one batch.
    func batch(_ indices: ArraySlice<Int>) -> (TrainTensor<Float>, [Int]) {
        let size = sampleSize
        var data = [Float](repeating: 0, count: indices.count * size)
        for (j, i) in indices.enumerated() {
            for k in 0..<size { data[j * size + k] = inputs.data[i * size + k] }
        }
        return (TrainTensor(shape: [indices.count] + inputs.shape.dropFirst(), data: data), indices.map { labels[$0] })
    }

    /// A seeded split: `fraction` of the samples (at least one, leaving at least one) held out.
    public func split(holdOut fraction: Double, seed: UInt64) throws -> (train: LabelledData, validation: LabelledData) {
        guard samples >= 2 else { throw EdgePruneError(.input, "a validation split needs at least 2 samples; got \(samples)") }
        var order = Array(0..<samples)
        var rng = SplitMix(seed: seed)
        rng.shuffle(&order)
        let held = min(max(Int((Double(samples) * fraction).rounded()), 1), samples - 1)
        let (v, vl) = batch(order[..<held]), (t, tl) = batch(order[held...])
        return (LabelledData(inputs: t, labels: tl), LabelledData(inputs: v, labels: vl))
    }
}

/// A small seeded generator (SplitMix64) so shuffles are reproducible across platforms.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func shuffle<E>(_ a: inout [E]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(next() % UInt64(i + 1))) }
    }
}
