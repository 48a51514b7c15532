import EdgePruneCore

/// f32 against int8 on labelled data, level by level: what `edgeprune quantize --labels` prints
/// (on the calibration data, so a quick sanity check, not a test-set figure).
public enum QuantizationCheck {
    public struct Level: Sendable, Encodable {
        public let level: Int
        public let f32Accuracy: Double
        public let int8Accuracy: Double
        /// Share of samples where int8 and f32 predict the same class.
        public let agreement: Double
    }

    public static func compare(f32 original: Graph, int8 quantized: Graph, data: CalibrationData, levels: Int,
                               progress: PostTrainingQuantizer.Progress? = nil) throws -> [Level] {
        guard let labels = data.labels else { throw EdgePruneError(.input, "comparing accuracy needs labels") }
        let fixed = KernelPolicy(linearFormat: "gemm", convFormat: "gemm")
        var out: [Level] = []
        for level in 0..<levels {
            let a = try Evaluator.predict(try InferenceSession(graph: try PrunedLevels.graph(original, level: level), policy: fixed),
                                          data: data.inputs, batch: 64)
            let b = try Evaluator.predict(try InferenceSession(graph: try PrunedLevels.graph(quantized, level: level), policy: fixed),
                                          data: data.inputs, batch: 64)
            let n = Double(labels.count)
            out.append(Level(level: level,
                             f32Accuracy: Double(zip(a, labels).filter { $0 == $1 }.count) / n,
                             int8Accuracy: Double(zip(b, labels).filter { $0 == $1 }.count) / n,
                             agreement: Double(zip(a, b).filter { $0 == $1 }.count) / n))
            progress?("check", level + 1, levels)
        }
        return out
    }
}
