#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// The demo's script: a quiet phase, a phase with busy threads, a quiet phase again, in
/// inferences; inputs replayed in order at `rate` per second; a fraction of labels fed back late.
public struct DemoScript: Sendable, Codable {
    public var before: Int
    public var load: Int
    public var after: Int
    /// Inferences per second (0: back to back).
    public var rate: Double
    public var busyThreads: Int
    /// MiB each busy thread streams over.
    public var busyMiB: Int
    /// Fraction of inferences whose label is fed back, and how many inferences later.
    public var labelFraction: Double
    public var labelDelay: Int
    /// Keep every `stride`-th inference in the trace (decisions always).
    public var stride: Int
    public var seed: UInt64

    public init(before: Int = 600, load: Int = 1500, after: Int = 1500, rate: Double = 200, busyThreads: Int = 2, busyMiB: Int = 16,
                labelFraction: Double = 0.25, labelDelay: Int = 20, stride: Int = 5, seed: UInt64 = 1) {
        self.before = before
        self.load = load
        self.after = after
        self.rate = rate
        self.busyThreads = busyThreads
        self.busyMiB = busyMiB
        self.labelFraction = labelFraction
        self.labelDelay = labelDelay
        self.stride = stride
        self.seed = seed
    }

    public var total: Int { before + load + after }

    public func validate() throws {
        for (name, v) in [("before", before), ("load", load), ("after", after)] where v < 0 {
            throw EdgePruneError(.input, "demo: the \(name) phase must be >= 0 inferences, got \(v)")
        }
        guard total > 0 else { throw EdgePruneError(.input, "demo: the script runs no inference") }
        guard rate.isFinite, rate >= 0 else { throw EdgePruneError(.input, "demo: rate must be >= 0 inferences per second, got \(rate)") }
        guard busyThreads >= 0 else { throw EdgePruneError(.input, "demo: busy threads must be >= 0, got \(busyThreads)") }
        guard (1...4096).contains(busyMiB) else { throw EdgePruneError(.input, "demo: busy buffer must be 1...4096 MiB, got \(busyMiB)") }
        guard labelFraction.isFinite, (0...1).contains(labelFraction) else {
            throw EdgePruneError(.input, "demo: label fraction must be in 0...1, got \(labelFraction)")
        }
        guard labelDelay >= 0 else { throw EdgePruneError(.input, "demo: label delay must be >= 0 inferences, got \(labelDelay)") }
        guard stride >= 1 else { throw EdgePruneError(.input, "demo: stride must be >= 1, got \(stride)") }
    }
}

/// One level measured on this machine before the demo: latency without load, accuracy on the
/// replayed data.
public struct LevelCalibration: Sendable, Codable {
    public let level: Int
    public let sparsity: Double
    public let p50Ms: Double
    public let p95Ms: Double
    /// p95 with the background load running (nil when not measured).
    public var loadedP95Ms: Double?
    public let accuracy: Double
}

/// A live view for the terminal.
public struct DemoProgress: Sendable {
    public let inference: Int
    public let total: Int
    public let loaded: Bool
    public let status: RunnerStatus
}

public struct DemoResult: Sendable, Codable {
    public let script: DemoScript
    public let levels: [LevelCalibration]
    public let latencyBudgetMs: Double?
    public let energyBudgetMj: Double?
    public let accuracyFloor: Double?
    public let steps: [SimulationStep]
    public let decisions: [SwitchDecision]
    /// The inference after which each decision was taken.
    public let decisionIndices: [Int]
    public let figures: SimulationFigures
    public let swapPauseP99Micros: Double?
    public let swapPauseMaxMicros: Double?
    /// Switches whose target was already prepared, and prepares run during the demo.
    public let preparedHits: Int
    public let preparesDuringRun: Int
    /// Inferences that started later than the rate allowed (the loop could not keep up).
    public let lateStarts: Int
    public let busyPasses: Int
    public let counters: [String: Int]
    public let seconds: Double
}

