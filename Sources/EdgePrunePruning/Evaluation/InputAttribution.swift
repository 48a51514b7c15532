import EdgePruneCore

/// Importance of each input unit (feature or channel) to a model's first output.
public struct AttributionResult: Codable, Sendable, Equatable {
    /// "feature" (one input element per sample) or "channel" (axis 1 of the input, all its
    /// positions together).
    public let unit: String
    /// Shape the units index into: the per-sample input shape for features, [channels] for
    /// channels. Feature i is the i-th element of a sample in row-major order.
    public let unitShape: [Int]
    /// One value per unit, ≥ 0; see `InputAttribution.occlusion` for the formula.
    public let importance: [Double]
    /// Samples the importances were averaged over.
    public let samples: Int

    public init(unit: String, unitShape: [Int], importance: [Double], samples: Int) {
        self.unit = unit
        self.unitShape = unitShape
        self.importance = importance
        self.samples = samples
    }
}

/// How much one input unit's importance fell from a reference model (level 0) to another.
public struct AttributionDrop: Codable, Sendable, Equatable {
    public let index: Int
    public let before: Double
    public let after: Double
    /// before − after (> 0: the unit matters less in the pruned model).
    public let drop: Double
}

public enum InputAttribution {
    /// Inputs with more features per sample than this are attributed per channel.
    public static let maxFeatureUnits = 256
    /// Samples per inference batch while occluding.
    static let batch = 32

    /// Importance of each input feature (or input channel for inputs of rank ≥ 3 with more than
    /// 256 features per sample; `unit` says which) by occlusion:
    ///
    ///     importance[u] = 1/(S·O) · Σ_s Σ_o |f(x_s)_o − f(x_s with unit u set to its mean)_o|
    ///
    /// where f is the first output (O values per sample), the mean of each input element is taken
    /// over all of `data`, and the S ≤ `maxSamples` samples are spread evenly over `data`
    /// (sample ⌊i·N/S⌋ for i in 0..<S). Deterministic. Costs units × S sample inferences.
    /// `progress(done, total)` counts occluded units × batches.
    public static func occlusion(_ session: InferenceSession, data: Tensor, maxSamples: Int = 256,
                                 progress: ((Int, Int) -> Void)? = nil) throws -> AttributionResult {
        guard maxSamples >= 1 else { throw EdgePruneError(.input, "attribution needs maxSamples >= 1, got \(maxSamples)") }
        let batches = try SampleBatches(session, data: data, what: "input attribution")
        guard data.dtype == .float32 else {
            throw EdgePruneError(.unsupported, "input attribution needs an f32 input; input '\(batches.input.name)' is \(data.dtype)")
        }
        let n = batches.samples
        let features = data.count / n
        let sampleShape = batches.sampleShape
        // Units: element ranges [start, start + length) within one sample.
        let unit: String, unitShape: [Int], unitCount: Int, unitLength: Int
        if features > maxFeatureUnits, sampleShape.count >= 2, sampleShape[0] >= 1 {
            unit = "channel"
            unitCount = sampleShape[0]
            unitShape = [unitCount]
            unitLength = features / unitCount
        } else {
            unit = "feature"
            unitCount = features
            unitShape = sampleShape
            unitLength = 1
        }

        let x = data.pointer(as: Float.self)
        var mean = [Double](repeating: 0, count: features)
        for s in 0..<n { for f in 0..<features { mean[f] += Double(x[s * features + f]) } }
        let baseline = mean.map { Float($0 / Double(n)) }

        let m = min(maxSamples, n)
        let picked = (0..<m).map { $0 * n / m }
        let chunks = (m + batch - 1) / batch
        let total = chunks * unitCount
        var done = 0
        progress?(0, total)
        var sums = [Double](repeating: 0, count: unitCount)
        var outputsPerSample = 0
        var work = [Float](repeating: 0, count: batch * features)
        for chunk in 0..<chunks {
            let rows = Array(picked[(chunk * batch)..<min(m, (chunk + 1) * batch)])
            let b = rows.count
            for (r, s) in rows.enumerated() {
                for f in 0..<features { work[r * features + f] = x[s * features + f] }
            }
            let plan = try batches.plan(batch: b)
            let outCount = plan.outputs[0].type.count
            outputsPerSample = outCount / b
            let reference = work.withUnsafeBytes { Array(UnsafeBufferPointer(start: batches.run(plan, from: $0.baseAddress!, count: b), count: outCount)) }
            for u in 0..<unitCount {
                let start = u * unitLength
                work.withUnsafeMutableBufferPointer { w in
                    for r in 0..<b { for f in start..<(start + unitLength) { w[r * features + f] = baseline[f] } }
                }
                let occluded = work.withUnsafeBytes { batches.run(plan, from: $0.baseAddress!, count: b) }
                var sum = 0.0
                for i in 0..<outCount { sum += Double(abs(occluded[i] - reference[i])) }
                sums[u] += sum
                work.withUnsafeMutableBufferPointer { w in
                    for (r, s) in rows.enumerated() {
                        for f in start..<(start + unitLength) { w[r * features + f] = x[s * features + f] }
                    }
                }
                done += 1
                progress?(done, total)
            }
        }
        let scale = Double(m * max(outputsPerSample, 1))
        return AttributionResult(unit: unit, unitShape: unitShape, importance: sums.map { $0 / scale }, samples: m)
    }

    /// The `top` units whose importance fell most from `reference` to `level` (positive drops
    /// only, largest first, ties by index). Both results must describe the same units.
    public static func drops(from reference: AttributionResult, to level: AttributionResult, top: Int = 5) throws -> [AttributionDrop] {
        guard reference.unit == level.unit, reference.importance.count == level.importance.count else {
            throw EdgePruneError(.input, "attributions differ in units (\(reference.importance.count) \(reference.unit)s vs \(level.importance.count) \(level.unit)s)")
        }
        let all = zip(reference.importance, level.importance).enumerated().map {
            AttributionDrop(index: $0.offset, before: $0.element.0, after: $0.element.1, drop: $0.element.0 - $0.element.1)
        }
        return Array(all.filter { $0.drop > 0 }.sorted { $0.drop != $1.drop ? $0.drop > $1.drop : $0.index < $1.index }.prefix(max(top, 0)))
    }
}
