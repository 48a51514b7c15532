#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import EdgePrunePruning

/// A model with a sparsity ladder that runs at one level and switches levels without stopping.
///
/// Threads: one inference thread calls `run`/`infer` (concurrent callers are serialised). Any
/// other thread (the controller, a test) calls `prepare`, `prepareAsync` (built on the model's own
/// background thread) and `switchTo`. A level's plan is built off the inference thread and never
/// changed afterwards; switching replaces the reference to the active plan under a lock that the
/// inference thread takes only between inferences, for a pointer read. So every inference runs
/// entirely on one level's plan, and the inference thread waits at most for a pointer store.
///
/// Prepare = mask the level's weights (one branch-free pass over each weight and its ladder
/// codes, see LadderMasker) + plan (packing, kernel choice). Choosing kernels normally times every weight
/// format per layer (the planner's probe), far too slow for a switch; so the formats a level's
/// first (cold) prepare measured are kept per level and forced on its later (warm) prepares
/// through `KernelPolicy.layerFormats`. `measureFormats(levels:)` pays the cold prepares at load.
public final class AdaptiveModel: @unchecked Sendable {
    public struct Options: Sendable {
        /// Bytes of prepared levels kept ready (LRU). The active level is never evicted; a level
        /// being switched to is kept even when it alone overflows the budget.
        public var memoryBudgetBytes: Int
        /// Batch the plans are built for (the first, symbolic, input dimension).
        public var batch: Int
        /// Threads kernels split large layers over (1: all on the inference thread).
        public var threads: Int
        public var limits: PlanLimits
        /// Formats for levels not measured yet (nil formats: measured per layer).
        public var policy: KernelPolicy
        /// Level active after init.
        public var initialLevel: Int
        /// Measure every level's formats at init (cold prepares at load, warm ones at switch).
        public var measureAllLevelsAtLoad: Bool

        public init(memoryBudgetBytes: Int = 64 << 20, batch: Int = 1, threads: Int = 1, limits: PlanLimits = PlanLimits(),
                    policy: KernelPolicy = KernelPolicy(), initialLevel: Int = 0, measureAllLevelsAtLoad: Bool = false) {
            self.memoryBudgetBytes = memoryBudgetBytes
            self.batch = batch
            self.threads = threads
            self.limits = limits
            self.policy = policy
            self.initialLevel = initialLevel
            self.measureAllLevelsAtLoad = measureAllLevelsAtLoad
        }
    }

    /// What one prepare did.
    public struct PrepareResult: Sendable, Equatable {
        public let level: Int
        /// Build time (0 when the level was already kept ready).
        public let seconds: Double
        /// The formats were measured in this prepare (cold) rather than re-used (warm).
        public let measuredFormats: Bool
        /// The level was already prepared and kept; nothing was built.
        public let wasCached: Bool
    }

    /// The graph as given (with its ladder) and the highest level (0 without a ladder).
    public let graph: Graph
    public let topLevel: Int
    public let options: Options

    /// The optimised graph whose weights are masked per level (fast path), or nil when a level
    /// must be derived from the stored graph and optimised per prepare (structured ladders, or
    /// optimisation that rewrites coded weights).
    private let maskedBase: Graph?
    private let masker: LadderMasker?
    private let pool: WorkerPool?
    private let inputShapes: [String: [Int]]
    private let worker = PrepareWorker()

    /// Guards everything below up to `inferenceLock`.
    private let lock = ConditionLock()
    private var active: PreparedLevel
    private var cache: LevelPlanCache
    private var formats: [Int: [String: String]] = [:]
    private var statistics: SwitchStatistics
    /// Plans the inference thread stopped using; released by the next prepare or switch, so the
    /// inference thread never frees a plan's memory.
    private var retired: [PreparedLevel] = []
    /// The last `pauseRingSize` swap pauses (ns), for percentiles; preallocated.
    private var pauseRing: [UInt64]
    private var pauseCount = 0
    static let pauseRingSize = 4096

    /// Serialises builds (the worker and synchronous callers), so a level is measured once.
    private let buildLock = ConditionLock()
    /// Serialises inference callers: a plan's arena is used by one inference at a time.
    private let inferenceLock = ConditionLock()
    /// The level the last inference ran on (inference thread only, under inferenceLock).
    private var lastRun: PreparedLevel?

    /// Test seam: called with the level at the start of every build; a throw fails the prepare.
    var prepareFault: (@Sendable (Int) throws -> Void)?