public enum Demo {
    /// Measures every level without load, `runs` timed inferences at `rate` per second (0: back
    /// to back; pacing matters: between paced inferences the caches cool down), cycling over
    /// `inputs`, and its accuracy on all of `inputs`; with `load`, also the p95 while the busy
    /// threads run. Leaves the model on level 0 and the load stopped.
    public static func calibrate(_ model: AdaptiveModel, inputs: [[Float]], labels: [Int], runs: Int = 200,
                                 rate: Double = 0, load: BackgroundLoad? = nil) throws -> [LevelCalibration] {
        var out: [LevelCalibration] = []
        for level in 0...model.topLevel {
            try model.switchTo(level: level)
            var correct = 0
            for (x, y) in zip(inputs, labels) where try infer(model, x) == y { correct += 1 }
            let quiet = try timings(model, inputs: inputs, runs: runs, rate: rate)
            var loaded: [Double]? = nil
            if let load {
                try load.start()
                defer { load.stop() }
                loaded = try timings(model, inputs: inputs, runs: runs, rate: rate)
            }
            let sparsity = model.graph.ladder?.levels[level].sparsity ?? 0
            out.append(LevelCalibration(level: level, sparsity: sparsity, p50Ms: quiet[quiet.count / 2], p95Ms: p95(quiet),
                                        loadedP95Ms: loaded.map(p95), accuracy: Double(correct) / Double(max(inputs.count, 1))))
        }
        try model.switchTo(level: 0)
        return out
    }

    /// `runs` inference times in ms, sorted, after 20 untimed ones.
    private static func timings(_ model: AdaptiveModel, inputs: [[Float]], runs: Int, rate: Double) throws -> [Double] {
        let period = rate > 0 ? UInt64(1e9 / rate) : 0
        var times: [Double] = []
        times.reserveCapacity(runs)
        var next = monotonicNanoseconds()
        for r in 0..<(runs + 20) {
            if period > 0 {
                next &+= period
                let now = monotonicNanoseconds()
                if now < next { sleepNanoseconds(next - now) }
            }
            let t0 = monotonicNanoseconds()
            _ = try infer(model, inputs[r % inputs.count])
            if r >= 20 { times.append(Double(monotonicNanoseconds() &- t0) * 1e-6) }
        }
        return times.sorted()
    }

