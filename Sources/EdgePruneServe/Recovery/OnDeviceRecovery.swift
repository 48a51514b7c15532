import Dispatch
import EdgePruneCore
import EdgePruneDaemon
import EdgePruneDevice
import EdgePruneHTTP
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// On-device recovery's background task: a thread of its own at a lowered priority (nice) that
/// wakes once a second, and when enough new labelled samples have accumulated and the cooldown has
/// passed, runs one `RecoveryTrainer.attempt` on the running model's active level and hands a
/// better model to `adopt` (the daemon's model-update path). Never on the inference thread, never
/// on the cooperative pool. Every outcome is logged, counted and kept for GET /status.
public final class OnDeviceRecovery: @unchecked Sendable {
    /// The model the attempt starts from, its active level, and a token naming it (the daemon's
    /// AdaptiveModel), so that `adopt` can refuse a result trained on a model replaced meanwhile.
    public struct Target {
        public let graph: Graph
        public let level: Int
        public let token: AnyObject

        public init(graph: Graph, level: Int, token: AnyObject) {
            self.graph = graph
            self.level = level
            self.token = token
        }
    }

    /// What GET /status shows (snake_case).
    public struct Status: Encodable, Sendable {
        public struct Last: Encodable, Sendable {
            public let time: Double
            public let outcome: String
            public let reason: String
            public let level: Int?
            public let accuracy_before: Double?
            public let accuracy_after: Double?
            public let validation_samples: Int?
            public let train_samples: Int?
            public let p_value: Double?
            public let seconds: Double?
        }
        public var enabled = true
        public var state: String
        public var samples: Int
        public var new_samples: Int
        public var window_capacity: Int
        public var labels_matched: UInt64
        public var labels_unmatched: UInt64
        public var labels_out_of_range: UInt64
        public var labels_non_finite: UInt64
        public var samples_evicted: UInt64
        public var runs: Int
        public var adopted: Int
        public var rejected: Int
        public var failed: Int
        public var skipped: Int
        public var nice: Int?
        public var last: Last?
    }

    public let settings: DaemonConfig.Recovery
    public let samples: RecoverySamples
    private let current: () -> Target?
    private let adopt: (Graph, RecoveryFigures, AnyObject) -> String?
    private let logger: Logger
    private let metrics: DaemonMetrics?
    private let clock: () -> Double
    private let lock = NSLock()
    /// One run at a time (the thread's, or a caller's `runNow`).
    private let runLock = NSLock()
    private var stopping = false
    private var training = false
    private var lastRunEnd = -Double.infinity
    private var counts = (runs: 0, adopted: 0, rejected: 0, failed: 0, skipped: 0)
    private var last: Status.Last?
    private var threadNice: Int?
    private let wake = DispatchSemaphore(value: 0)
    private let ended = DispatchGroup()
    private var started = false

    /// - Parameters:
    ///   - current: the running model and level (nil: nothing to train now).
    ///   - adopt: installs a better model; nil when it is in force, else why it was not.
    ///   - clock: monotonic seconds (tests drive the cooldown with their own).
    public init(settings: DaemonConfig.Recovery, samples: RecoverySamples, logger: Logger, metrics: DaemonMetrics? = nil,
                clock: @escaping () -> Double = DeviceClock.monotonicSeconds,
                current: @escaping () -> Target?, adopt: @escaping (Graph, RecoveryFigures, AnyObject) -> String?) {
        self.settings = settings
        self.samples = samples
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.current = current
        self.adopt = adopt
    }

    // MARK: Thread