    public init(graph: Graph, options: Options = Options()) throws {
        guard options.memoryBudgetBytes >= 0 else {
            throw EdgePruneError(.input, "memory budget \(options.memoryBudgetBytes) bytes is negative")
        }
        guard options.batch >= 1 else { throw EdgePruneError(.input, "batch must be at least 1, got \(options.batch)") }
        try graph.ladder?.validate(against: graph)
        let top = graph.ladder?.topLevel ?? 0
        guard (0...top).contains(options.initialLevel) else {
            throw EdgePruneError(.input, "initial level \(options.initialLevel) is outside the model's sparsity ladder (levels 0...\(top))")
        }
        self.graph = graph
        self.topLevel = top
        self.options = options
        pool = options.threads > 1 ? try WorkerPool(threads: options.threads) : nil

        let optimized = try GraphPasses.optimize(graph, limits: options.limits)
        var fast: LadderMasker? = nil
        if let ladder = graph.ladder, !ladder.isStructured, let m = try? LadderMasker(graph: optimized, ladder: ladder),
           try AdaptiveModel.maskingCommutes(graph, optimized: optimized, masker: m, limits: options.limits) {
            fast = m
        }
        masker = fast
        maskedBase = fast == nil ? nil : optimized
        inputShapes = try AdaptiveModel.shapes(optimized, batch: options.batch)

        cache = LevelPlanCache(budgetBytes: options.memoryBudgetBytes)
        pauseRing = [UInt64](repeating: 0, count: AdaptiveModel.pauseRingSize)
        statistics = SwitchStatistics(activeLevel: options.initialLevel, memoryBudgetBytes: options.memoryBudgetBytes)
        active = try AdaptiveModel.build(level: options.initialLevel, graph: graph, maskedBase: maskedBase, masker: masker,
                                         inputShapes: inputShapes, options: options, pool: pool, known: nil)
        retired.reserveCapacity(16)
        formats[active.level] = active.weightFormats
        cache.insert(active)
        statistics.record(prepare: active)
        if options.measureAllLevelsAtLoad {
            try measureFormats(levels: Array(0...top))
        }
    }

    deinit {
        worker.shutdown()
        pool?.shutdown()
    }

    // MARK: Inference thread

    /// Runs `body` with the active level's plan (inputs written to `plan.inputs[i].pointer`,
    /// `plan.run()`, outputs read from `plan.outputs[i].pointer`) and that level. The plan cannot
    /// change while `body` runs; a switch takes effect at the next call. Allocation-free.
    public func run<R>(_ body: (ExecutionPlan, Int) throws -> R) rethrows -> R {
        try inferenceLock.withLock {
            let t0 = monotonicNanoseconds()
            let current: PreparedLevel = lock.withLock {
                let a = active
                if let previous = lastRun, previous !== a { retired.append(previous) }
                return a
            }
            if lastRun !== current {
                let pause = monotonicNanoseconds() &- t0
                if lastRun != nil {
                    lock.withLock {
                        statistics.record(swapPauseNanoseconds: pause, level: current.level)
                        pauseRing[pauseCount % AdaptiveModel.pauseRingSize] = pause
                        pauseCount += 1
                    }
                }
                lastRun = current
            }
            return try body(current.plan, current.level)
        }
    }

    /// Runs one inference on the active level: copies `inputs` (matched by position) in, returns
    /// the outputs (allocated) and the level they came from.
    public func infer(_ inputs: [Tensor]) throws -> (outputs: [Tensor], level: Int) {
        try run { plan, level in (try plan.run(inputs), level) }
    }

    /// One input, first output.
    public func infer(input: Tensor) throws -> Tensor {
        try infer([input]).outputs[0]
    }

    // MARK: Switching (any thread but the inference thread)

    /// The level inferences run on now.
    public var activeLevel: Int { lock.withLock { active.level } }

    /// Levels kept prepared, ascending.
    public var preparedLevels: [Int] { lock.withLock { cache.levels } }

    /// The kept plan of `level`, if it is prepared.
    public func preparedLevel(_ level: Int) -> PreparedLevel? { lock.withLock { cache.entries[level] } }

    /// Counters and timings so far.
    public var stats: SwitchStatistics {
        lock.withLock {
            var s = statistics
            s.activeLevel = active.level
            s.preparedLevels = cache.levels
            s.preparedBytes = cache.totalBytes
            s.evictions = cache.evictions
            return s
        }
    }