    /// Nearest-rank p95 of sorted values.
    private static func p95(_ sorted: [Double]) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((0.95 * Double(sorted.count)).rounded(.up)) - 1))]
    }

    /// The demo's default p95 budget in ms: `factor` × the dense level's unloaded p95 when a factor
    /// is given or no loaded figure exists (1.5 by default), else the geometric mean of its p95
    /// without and with the load: the load pushes the dense level over it, a quiet machine does
    /// not, and both sides get the same relative margin.
    public static func defaultLatencyBudgetMs(dense: LevelCalibration, factor: Double?) -> Double {
        if factor == nil, let loaded = dense.loadedP95Ms, loaded > dense.p95Ms { return (dense.p95Ms * loaded).squareRoot() }
        return dense.p95Ms * (factor ?? 1.5)
    }

    /// The controller's seed table from a calibration (this device, this pacing).
    public static func profiles(_ levels: [LevelCalibration]) -> [LevelProfile] {
        levels.map { LevelProfile(level: $0.level, sparsity: $0.sparsity, latencyP95: $0.p95Ms / 1000, accuracy: $0.accuracy) }
    }

    private static func infer(_ model: AdaptiveModel, _ x: [Float]) throws -> Int {
        model.run { plan, _ in
            let dst = plan.inputs[0].pointer.assumingMemoryBound(to: Float.self)
            x.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: min($0.count, plan.inputs[0].type.count)) }
            plan.run()
            let n = plan.outputs[0].type.count
            return AdaptiveRunner.argmax(UnsafeBufferPointer(start: plan.outputs[0].pointer.assumingMemoryBound(to: Float.self), count: n))
        }
    }

    /// Runs the script through `runner`: inputs in order (cycling), busy threads during the load
    /// phase, labels fed back late for a fraction of inferences. `progress` is called about ten
    /// times a second.
    public static func run(_ runner: AdaptiveRunner, inputs: [[Float]], labels: [Int], levels: [LevelCalibration],
                           script: DemoScript, progress: ((DemoProgress) -> Void)? = nil) throws -> DemoResult {
        try script.validate()
        guard !inputs.isEmpty, inputs.count == labels.count else {
            throw EdgePruneError(.input, "demo: \(inputs.count) inputs and \(labels.count) labels; they must match and not be empty")
        }
        let load = try BackgroundLoad(threads: script.busyThreads, bufferFloats: script.busyMiB << 18)
        defer { load.stop() }
        var rng = Simulator.Random(seed: script.seed)
        var due: [(at: Int, id: UInt64, label: Int)] = []
        var steps: [SimulationStep] = []
        var levelTrace: [Int] = [], trueAccuracy: [Double] = [], p95: [Double?] = [], budgets: [Double?] = [], feedbacks: [Int] = []
        var decisionIndices: [Int] = []
        var fed = 0, late = 0
        let config = runner.controller.config
        let statsBefore = runner.model.stats
        let start = monotonicNanoseconds()
        var lastProgress = start
        let period = script.rate > 0 ? 1e9 / script.rate : 0
        for i in 0..<script.total {
            if i == script.before && script.load > 0 { try load.start() }
            if i == script.before + script.load { load.stop() }
            if period > 0 {
                let target = start &+ UInt64(Double(i) * period)
                let now = monotonicNanoseconds()
                if now < target { sleepNanoseconds(target - now) } else if now - target > UInt64(period) { late += 1 }
            }
            let k = i % inputs.count
            let outcome = try inputs[k].withUnsafeBufferPointer { try runner.infer($0) }
            if rng.unit() < script.labelFraction { due.append((i + script.labelDelay, outcome.id, labels[k])) }
            while let first = due.first, first.at <= i {
                due.removeFirst()
                if runner.feedback(id: first.id, label: first.label) { fed += 1 }
            }
            if outcome.decision != nil { decisionIndices.append(i) }
            let seen = runner.lastSnapshot
            let levelP95 = seen.flatMap { s in s.inferencesAtLevel >= config.minLatencySamples ? s.latencyP95 : nil }
            levelTrace.append(outcome.level)
            trueAccuracy.append(levels[min(outcome.level, levels.count - 1)].accuracy)
            p95.append(levelP95)
            budgets.append(config.latencyP95Budget)
            feedbacks.append(fed)
            let now = monotonicNanoseconds()
            if i % script.stride == 0 || outcome.decision != nil || i == script.total - 1 {
                steps.append(SimulationStep(
                    inference: i, time: Double(now &- start) * 1e-9, level: outcome.level, latencyMs: outcome.seconds * 1000,
                    p95Ms: levelP95.map { $0 * 1000 }, energyMj: seen?.energyPerInference.map { $0 * 1000 },
                    accuracy: seen?.accuracy?.rate, accuracyLower: seen?.accuracy?.lower, agreement: seen?.agreement?.rate,
                    trueAccuracy: trueAccuracy[i], load: load.isRunning ? Double(script.busyThreads) : 0,
                    latencyBudgetMs: config.latencyP95Budget.map { $0 * 1000 }, energyBudgetMj: config.energyBudget.map { $0 * 1000 }))
            }
            if let progress, now &- lastProgress >= 100_000_000 || i == script.total - 1 {
                lastProgress = now
                progress(DemoProgress(inference: i + 1, total: script.total, loaded: load.isRunning, status: runner.status()))
            }
        }
        load.stop()
        runner.waitForShadow()
        let seconds = Double(monotonicNanoseconds() &- start) * 1e-9
        let decisions = Array(runner.controller.journal.suffix(decisionIndices.count))
        let loads = script.load > 0 ? [script.before..<(script.before + script.load)] : []
        let figures = Figures.compute(config: config, levels: levelTrace, trueAccuracy: trueAccuracy, p95: p95, budgets: budgets,
                                      feedbacks: feedbacks, decisions: decisions, decisionIndices: decisionIndices, loads: loads,
                                      unloadedLatency: levels.map { $0.p95Ms / 1000 }, accuracyChanges: [],
                                      lastEvent: script.before + script.load, tracking: nil)
        let status = runner.status()
        let pauses = runner.model.recentSwapPauses().sorted()
        let stats = runner.model.stats
        return DemoResult(script: script, levels: levels, latencyBudgetMs: config.latencyP95Budget.map { $0 * 1000 },
                          energyBudgetMj: config.energyBudget.map { $0 * 1000 }, accuracyFloor: config.accuracyFloor,
                          steps: steps, decisions: decisions, decisionIndices: decisionIndices, figures: figures,
                          swapPauseP99Micros: pauses.isEmpty ? nil : pauses[min(pauses.count - 1, Int(0.99 * Double(pauses.count)))] * 1e6,
                          swapPauseMaxMicros: pauses.last.map { $0 * 1e6 },
                          preparedHits: stats.cacheHits - statsBefore.cacheHits,
                          preparesDuringRun: stats.coldPrepares + stats.warmPrepares - statsBefore.coldPrepares - statsBefore.warmPrepares,
                          lateStarts: late, busyPasses: load.passes, counters: status.counters.flattened, seconds: seconds)
    }

    static func sleepNanoseconds(_ ns: UInt64) {
        var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

extension RunnerCounters {
    /// Every non-zero counter as "group.name" (for JSON and summaries).
    public var flattened: [String: Int] {
        var out: [String: Int] = [:]
        func add(_ prefix: String, _ value: Any) {
            for child in Mirror(reflecting: value).children {
                guard let label = child.label else { continue }
                if let v = child.value as? Int { if v != 0 { out[prefix + label] = v } } else if prefix.isEmpty { add(label + ".", child.value) }
            }
        }
        add("", self)
        if let s = shadow { add("shadow.", s) }
        return out
    }
}
