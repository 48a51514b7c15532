#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// What `edgeprune bench-switch` measures, in one run on one machine.
public struct SwitchBenchmarkReport: Sendable, Codable {
    public struct Level: Sendable, Codable {
        public let level: Int
        public let sparsity: Double
        /// Weight formats of the plan, e.g. "csr x2, gemm x1".
        public let formats: String
        public let estimatedBytes: Int
        /// First prepare (formats measured by the planner's probe).
        public let coldPrepareMs: Double
        /// Later prepares (formats re-used), with nothing else running: median and largest.
        public let warmPrepareP50Ms: Double
        public let warmPrepareMaxMs: Double
        /// Warm prepares on the switching thread while the inference thread runs flat out.
        public let warmPrepareUnderLoadP50Ms: Double?
    }

    public let model: String
    public let parameters: Int
    public let rounds: Int
    public let levels: [Level]
    /// Swaps between kept-ready levels while another thread ran inferences continuously.
    public let swaps: Int
    public let inferences: Int
    /// Swap pause: time the inference thread spent taking over the new plan, per swap.
    public let swapPauseP50Us: Double
    public let swapPauseP99Us: Double
    public let swapPauseMaxUs: Double
    /// Longest time the switching thread held the swap lock.
    public let swapHoldMaxUs: Double
    /// Inference time (median) at steady state and for the first inference after each swap
    /// (cold caches on the new weights: a cost of switching that is not a pause).
    public let inferenceP50Us: Double
    public let firstInferenceAfterSwapP50Us: Double
    /// Inferences whose output matched no level's reference output bit for bit (must be 0).
    public let mismatchedOutputs: Int
    public let prepareTargetMs: Double
    public let swapPauseTargetUs: Double
    /// Every level's median warm prepare within the target.
    public let prepareTargetMet: Bool
    /// The swap pause's p99 within the target (the max is reported beside it).
    public let swapPauseTargetMet: Bool
}

/// The level-switch benchmark: cold and warm prepare per level, then swap pauses measured while
/// a second thread runs inferences continuously and checks every output against the reference
/// output of the level it ran on.
public enum SwitchBenchmark {
    public static let prepareTargetMs = 5.0
    public static let swapPauseTargetUs = 50.0

