import EdgePruneCore
import EdgePruneDevice
import EdgePrunePruning

/// The closed loop on the device: runs each inference on the active ladder level, times it,
/// measures (or estimates) its energy, samples the dense model off the hot path, takes labelled
/// feedback, shows the controller a snapshot, and carries out its decisions by preparing the
/// target level on the model's background thread and swapping it in between inferences.
///
/// `infer` and `status` belong to one thread (the inference thread: it owns the monitors).
/// `feedback` may be called from any thread: labels are queued and matched at the next inference.
public final class AdaptiveRunner {
    public let model: AdaptiveModel
    public let options: RunnerOptions
    public let controller: Controller
    /// The class count (the first output's element count).
    public let classes: Int
    /// Input elements per inference.
    public let inputCount: Int

    private let clock: MonotonicClock
    private let latency: LatencyMonitor
    private let accuracy: AccuracyMonitor
    private let shadow: ShadowRunner?
    private let energy: EnergyTracker
    private let journal: JournalWriter?
    private let work: [(macs: Double, bytes: Double)]
    private let inbox: FeedbackInbox
    private let switching = SwitchOutcomes()
    private var energyWindow: ValueWindow
    private var nextId: UInt64 = 1
    private var inferences = 0
    private var lastLevel: Int
    private var atLevel = 0
    private var rejectedTimings = 0
    private var journalErrors = 0
    private var lastEnergySource = EnergySource.model
    /// What the controller was shown after the last inference.
    public private(set) var lastSnapshot: MonitorSnapshot?

    /// - Parameters:
    ///   - model: the ladder model (its active level is where the controller starts).
    ///   - board: the energy model's board, used when `meter` is nil or fails.
    ///   - journal: where decisions are appended as JSON lines (nil: kept in memory only).
    ///   - profiles: the controller's seed table (nil: the ladder's offline figures), e.g. levels
    ///     measured on this device at start.
    ///   - firstInferenceID: the id of the first inference; a runner that replaces another (a new
    ///     model, new settings) or a restarted daemon continues the old sequence, so a late label
    ///     never lands on a different inference that reused its id.
    public init(model: AdaptiveModel, options: RunnerOptions, board: BoardProfile, meter: EnergyMeter? = nil,
                journal: JournalWriter? = nil, profiles: [LevelProfile]? = nil, clock: MonotonicClock = SystemClock(),
                firstInferenceID: UInt64 = 1) throws {
        try options.validate(topLevel: model.topLevel)
        let plan = model.run { plan, _ in plan }
        guard plan.inputs.count == 1, plan.inputs[0].type.dtype == .float32 else {
            throw EdgePruneError(.input, "adaptive runner: the model must take one f32 input, it takes "
                                 + plan.inputs.map { "\($0.name) \($0.type)" }.joined(separator: ", "))
        }
        guard let out = plan.outputs.first, out.type.dtype == .float32, out.type.count >= 2 else {
            throw EdgePruneError(.input, "adaptive runner: the model's first output must hold f32 class scores")
        }
        self.model = model
        self.options = options
        self.clock = clock
        self.journal = journal
        classes = out.type.count
        inputCount = plan.inputs[0].type.count
        var table: LevelProfileTable
        if let ladder = model.graph.ladder {
            table = try LevelProfileTable(ladder: ladder)
            work = ladder.levels.map { (Double($0.macs), Double($0.sizeBytes)) }
        } else {
            table = try LevelProfileTable(profiles: [LevelProfile(level: 0, sparsity: 0)])
            work = [(Double(plan.totalMACs), 0)]
        }
        if let profiles {
            guard profiles.count == table.count else {
                throw EdgePruneError(.input, "adaptive runner: \(profiles.count) level profiles for a model with \(table.count) levels")
            }
            table = try LevelProfileTable(profiles: profiles)
        }
        controller = try Controller(config: options.controller, table: table, initialLevel: model.activeLevel)
        latency = LatencyMonitor(window: options.latencyWindow)
        accuracy = try AccuracyMonitor(classes: classes, window: options.accuracyWindow, pendingCapacity: options.pendingCapacity,
                                       maxAge: options.labelMaxAge, shadowFraction: options.shadowFraction)
        shadow = options.shadowFraction > 0 && model.topLevel > 0
            ? try ShadowRunner(denseGraph: PrunedLevels.graph(model.graph, level: 0)) : nil
        energy = EnergyTracker(meter: meter, estimator: ModelEnergyEstimator(profile: board))
        inbox = FeedbackInbox(capacity: options.feedbackQueueCapacity)
        energyWindow = ValueWindow(capacity: options.energyWindow)
        lastLevel = model.activeLevel
        nextId = max(firstInferenceID, 1)
    }

