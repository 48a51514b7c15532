import EdgePruneCore
import EdgePruneDevice

/// How an `AdaptiveRunner` watches and steers the model.
public struct RunnerOptions: Sendable {
    /// Budgets, floor, hysteresis, cooldown, levels (see `ControllerConfig`).
    public var controller: ControllerConfig
    /// Timings kept per level for the p95.
    public var latencyWindow: Int
    /// Labelled / shadow results kept per level for the accuracy estimates.
    public var accuracyWindow: Int
    /// Inferences remembered while their label may still come, and for how long (seconds).
    public var pendingCapacity: Int
    public var labelMaxAge: Double
    /// Fraction of inferences the dense model re-runs off the hot path (0: no shadow).
    public var shadowFraction: Double
    /// Energy figures kept per level for the mean energy per inference.
    public var energyWindow: Int
    /// Seconds of history behind the average power.
    public var powerWindowSeconds: Double
    /// Labels queued from other threads before `feedback` calls are refused (counted).
    public var feedbackQueueCapacity: Int

    public init(controller: ControllerConfig, latencyWindow: Int = 128, accuracyWindow: Int = 200,
                pendingCapacity: Int = 4096, labelMaxAge: Double = 60, shadowFraction: Double = 0.05,
                energyWindow: Int = 128, powerWindowSeconds: Double = 2, feedbackQueueCapacity: Int = 4096) {
        self.controller = controller
        self.latencyWindow = latencyWindow
        self.accuracyWindow = accuracyWindow
        self.pendingCapacity = pendingCapacity
        self.labelMaxAge = labelMaxAge
        self.shadowFraction = shadowFraction
        self.energyWindow = energyWindow
        self.powerWindowSeconds = powerWindowSeconds
        self.feedbackQueueCapacity = feedbackQueueCapacity
    }

    /// Checks what the monitors would refuse, naming the option.
    public func validate(topLevel: Int) throws {
        try controller.validate(topLevel: topLevel)
        func atLeastOne(_ v: Int, _ name: String) throws {
            guard v >= 1 else { throw EdgePruneError(.input, "runner: \(name) must be at least 1, got \(v)") }
        }
        try atLeastOne(latencyWindow, "latency window")
        try atLeastOne(accuracyWindow, "accuracy window")
        try atLeastOne(pendingCapacity, "pending capacity")
        try atLeastOne(energyWindow, "energy window")
        try atLeastOne(feedbackQueueCapacity, "feedback queue capacity")
        guard labelMaxAge.isFinite, labelMaxAge > 0 else {
            throw EdgePruneError(.input, "runner: label max age must be a positive number of seconds, got \(labelMaxAge)")
        }
        guard shadowFraction.isFinite, (0...1).contains(shadowFraction) else {
            throw EdgePruneError(.input, "runner: shadow fraction must be in 0...1, got \(shadowFraction)")
        }
        guard powerWindowSeconds.isFinite, powerWindowSeconds > 0 else {
            throw EdgePruneError(.input, "runner: power window must be a positive number of seconds, got \(powerWindowSeconds)")
        }
    }
}

/// One inference as the runner saw it.
public struct InferenceOutcome: Sendable {
    /// The id feedback refers to.
    public let id: UInt64
    /// The level that ran.
    public let level: Int
    /// Index of the highest class score.
    public let top1: Int
    /// Wall time of the inference (monotonic clock), seconds.
    public let seconds: Double
    /// Energy of the inference above the idle board (meter or model), joules.
    public let energy: InferenceEnergy
    /// The switch the controller decided after this inference (it takes effect once prepared).
    public let decision: SwitchDecision?
}

/// Everything the runner knows now, for a status line, an HTTP status page or metrics.
public struct RunnerStatus: Sendable {
    public let time: Double
    public let level: Int
    public let sparsity: Double
    public let inferences: Int
    public let inferencesAtLevel: Int
    public let latency: LatencySummary?
    /// Mean energy per inference at the active level (joules), and where it comes from.
    public let energyPerInference: Double?
    public let energySource: EnergySource
    public let averagePower: PowerEstimate?
    public let accuracy: ProportionEstimate?
    public let agreement: ProportionEstimate?
    /// Shadow agreement turned into an accuracy estimate with bounds (min(a, d), see
    /// `ShadowAccuracyEstimate`).
    public let shadowAccuracy: ShadowAccuracyEstimate?
    public let confidence: ConfidenceSummary?
    public let budgets: ControllerConfig
    public let decisions: [SwitchDecision]
    public let counters: RunnerCounters
}

/// What went wrong or was refused, counted; none of it stops the runner.
public struct RunnerCounters: Sendable, Equatable {
    public var accuracy = AccuracyMonitorCounters()
    public var energy = EnergyCounters()
    public var controller = ControllerCounters()
    /// nil without a shadow model.
    public var shadow: ShadowRunnerCounters?
    public var rejectedTimings = 0
    /// Labels refused because the feedback queue was full.
    public var feedbackQueueFull = 0
    /// Prepares of a decided level that failed (the active level kept running).
    public var failedPrepares = 0
    public var switches = 0
    /// Decisions the journal file could not take (they stay in the in-memory journal).
    public var journalErrors = 0
}
