import EdgePruneCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Batch-1 latency percentiles over repeated runs of one sample.
public struct LatencyStats: Codable, Sendable, Equatable {
    /// Nearest-rank percentiles of the per-run wall time (monotonic clock), in microseconds.
    public let p50Micros: Double
    public let p95Micros: Double
    /// Timed runs (warm-up runs excluded).
    public let runs: Int

    public init(p50Micros: Double, p95Micros: Double, runs: Int) {
        self.p50Micros = p50Micros
        self.p95Micros = p95Micros
        self.runs = runs
    }
}

/// Size and work of a model as planned at batch 1.
public struct ModelStats: Codable, Sendable, Equatable {
    /// f32 elements of every constant the optimised graph keeps (weights, biases, folded
    /// BatchNorm scales: after folding they live inside the Conv weights).
    public let parameters: Int
    /// How many of those are non-zero.
    public let nonzeros: Int
    /// Dense multiply-accumulates per sample: the sum of the planned steps' MACs at batch 1.
    public let macs: Int
    /// MACs that touch a non-zero weight: per step, macs × nnz(weight) / count(weight), where the
    /// weight is the step's largest constant f32 input; steps without one (pooling, activation ×
    /// activation MatMul) count in full.
    public let effectiveMacs: Int

    public init(parameters: Int, nonzeros: Int, macs: Int, effectiveMacs: Int) {
        self.parameters = parameters
        self.nonzeros = nonzeros
        self.macs = macs
        self.effectiveMacs = effectiveMacs
    }
}

/// Accuracy, latency and size measurements of a prepared session.
public enum Evaluator {
    /// argmax of the first output for every sample, run in batches; progress(done, total) called
    /// as it goes. `data` must already have the model input's shape (batch first). Ties go to the
    /// lower class index; NaN scores never win.
    public static func predict(_ session: InferenceSession, data: Tensor, batch: Int = 32,
                               progress: ((Int, Int) -> Void)? = nil) throws -> [Int] {
        guard batch >= 1 else { throw EdgePruneError(.input, "batch must be at least 1, got \(batch)") }
        let batches = try SampleBatches(session, data: data, what: "prediction")
        let n = batches.samples
        var predictions: [Int] = []
        predictions.reserveCapacity(n)
        var start = 0
        progress?(0, n)
        while start < n {
            let b = min(batch, n - start)
            let plan = try batches.plan(batch: b)
            let out = batches.run(plan, from: data.raw + start * batches.sampleBytes, count: b)
            let perSample = plan.outputs[0].type.count / b
            guard perSample >= 1 else { throw EdgePruneError(.input, "the model's first output \(plan.outputs[0].type) has no class scores") }
            for i in 0..<b {
                let row = out + i * perSample
                var best = 0
                for c in 1..<max(perSample, 1) where row[c] > row[best] { best = c }
                predictions.append(best)
            }
            start += b
            progress?(start, n)
        }
        return predictions
    }

    /// Number of classes: elements per sample of the first output, planned at batch 1.
    public static func classCount(_ session: InferenceSession, sampleShape: [Int]) throws -> Int {
        guard session.inputs.count == 1 else {
            throw EdgePruneError(.input, "classification needs a single-input model; this one has \(session.inputs.count) inputs")
        }
        let p = try session.plan(inputShapes: [session.inputs[0].name: [1] + sampleShape])
        guard let out = p.outputs.first, out.type.dtype == .float32, out.type.count >= 1 else {
            throw EdgePruneError(.input, "the model's first output must hold f32 class scores; got \(p.outputs.first.map { "\($0.type)" } ?? "none")")
        }
        return out.type.count
    }

    /// Batch-1 wall time of `runs` runs on one sample after `warmup` untimed runs.
    public static func latency(_ session: InferenceSession, sample: Tensor, runs: Int = 200,
                               warmup: Int = 20) throws -> LatencyStats {
        guard runs >= 1, warmup >= 0 else { throw EdgePruneError(.input, "latency needs runs >= 1 and warmup >= 0 (got \(runs), \(warmup))") }
        let batches = try SampleBatches(session, data: sample, what: "latency measurement")
        guard batches.samples == 1 else {
            throw EdgePruneError(.input, "latency takes one sample (batch dimension 1), got \(batches.samples)")
        }
        let plan = try batches.plan(batch: 1)
        plan.inputs[0].pointer.copyMemory(from: sample.raw, byteCount: sample.byteCount)
        for _ in 0..<warmup { plan.run() }
        var micros = [Double](repeating: 0, count: runs)
        var ts = timespec()
        for i in 0..<runs {
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let t0 = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
            plan.run()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let t1 = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
            micros[i] = Double(t1 - t0) / 1000
        }
        micros.sort()
        return LatencyStats(p50Micros: percentile(micros, 0.5), p95Micros: percentile(micros, 0.95), runs: runs)
    }

    /// Nearest-rank percentile of sorted values: the smallest value with at least p of the
    /// values at or below it.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Parameters, non-zeros and MACs at batch 1 (see ModelStats).
    public static func stats(_ session: InferenceSession) throws -> ModelStats {
        let graph = session.graph
        var parameters = 0, nonzeros = 0
        for t in graph.initializers.values where t.dtype == .float32 {
            parameters += t.count
            nonzeros += nonzeroCount(t)
        }
        let plan = try session.plan(batch: 1)
        var nodes: [String: Node] = [:]
        for n in graph.nodes where nodes[n.name] == nil { nodes[n.name] = n }
        var macs = 0, effective = 0.0
        for step in plan.steps {
            macs += step.macs
            let weight = nodes[step.node]?.inputs
                .compactMap { graph.initializers[$0] }
                .filter { $0.dtype == .float32 && $0.count > 1 }
                .max { $0.count < $1.count }
            if let w = weight {
                effective += Double(step.macs) * Double(nonzeroCount(w)) / Double(w.count)
            } else {
                effective += Double(step.macs)
            }
        }
        return ModelStats(parameters: parameters, nonzeros: nonzeros, macs: macs, effectiveMacs: Int(effective.rounded()))
    }

    static func nonzeroCount(_ t: Tensor) -> Int {
        let p = t.pointer(as: Float.self)
        var n = 0
        for i in 0..<t.count where p[i] != 0 { n += 1 }
        return n
    }
}
