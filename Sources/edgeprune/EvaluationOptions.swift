import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation

/// The data and measurement options `eval` and `profile` share.
struct EvaluationOptions: ParsableArguments {
    @Option(help: "Samples (.npy/.csv/.json), batch dimension first.")
    var data: String

    @Option(help: "Integer class labels (.npy), one per sample.")
    var labels: String

    @Option(help: "Samples per inference batch.")
    var batch: Int = 32

    @Option(help: "Timed batch-1 runs per level for the latency percentiles (0: skip latency).")
    var latencyRuns: Int = 200

    @Option(help: "Samples the occlusion attribution uses per pruned level (0: skip it).")
    var attributionSamples: Int = 256

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard latencyRuns >= 0 else { throw ValidationError("--latency-runs must be 0 or more") }
        guard attributionSamples >= 0 else { throw ValidationError("--attribution-samples must be 0 or more") }
    }
}

/// Model, data and labels of `eval` and `profile`, loaded and checked before any work.
struct EvaluationInputs {
    let graph: Graph
    let x: Tensor
    let y: [Int]
    let options: ModelOptions
    let labelsPath: String

    init(options: ModelOptions, data: String, labels: String) throws {
        self.options = options
        labelsPath = labels
        let path = options.model
        graph = try ModelLoader.load(path, limits: options.limits)
        let runtime = graph.runtimeInputs
        guard runtime.count == 1 else {
            throw EdgePruneError(.input, "'\(path)': evaluation needs a single-input model; this one has \(runtime.count) inputs (\(runtime.map(\.name).joined(separator: ", ")))")
        }
        x = try InputFiles.fit(try InputFiles.read(data, dtype: runtime[0].dtype), to: runtime[0], path: data)
        y = try EvaluationInputs.readLabels(labels)
        let n = x.shape.first ?? 0
        guard n > 0 else { throw EdgePruneError(.input, "'\(data)' holds no samples") }
        guard y.count == n else {
            throw EdgePruneError(.input, "'\(labels)' has \(y.count) labels for \(n) samples in '\(data)'")
        }
    }

    /// Integer labels from an .npy file of any integer type, or f32 holding whole numbers.
    static func readLabels(_ path: String) throws -> [Int] {
        let t = try NPY.read(path)
        if t.dtype == .float32 {
            let values = t.floats
            if let i = values.firstIndex(where: { !$0.isFinite || $0 != $0.rounded() }) {
                throw EdgePruneError(.input, "'\(path)': label \(i) is \(values[i]), not a whole number")
            }
        }
        return t.asInts()
    }

    /// Runs `body`, prefixing label errors (out-of-range values found once the class count is
    /// known) with the labels file, so the message says where the bad label is.
    func namingLabels<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as EdgePruneError where e.message.hasPrefix("label ") {
            throw EdgePruneError(e.kind, "'\(labelsPath)': \(e.message)")
        }
    }

    /// A session for one level's graph with the command's limits, threads and kernel policy.
    func makeSession(_ g: Graph) throws -> InferenceSession {
        do {
            return try InferenceSession(graph: g, limits: options.limits, threads: options.threads, policy: options.policy)
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "'\(options.model)': \(e.message)")
        }
    }
}