    public static func run(graph: Graph, modelName: String, rounds: Int = 20, swaps: Int = 1000, threads: Int = 1,
                           policy: KernelPolicy = KernelPolicy(), progress: ((String) -> Void)? = nil) throws -> SwitchBenchmarkReport {
        guard let ladder = graph.ladder, ladder.topLevel >= 1 else {
            throw EdgePruneError(.input, "\(modelName) has no sparsity ladder; prune it first (edgeprune prune) to benchmark level switching")
        }
        guard rounds >= 1, swaps >= 1 else { throw EdgePruneError(.input, "rounds and swaps must be at least 1") }
        let top = ladder.topLevel
        let allLevels = Array(0...top)
        let model = try AdaptiveModel(graph: graph, options: .init(memoryBudgetBytes: Int.max, threads: threads, policy: policy))

        // Cold: the first prepare of each level measures its formats (level 0 at init).
        progress?("cold prepares")
        var cold = [Double](repeating: 0, count: top + 1)
        cold[0] = model.stats.lastPrepareSeconds ?? 0
        for level in 1...top { cold[level] = try model.prepare(level: level).seconds }

        // Warm: rebuild each level with its formats known; nothing kept ready in between.
        progress?("warm prepares")
        var warm = [[Double]](repeating: [], count: top + 1)
        for _ in 0..<rounds {
            for level in allLevels {
                if model.activeLevel == level { try model.switchTo(level: level == 0 ? 1 : 0) }
                model.dropPreparedLevels()
                let r = try model.prepare(level: level)
                warm[level].append(r.seconds)
            }
        }
        let formats = try allLevels.map { level -> (String, Int) in
            try model.prepare(level: level)
            var counts: [String: Int] = [:]
            var bytes = 0
            for p in [model.preparedLevel(level)].compactMap({ $0 }) {
                for f in p.weightFormats.values { counts[f, default: 0] += 1 }
                bytes = p.estimatedBytes
            }
            return (counts.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "), bytes)
        }

        // Reference output of every level on one fixed input.
        let input = try fixedInputs(model)
        var expected: [[UInt8]] = []
        for level in allLevels {
            try model.switchTo(level: level)
            expected.append(try model.run { plan, _ in bytes(try plan.run(input)[0]) })
        }
        let references = expected

        // Swaps under load: an inference thread runs continuously; this thread cycles levels.
        progress?("swaps under load")
        let loop = InferenceLoop(model: model, input: input, expected: references)
        let pausesBefore = model.stats.swapPausesObserved
        let thread = try NativeThread("the benchmark's inference thread") { loop.run() }
        // Stopped and joined on every way out (a failed switch included).
        defer {
            loop.stop.set()
            thread.join()
        }
        var level = model.activeLevel
        for i in 0..<swaps {
            level = (level + 1 + (i % top)) % (top + 1)
            let seen = loop.completed
            try model.switchTo(level: level)
            loop.waitForRuns(after: seen, count: 2)
        }
        // Prepare + switch under load: warm builds on this thread while inference runs.
        progress?("prepares under load")
        var underLoad = [[Double]](repeating: [], count: top + 1)
        for _ in 0..<rounds {
            for target in allLevels where target != model.activeLevel {
                model.dropPreparedLevels()
                let r = try model.prepare(level: target)
                underLoad[target].append(r.seconds)
                let seen = loop.completed
                try model.switchTo(level: target)
                loop.waitForRuns(after: seen, count: 2)
            }
        }
        loop.stop.set()
        thread.join()  // before reading the loop's results; the deferred join is then a no-op

        let stats = model.stats
        let pauses = model.recentSwapPauses().suffix(max(0, stats.swapPausesObserved - pausesBefore)).sorted()
        let (steady, firstAfter, inferences, mismatches) = loop.results()
        let levels = allLevels.map { l in
            SwitchBenchmarkReport.Level(
                level: l, sparsity: ladder.levels[l].sparsity, formats: formats[l].0, estimatedBytes: formats[l].1,
                coldPrepareMs: cold[l] * 1e3, warmPrepareP50Ms: percentile(warm[l].sorted(), 0.5) * 1e3,
                warmPrepareMaxMs: (warm[l].max() ?? 0) * 1e3,
                warmPrepareUnderLoadP50Ms: underLoad[l].isEmpty ? nil : percentile(underLoad[l].sorted(), 0.5) * 1e3)
        }
        let p99 = percentile(pauses, 0.99) * 1e6
        return SwitchBenchmarkReport(
            model: modelName, parameters: graph.initializers.values.filter { $0.dtype == .float32 }.reduce(0) { $0 + $1.count },
            rounds: rounds, levels: levels, swaps: pauses.count, inferences: inferences,
            swapPauseP50Us: percentile(pauses, 0.5) * 1e6, swapPauseP99Us: p99, swapPauseMaxUs: (pauses.last ?? 0) * 1e6,
            swapHoldMaxUs: (stats.maxSwapHoldSeconds ?? 0) * 1e6,
            inferenceP50Us: percentile(steady.sorted(), 0.5) * 1e6, firstInferenceAfterSwapP50Us: percentile(firstAfter.sorted(), 0.5) * 1e6,
            mismatchedOutputs: mismatches, prepareTargetMs: prepareTargetMs, swapPauseTargetUs: swapPauseTargetUs,
            prepareTargetMet: levels.allSatisfy { $0.warmPrepareP50Ms <= prepareTargetMs },
            swapPauseTargetMet: !pauses.isEmpty && p99 <= swapPauseTargetUs)
    }

    /// p in [0, 1] of sorted values (nearest rank); 0 for none.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }

    static func bytes(_ t: Tensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: t.raw, count: t.byteCount))
    }

    /// Deterministic pseudo-random f32 inputs in [0, 1) for the plan's input shapes.
    static func fixedInputs(_ model: AdaptiveModel) throws -> [Tensor] {
        try model.run { plan, _ in
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            return try plan.inputs.map { b in
                guard b.type.dtype == .float32 else {
                    throw EdgePruneError(.unsupported, "input '\(b.name)' is \(b.type.dtype); bench-switch feeds f32 inputs only")
                }
                let t = Tensor(zeros: b.type)
                let p = t.pointer(as: Float.self)
                for i in 0..<t.count {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    p[i] = Float(state >> 40) / Float(1 << 24)
                }
                return t
            }
        }
    }
}

/// The benchmark's inference thread: runs the model until stopped, times every inference, and
/// compares every output with the reference of the level it ran on.
final class InferenceLoop: @unchecked Sendable {
    let model: AdaptiveModel
    let input: [Tensor]
    let expected: [[UInt8]]
    let stop = SharedFlag()
    private let lock = ConditionLock()
    private var count = 0
    private var steady: [Double] = []
    private var firstAfterSwap: [Double] = []
    private var mismatches = 0

    init(model: AdaptiveModel, input: [Tensor], expected: [[UInt8]]) {
        self.model = model
        self.input = input
        self.expected = expected
    }

    var completed: Int { lock.withLock { count } }

    func waitForRuns(after seen: Int, count needed: Int) {
        while completed < seen + needed { sched_yield() }
    }

    func run() {
        var lastLevel = -1
        while !stop.isSet {
            let t0 = monotonicNanoseconds()
            let (level, bad): (Int, Bool) = model.run { plan, level in
                for (b, t) in zip(plan.inputs, input) { b.pointer.copyMemory(from: t.raw, byteCount: t.byteCount) }
                plan.run()
                let o = plan.outputs[0]
                let differs = expected[level].withUnsafeBytes { e in
                    e.count != o.type.byteCount || memcmp(e.baseAddress!, o.pointer, e.count) != 0
                }
                return (level, differs)
            }
            let seconds = Double(monotonicNanoseconds() &- t0) * 1e-9
            lock.withLock {
                if level != lastLevel && lastLevel >= 0 { firstAfterSwap.append(seconds) } else { steady.append(seconds) }
                if bad { mismatches += 1 }
                count += 1
            }
            lastLevel = level
        }
    }

    func results() -> (steady: [Double], firstAfterSwap: [Double], inferences: Int, mismatches: Int) {
        lock.withLock { (steady, firstAfterSwap, count, mismatches) }
    }
}