    /// The most recent swap pauses in seconds (up to the last 4096), oldest first.
    public func recentSwapPauses() -> [Double] {
        lock.withLock {
            let n = min(pauseCount, AdaptiveModel.pauseRingSize)
            let start = pauseCount - n
            return (start..<pauseCount).map { Double(pauseRing[$0 % AdaptiveModel.pauseRingSize]) * 1e-9 }
        }
    }

    /// Builds `level` on the calling thread unless it is kept ready, and keeps it (within the
    /// budget). A failure changes nothing: the active level keeps running.
    @discardableResult
    public func prepare(level: Int) throws -> PrepareResult {
        let (prepared, built) = try obtain(level)
        return PrepareResult(level: level, seconds: built ? prepared.prepareSeconds : 0,
                             measuredFormats: built && prepared.measuredFormats, wasCached: !built)
    }

    /// `prepare(level:)` on the model's background thread; `completion` runs on that thread.
    public func prepareAsync(level: Int, completion: @escaping @Sendable (Result<PrepareResult, Error>) -> Void) {
        do {
            try checkLevel(level)
            try worker.submit { [weak self] in
                guard let self else {
                    completion(.failure(EdgePruneError(.input, "the adaptive model was released before level \(level) was prepared")))
                    return
                }
                completion(Result { try self.prepare(level: level) })
            }
        } catch {
            completion(.failure(error))
        }
    }

    /// Makes `level` active from the next inference on, preparing it first (on the calling
    /// thread) unless it is ready. A failed prepare leaves the active level unchanged.
    public func switchTo(level: Int) throws {
        let (target, _) = try obtain(level)
        defer { releaseRetired() }
        let released: (PreparedLevel?, [PreparedLevel]) = lock.withLock {
            let t0 = monotonicNanoseconds()
            let old = active
            guard old !== target else { return (nil, []) }
            active = target
            if cache.lookup(level) !== target { cache.insert(target) }  // evicted by a racing prepare
            let evicted = cache.enforceBudget(pinned: [level])
            statistics.record(switchFrom: old.level, to: level, holdNanoseconds: monotonicNanoseconds() &- t0)
            return (old, evicted)
        }
        _ = released  // the old level and evicted plans are dropped here, outside the lock
    }

    /// The prepared level, from the cache or built now (true: built by this call).
    private func obtain(_ level: Int) throws -> (PreparedLevel, Bool) {
        try checkLevel(level)
        defer { releaseRetired() }
        if let hit = lock.withLock({ () -> PreparedLevel? in
            let p = cache.lookup(level)
            if p != nil { statistics.cacheHits += 1 }
            return p
        }) { return (hit, false) }
        return try buildLock.withLock {
            if let hit = lock.withLock({ cache.lookup(level) }) { return (hit, false) }
            let known = lock.withLock { formats[level] }
            let prepared: PreparedLevel
            do {
                try prepareFault?(level)
                prepared = try AdaptiveModel.build(level: level, graph: graph, maskedBase: maskedBase, masker: masker,
                                                   inputShapes: inputShapes, options: options, pool: pool, known: known)
            } catch {
                lock.withLock { statistics.failedPrepares += 1 }
                throw error
            }
            let evicted: [PreparedLevel] = lock.withLock {
                formats[level] = prepared.weightFormats
                cache.insert(prepared)
                statistics.record(prepare: prepared)
                return cache.enforceBudget(pinned: [active.level, level])
            }
            _ = evicted  // released here, outside the lock
            return (prepared, true)
        }
    }

    /// Cold-prepares `levels` whose formats are not known yet, keeping their formats (and the
    /// plans, within the budget), so later prepares of them are warm.
    public func measureFormats(levels: [Int]) throws {
        for level in levels {
            try checkLevel(level)
            if lock.withLock({ formats[level] }) != nil { continue }
            try prepare(level: level)
        }
    }

    /// Whether `level`'s formats are known (its next prepare is warm).
    public func hasMeasuredFormats(level: Int) -> Bool { lock.withLock { formats[level] != nil } }

    /// Forgets the kept plans of every level but the active one (formats stay known): the next
    /// prepare of any other level builds again, warm. For benchmarks and memory pressure.
    public func dropPreparedLevels() {
        let dropped: [PreparedLevel] = lock.withLock {
            let others = cache.entries.values.filter { $0 !== active }
            var fresh = LevelPlanCache(budgetBytes: cache.budgetBytes)
            fresh.insert(active)
            cache = fresh
            return others
        }
        _ = dropped
        releaseRetired()
    }

