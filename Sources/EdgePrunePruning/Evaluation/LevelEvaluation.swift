import EdgePruneCore
import Foundation

/// The kernel the planner chose for one Linear or Conv layer.
public struct LayerKernel: Codable, Sendable, Equatable {
    public let node: String
    public let opType: String
    public let kernel: String
}

/// Everything measured for one level of a model (the `eval` and `profile` measurements).
public struct LevelReport: Codable, Sendable {
    public let level: Int
    /// The ladder's sparsity for this level (over the weights pruning touched); for a model
    /// without a ladder, the measured zero fraction of all parameters.
    public let sparsity: Double
    /// nil when no labels were given.
    public let classification: ClassificationReport?
    public let stats: ModelStats
    /// Bytes of an .epm holding only this level (no ladder), as `EPMWriter` stores it.
    public let epmBytes: Int
    /// nil when latency was not measured.
    public let latency: LatencyStats?
    /// Linear/Conv layers in plan order with their chosen kernels (batch-1 plan).
    public let kernels: [LayerKernel]
    /// nil when attribution was not asked for.
    public let attribution: AttributionResult?
}

/// Measures one ladder level of a graph: builds the level (PrunedLevels), prepares a session
/// with the caller's settings, and runs the measurements asked for.
public enum LevelEvaluator {
    public struct Options: Sendable {
        public var batch: Int
        /// Timed batch-1 runs (0: no latency measurement) and untimed warm-up runs before them.
        public var latencyRuns: Int
        public var warmupRuns: Int
        /// Occlusion attribution on up to this many samples (0: none).
        public var attributionSamples: Int

        public init(batch: Int = 32, latencyRuns: Int = 200, warmupRuns: Int = 20, attributionSamples: Int = 0) {
            self.batch = batch
            self.latencyRuns = latencyRuns
            self.warmupRuns = warmupRuns
            self.attributionSamples = attributionSamples
        }
    }

    /// Progress of one stage ("predict", "latency", "attribution"): (stage, done, total).
    public typealias Progress = (String, Int, Int) -> Void

    /// `makeSession` builds the session for a level's graph (limits, threads, kernel policy are
    /// the caller's). `data` must have the model input's shape; `labels`, if given, one per sample.
    public static func evaluate(_ graph: Graph, level: Int, data: Tensor, labels: [Int]?, options: Options = Options(),
                                makeSession: (Graph) throws -> InferenceSession,
                                progress: Progress? = nil) throws -> LevelReport {
        let levelGraph = try PrunedLevels.graph(graph, level: level)
        let session = try makeSession(levelGraph)
        let sampleShape = Array(data.shape.dropFirst())

        var classification: ClassificationReport? = nil
        if let labels {
            let classes = try Evaluator.classCount(session, sampleShape: sampleShape)
            try ClassificationMetrics.validate(labels: labels, samples: data.shape.first ?? 0, classes: classes)
            let predicted = try Evaluator.predict(session, data: data, batch: options.batch) { progress?("predict", $0, $1) }
            classification = ClassificationMetrics.report(predicted: predicted, labels: labels, classes: classes)
        }
        let stats = try Evaluator.stats(session)
        var latency: LatencyStats? = nil
        if options.latencyRuns > 0 {
            progress?("latency", 0, 1)
            latency = try Evaluator.latency(session, sample: firstSample(data), runs: options.latencyRuns, warmup: options.warmupRuns)
            progress?("latency", 1, 1)
        }
        var attribution: AttributionResult? = nil
        if options.attributionSamples > 0 {
            attribution = try InputAttribution.occlusion(session, data: data, maxSamples: options.attributionSamples) {
                progress?("attribution", $0, $1)
            }
        }
        let plan = try session.plan(batch: 1)  // a fixed batch dimension stays what the model says
        let kernels = plan.steps.filter { ["Conv", "Gemm", "MatMul"].contains($0.opType) }
            .map { LayerKernel(node: $0.node, opType: $0.opType, kernel: $0.kernel) }
        let sparsity: Double
        if let ladder = graph.ladder, level < ladder.levels.count {
            sparsity = ladder.levels[level].sparsity
        } else {
            sparsity = stats.parameters == 0 ? 0 : 1 - Double(stats.nonzeros) / Double(stats.parameters)
        }
        return LevelReport(level: level, sparsity: sparsity, classification: classification, stats: stats,
                           epmBytes: try ModelSize.epmBytes(levelGraph), latency: latency, kernels: kernels,
                           attribution: attribution)
    }

    /// Sample 0 of `data` as a batch of one.
    public static func firstSample(_ data: Tensor) -> Tensor {
        let shape = [1] + data.shape.dropFirst()
        let one = Tensor(zeros: TensorType(data.dtype, shape))
        one.raw.copyMemory(from: data.raw, byteCount: one.byteCount)
        return one
    }
}

public enum ModelSize {
    /// Bytes of an .epm holding `graph` alone (its ladder dropped): the graph is written to a
    /// temporary file, measured and deleted.
    public static func epmBytes(_ graph: Graph) throws -> Int {
        var plain = graph
        plain.ladder = nil
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-size-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).epm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try EPMWriter.write(plain, to: path)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
            throw EdgePruneError(.io, "cannot stat the temporary .epm '\(path)'")
        }
        return size
    }
}