    /// The id the next inference will get (inference thread).
    public var nextInferenceID: UInt64 { nextId }

    /// Continues `other`'s id sequence (called on the inference thread when this runner replaces it).
    public func continueInferenceIDs(after other: AdaptiveRunner) { nextId = max(nextId, other.nextId) }

    deinit { shadow?.shutdown() }

    // MARK: Inference thread

    /// Runs one inference on `input` (`inputCount` floats), then lets the controller look.
    /// `scores`, when given, sees the output class scores before they are overwritten.
    @discardableResult
    public func infer(_ input: UnsafeBufferPointer<Float>, scores: ((UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> InferenceOutcome {
        guard input.count == inputCount else {
            throw EdgePruneError(.input, "adaptive runner: an input holds \(inputCount) values, got \(input.count)")
        }
        let id = nextId
        nextId &+= 1
        energy.begin()
        let start = clock.now()
        let (level, top1) = model.run { plan, level -> (Int, Int) in
            let dst = plan.inputs[0].pointer.assumingMemoryBound(to: Float.self)
            dst.update(from: input.baseAddress!, count: inputCount)
            plan.run()
            let out = UnsafeBufferPointer(start: plan.outputs[0].pointer.assumingMemoryBound(to: Float.self), count: classes)
            scores?(out)
            accuracy.recordConfidence(level: level, outputs: out)
            return (level, Self.argmax(out))
        }
        let end = clock.now()
        let w = work[min(level, work.count - 1)]
        let joules = energy.end(macs: w.macs, bytes: w.bytes, busyCores: Double(model.options.threads))
        inferences += 1

        if level != lastLevel {
            lastLevel = level
            atLevel = 0
            latency.reset(level: level)
            energyWindow.removeAll()
        }
        atLevel += 1
        if !latency.record(seconds: end - start, level: level) { rejectedTimings += 1 }
        energyWindow.append(joules.inferenceJoules)
        lastEnergySource = joules.source
        accuracy.noteInference(id: id, level: level, predicted: top1, time: end)
        if let shadow, accuracy.shouldShadow(id: id) {
            shadow.submit(id: id, level: level, activeTop1: top1, input: input)
        }
        shadow?.drain(into: accuracy)
        inbox.drain { accuracy.feedback(id: $0.id, label: $0.label, time: end) }

        let seen = snapshot(time: end, level: level)
        lastSnapshot = seen
        let decision = controller.observe(seen)
        if let decision { carryOut(decision) }
        return InferenceOutcome(id: id, level: level, top1: top1, seconds: end - start, energy: joules, decision: decision)
    }

    /// What the controller is shown.
    private func snapshot(time: Double, level: Int) -> MonitorSnapshot {
        let meanEnergy = energyWindow.count > 0 ? energyWindow.mean : nil
        return MonitorSnapshot(time: time, level: level, inferencesAtLevel: atLevel,
                               latencyP95: latency.summary(level: level)?.p95, energyPerInference: meanEnergy,
                               averagePower: energy.averagePower(window: options.powerWindowSeconds)?.watts,
                               accuracy: accuracy.accuracy(level: level), agreement: accuracy.agreement(level: level))
    }

    /// Prepares the target on the model's background thread and swaps it in when ready; the
    /// inference thread never waits for a build.
    private func carryOut(_ d: SwitchDecision) {
        if let journal {
            do { try journal.append(d) } catch { journalErrors += 1 }
        }
        let model = self.model, outcomes = switching, target = d.to
        model.prepareAsync(level: target) { result in
            do {
                _ = try result.get()
                try model.switchTo(level: target)
                outcomes.record(failed: false)
            } catch {
                outcomes.record(failed: true)
            }
        }
    }

    /// The label of inference `id`, from any thread. False when the queue is full (counted).
    @discardableResult
    public func feedback(id: UInt64, label: Int) -> Bool { inbox.push(id: id, label: label) }

    /// The monitors' view now (inference thread).
    public func status() -> RunnerStatus {
        let level = lastLevel
        var counters = RunnerCounters()
        counters.accuracy = accuracy.counters
        counters.energy = energy.counters
        counters.controller = controller.counters
        counters.shadow = shadow?.counters
        counters.rejectedTimings = rejectedTimings
        counters.feedbackQueueFull = inbox.refused
        (counters.switches, counters.failedPrepares) = switching.counts
        counters.journalErrors = journalErrors
        let dense = controller.table.expected(level: 0)?.accuracy
        return RunnerStatus(
            time: clock.now(), level: level, sparsity: controller.table.sparsity[level], inferences: inferences, inferencesAtLevel: atLevel,
            latency: latency.summary(level: level), energyPerInference: energyWindow.count > 0 ? energyWindow.mean : nil,
            energySource: lastEnergySource,
            averagePower: energy.averagePower(window: options.powerWindowSeconds),
            accuracy: accuracy.accuracy(level: level), agreement: accuracy.agreement(level: level),
            shadowAccuracy: dense.flatMap { accuracy.shadowAccuracy(level: level, denseAccuracy: $0) },
            confidence: accuracy.confidence(level: level), budgets: controller.config,
            decisions: Array(controller.journal.suffix(20)), counters: counters)
    }

    /// Waits for queued shadow inferences (for replay and tests; never on the hot path).
    public func waitForShadow() {
        shadow?.waitUntilIdle()
        shadow?.drain(into: accuracy)
    }

    static func argmax(_ v: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<v.count where v[i] > v[best] { best = i }
        return best
    }
}

/// Labels handed over from other threads, matched on the inference thread.
final class FeedbackInbox: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [(id: UInt64, label: Int)] = []
    private var taken: [(id: UInt64, label: Int)] = []
    private let capacity: Int
    private(set) var refused = 0

    init(capacity: Int) {
        self.capacity = capacity
        queue.reserveCapacity(capacity)
        taken.reserveCapacity(capacity)
    }

    func push(id: UInt64, label: Int) -> Bool {
        lock.withLock {
            guard queue.count < capacity else { refused += 1; return false }
            queue.append((id, label))
            return true
        }
    }

    /// Hands every queued label to `body` outside the lock, oldest first.
    func drain(_ body: ((id: UInt64, label: Int)) -> Void) {
        lock.withLock { swap(&queue, &taken) }
        for item in taken { body(item) }
        taken.removeAll(keepingCapacity: true)
    }
}

/// Results of switches carried out on the prepare thread.
final class SwitchOutcomes: @unchecked Sendable {
    private let lock = ConditionLock()
    private var switches = 0, failures = 0
    func record(failed: Bool) { lock.withLock { if failed { failures += 1 } else { switches += 1 } } }
    var counts: (Int, Int) { lock.withLock { (switches, failures) } }
}

/// The last `capacity` values and their mean; preallocated.
struct ValueWindow {
    private var values: [Double]
    private var next = 0
    private(set) var count = 0
    private var sum = 0.0

    init(capacity: Int) { values = [Double](repeating: 0, count: capacity) }

    mutating func append(_ v: Double) {
        guard v.isFinite else { return }
        if count == values.count { sum -= values[next] } else { count += 1 }
        values[next] = v
        sum += v
        next = (next + 1) % values.count
    }

    mutating func removeAll() { next = 0; count = 0; sum = 0 }

    var mean: Double { count > 0 ? max(sum / Double(count), 0) : 0 }
}