    /// Forgets measured formats too (every level but the active one prepares cold again).
    public func forgetFormats() {
        lock.withLock { formats = formats.filter { $0.key == active.level } }
        dropPreparedLevels()
    }

    // MARK: Building

    private func checkLevel(_ level: Int) throws {
        guard (0...topLevel).contains(level) else {
            throw EdgePruneError(.input, topLevel == 0
                ? "level \(level) asked for, but the model has no sparsity ladder (only level 0)"
                : "level \(level) is outside the model's sparsity ladder (levels 0...\(topLevel))")
        }
    }

    private func releaseRetired() {
        let done: [PreparedLevel] = lock.withLock {
            guard !retired.isEmpty else { return [] }
            let r = retired
            retired.removeAll(keepingCapacity: true)
            return r
        }
        _ = done
    }

    /// Builds one level. With `known` formats the plan is forced to them (warm). Without, the
    /// formats are measured on a single-threaded plan (the probe must not share the worker pool
    /// with the inference thread) and the plan is rebuilt with them when kernels use the pool.
    private static func build(level: Int, graph: Graph, maskedBase: Graph?, masker: LadderMasker?,
                              inputShapes: [String: [Int]], options: Options, pool: WorkerPool?,
                              known: [String: String]?) throws -> PreparedLevel {
        let t0 = monotonicNanoseconds()
        let levelGraph: Graph
        if let maskedBase, let masker {
            levelGraph = try masker.graph(maskedBase, level: level)
        } else {
            levelGraph = try GraphPasses.optimize(try PrunedLevels.graph(graph, level: level), limits: options.limits)
        }
        var policy = options.policy
        let plan: ExecutionPlan
        let chosen: [String: String]
        if let known {
            policy.layerFormats = known
            plan = try Planner.plan(levelGraph, inputShapes: inputShapes, limits: options.limits, pool: pool, policy: policy)
            chosen = known
        } else {
            let probe = try Planner.plan(levelGraph, inputShapes: inputShapes, limits: options.limits, pool: nil, policy: policy)
            chosen = probe.weightFormats
            if pool == nil {
                plan = probe
            } else {
                policy.layerFormats = chosen
                plan = try Planner.plan(levelGraph, inputShapes: inputShapes, limits: options.limits, pool: pool, policy: policy)
            }
        }
        let seconds = Double(monotonicNanoseconds() &- t0) * 1e-9
        let maskedBytes = masker?.maskedBytes(level: level)
            ?? (level == 0 ? 0 : levelGraph.initializers.values.reduce(0) { $0 + $1.byteCount })
        return PreparedLevel(level: level, plan: plan, weightFormats: chosen, maskedBytes: maskedBytes,
                             prepareSeconds: seconds, measuredFormats: known == nil)
    }

    /// Whether masking the optimised graph gives, at every level, exactly the graph that
    /// optimising the masked stored graph gives (same nodes, byte-identical initializers): then
    /// prepare can skip the graph passes. Checked once at load.
    private static func maskingCommutes(_ graph: Graph, optimized: Graph, masker: LadderMasker, limits: PlanLimits) throws -> Bool {
        guard masker.topLevel >= 1 else { return true }
        for level in 1...masker.topLevel {
            let fast = try masker.graph(optimized, level: level)
            let slow = try GraphPasses.optimize(try graph.atLadderLevel(level), limits: limits)
            guard fast.nodes.count == slow.nodes.count,
                  zip(fast.nodes, slow.nodes).allSatisfy({ $0.name == $1.name && $0.opType == $1.opType && $0.inputs == $1.inputs && $0.outputs == $1.outputs }),
                  Set(fast.initializers.keys) == Set(slow.initializers.keys) else { return false }
            for (name, a) in fast.initializers {
                let b = slow.initializers[name]!
                guard a.type == b.type, memcmp(a.raw, b.raw, a.byteCount) == 0 else { return false }
            }
        }
        return true
    }

    /// Input shapes with the first symbolic dimension bound to `batch`.
    private static func shapes(_ graph: Graph, batch: Int) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for info in graph.runtimeInputs {
            shapes[info.name] = try info.dims.enumerated().map { i, d in
                switch d {
                case .fixed(let n): return n
                case .symbolic(let s):
                    if i == 0 { return batch }
                    throw EdgePruneError(.input, "input '\(info.name)' has symbolic dimension '\(s)' at axis \(i); the adaptive model plans for fixed shapes")
                }
            }
        }
        return shapes
    }
}