    /// Starts the background thread (once).
    public func start(pollSeconds: Double = 1) {
        let first: Bool = lock.withLock { defer { started = true }; return !started && !stopping }
        guard first else { return }
        ended.enter()
        let t = Thread { [self] in
            let nice = Int32(settings.nice)
            // On Linux the nice value is per thread: who = 0 is the calling thread only.
            if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) != 0 {
                logger.warning("recovery: cannot lower the training thread's priority", metadata: ["nice": "\(nice)", "errno": "\(errno)"])
            }
            errno = 0
            let now = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            lock.withLock { threadNice = errno == 0 ? Int(now) : nil }
            while !isStopping {
                _ = wake.wait(timeout: .now() + pollSeconds)
                if isStopping { break }
                _ = runIfDue()
            }
            ended.leave()
        }
        t.name = "edgeprune-recovery"
        t.qualityOfService = .background
        t.start()
    }

    /// Stops the thread: a run in progress ends at its next batch and adopts nothing.
    public func stop(timeout: Double = 30) {
        let wasStarted: Bool = lock.withLock { stopping = true; return started }
        guard wasStarted else { return }
        wake.signal()
        if ended.wait(timeout: .now() + timeout) == .timedOut {
            logger.warning("recovery: the training thread did not stop within \(timeout) s")
        }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    // MARK: One run

    /// Why a run is not due now, or nil when it is.
    public func notDue() -> String? {
        let (have, new) = samples.count
        if have < settings.minSamples { return "\(have) labelled samples, \(settings.minSamples) needed (recovery.min_samples)" }
        if new < settings.minNewSamples {
            return "\(new) new labelled samples since the last run, \(settings.minNewSamples) needed (recovery.min_new_samples)"
        }
        let wait = lock.withLock { lastRunEnd + settings.cooldownSeconds } - clock()
        if wait > 0 { return "cooling down for \(Int(wait.rounded(.up))) s more (recovery.cooldown_seconds)" }
        return nil
    }

    /// Runs one attempt when one is due (the background thread calls this; tests call it
    /// directly). nil when none was due.
    @discardableResult
    public func runIfDue() -> RecoveryOutcome? {
        runLock.lock()
        defer { runLock.unlock() }
        guard notDue() == nil else { return nil }
        return run()
    }

    /// One attempt now, whatever the counts and the cooldown (apart from the checks the trainer
    /// itself makes).
    @discardableResult
    public func runNow() -> RecoveryOutcome {
        runLock.lock()
        defer { runLock.unlock() }
        return run()
    }

    private func run() -> RecoveryOutcome {
        guard let target = current() else {
            return finish(.skipped("no model is running"), consumed: false)
        }
        if target.level == 0, let ladder = target.graph.ladder {
            return finish(.skipped("the active level is 0, the dense reference of a \(ladder.topLevel + 1)-level ladder; "
                                   + "recovery fine-tunes pruned levels only"), consumed: false)
        }
        lock.withLock { training = true }
        let (x, y) = samples.take()
        let start = clock()
        let limit = settings.maxTrainingSeconds
        var outcome = RecoveryTrainer.attempt(model: target.graph, level: target.level, inputs: x, labels: y, settings: settings,
                                              shouldStop: { [self] in
            if isStopping { return "the daemon is stopping" }
            if clock() - start > limit { return "recovery.max_training_seconds (\(RecoveryTrainer.fraction(limit)) s) ran out" }
            return nil
        })
        if case .adopted(let graph, let figures) = outcome {
            if isStopping {
                outcome = .rejected("the daemon is stopping; the better model is discarded", figures)
            } else if let why = adopt(graph, figures, target.token) {
                outcome = .failed("the better model could not be installed: \(why); the running model is kept")
            }
        }
        return finish(outcome, consumed: true)
    }

    private func finish(_ outcome: RecoveryOutcome, consumed: Bool) -> RecoveryOutcome {
        let f = outcome.figures
        let record = Status.Last(time: InferenceRecord.wallClock(), outcome: outcome.kind, reason: outcome.reason, level: f?.level,
                                 accuracy_before: f?.accuracyBefore, accuracy_after: f?.accuracyAfter,
                                 validation_samples: f?.validationSamples, train_samples: f?.trainSamples, p_value: f?.pValue,
                                 seconds: f?.seconds)
        let repeatedSkip: Bool = lock.withLock {
            let repeated = last?.outcome == "skipped" && last?.reason == record.reason && outcome.kind == "skipped"
            training = false
            // A skip before any training (no model, level 0) starts no cooldown: the run happens
            // as soon as the reason goes away.
            if consumed { lastRunEnd = clock() }
            last = record
            switch outcome {
            case .adopted: counts.adopted += 1; counts.runs += 1
            case .rejected: counts.rejected += 1; counts.runs += 1
            case .failed: counts.failed += 1; counts.runs += 1
            case .skipped: counts.skipped += 1
            }
            return repeated
        }
        if outcome.kind != "skipped" { metrics?.recordRecovery(outcome: outcome.kind) }
        let metadata: Logger.Metadata = ["outcome": "\(outcome.kind)", "reason": "\(outcome.reason)"]
        switch outcome {
        case .adopted: logger.notice("recovery: adopted a fine-tuned level", metadata: metadata)
        case .rejected: logger.info("recovery: candidate discarded", metadata: metadata)
        case .failed: logger.warning("recovery: run failed; the running model is kept", metadata: metadata)
        case .skipped: if !repeatedSkip { logger.info("recovery: skipped", metadata: metadata) }
        }
        return outcome
    }

    // MARK: Status

    public var status: Status {
        let (have, new) = samples.count
        let s = samples.stats
        return lock.withLock {
            Status(state: training ? "training" : "idle", samples: have, new_samples: new,
                   window_capacity: samples.windowCapacity, labels_matched: s.labelled, labels_unmatched: s.unmatched,
                   labels_out_of_range: s.outOfRange, labels_non_finite: s.nonFinite, samples_evicted: s.evicted, runs: counts.runs, adopted: counts.adopted,
                   rejected: counts.rejected, failed: counts.failed, skipped: counts.skipped, nice: threadNice, last: last)
        }
    }
}
