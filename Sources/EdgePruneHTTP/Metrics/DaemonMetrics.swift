import Prometheus

/// The daemon's Prometheus metrics, served by GET /metrics through `DaemonControl.metricsText()`.
///
/// The collectors are swift-prometheus's, which implement swift-metrics' handler protocols, held
/// in a `PrometheusCollectorRegistry` this object owns (never the process-global one, so tests
/// and several daemons in one process do not share counters). ``factory`` is a swift-metrics
/// `MetricsFactory` over the same registry: code that speaks swift-metrics (`Counter(label:
/// dimensions: factory:)`, a library's instrumentation) lands in the same exposition without
/// bootstrapping the global `MetricsSystem`. Names under `edgeprune_` belong to this type; do not
/// create them through the factory (the registry refuses a second HELP text for a name).
///
/// Metrics (all names are fixed API; dashboards depend on them):
///
/// | name | type | labels | set by |
/// |---|---|---|---|
/// | `edgeprune_inference_latency_seconds` | histogram (10 µs … 1 s) | | `recordInference` |
/// | `edgeprune_inferences_total` | counter | `level` | `recordInference` |
/// | `edgeprune_level` | gauge | | `setLevel` |
/// | `edgeprune_sparsity` | gauge (0…1) | | `setLevel` |
/// | `edgeprune_energy_joules_per_inference` | gauge | | `setEnergy` |
/// | `edgeprune_power_watts` | gauge | | `setEnergy` |
/// | `edgeprune_accuracy_estimate` | gauge (0…1) | `source="labels"\|"shadow"` | `setAccuracy` |
/// | `edgeprune_dropped_windows_total` | counter | `reason` | `addDrops` |
/// | `edgeprune_errors_total` | counter | `kind` | `addErrors` |
/// | `edgeprune_level_switches_total` | counter | `direction="sparser"\|"denser"` | `recordSwitch` |
/// | `edgeprune_feedback_labels_total` | counter | `result="accepted"\|"refused"` | `addFeedback` |
/// | `edgeprune_config_version` | gauge | | `configVersion` |
/// | `edgeprune_queue_depth` | gauge | | `setQueueDepth` |
/// | `edgeprune_recovery_runs_total` | counter | `outcome="adopted"\|"rejected"\|"failed"` | `recordRecovery` |
///
/// A gauge with no value yet (an energy or accuracy estimate the daemon cannot make) reads NaN,
/// which Prometheus stores as "no value" and graphs as a gap, rather than a misleading 0.
///
/// Hot path: every call is lock-free atomics (counters, gauges) or one short mutex section (the
/// histogram's buckets; the label caches' dictionary lookups); the first use of a new label
/// value allocates its series, later ones do not. Nothing here blocks on I/O.
public final class DaemonMetrics: Sendable {
    /// The metric names, for dashboards and tests.
    public enum Name {
        public static let inferenceLatency = "edgeprune_inference_latency_seconds"
        public static let inferences = "edgeprune_inferences_total"
        public static let level = "edgeprune_level"
        public static let sparsity = "edgeprune_sparsity"
        public static let energyPerInference = "edgeprune_energy_joules_per_inference"
        public static let power = "edgeprune_power_watts"
        public static let accuracy = "edgeprune_accuracy_estimate"
        public static let droppedWindows = "edgeprune_dropped_windows_total"
        public static let errors = "edgeprune_errors_total"
        public static let levelSwitches = "edgeprune_level_switches_total"
        public static let feedbackLabels = "edgeprune_feedback_labels_total"
        public static let configVersion = "edgeprune_config_version"
        public static let queueDepth = "edgeprune_queue_depth"
        public static let recoveryRuns = "edgeprune_recovery_runs_total"
    }

    /// Latency buckets in seconds: 1-2.5-5 steps from 10 µs to 1 s (a small model on a Cortex-A53
    /// runs in tens of microseconds; a large one on a loaded board in hundreds of milliseconds).
    public static let latencyBuckets: [Double] = [
        0.000_01, 0.000_025, 0.000_05,
        0.000_1, 0.000_25, 0.000_5,
        0.001, 0.002_5, 0.005,
        0.01, 0.025, 0.05,
        0.1, 0.25, 0.5,
        1.0,
    ]

    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory over ``registry`` (see the type's documentation).
    public let factory: PrometheusMetricsFactory

    private let latency: ValueHistogram
    private let inferencesByLevel: LabelledCounters<Int>
    private let levelGauge: Gauge
    private let sparsityGauge: Gauge
    private let energyGauge: Gauge
    private let powerGauge: Gauge
    private let accuracyFromLabels: Gauge
    private let accuracyFromShadow: Gauge
    private let drops: LabelledCounters<String>
    private let errors: LabelledCounters<String>
    private let switchesSparser: Counter
    private let switchesDenser: Counter
    private let feedbackAccepted: Counter
    private let feedbackRefused: Counter
    private let configVersionGauge: Gauge
    private let queueDepthGauge: Gauge
    private let recoveryRuns: LabelledCounters<String>

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        factory = PrometheusMetricsFactory(registry: registry)

        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], initial: Double = 0) -> Gauge {
            let g = registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
            g.set(to: initial)
            return g
        }
        func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
            registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
        }

        latency = registry.makeValueHistogram(
            descriptor: Self.descriptor(Name.inferenceLatency, "Inference latency (one window through the model), in seconds."),
            labels: [], buckets: Self.latencyBuckets)
        let inferencesDescriptor = Self.descriptor(Name.inferences, "Inferences run, by the ladder level that ran them.")
        inferencesByLevel = LabelledCounters(registry: registry, descriptor: inferencesDescriptor, label: "level") { String($0) }
        levelGauge = gauge(Name.level, "Sparsity ladder level in force (0: the model as trained).")
        sparsityGauge = gauge(Name.sparsity, "Fraction of prunable weights that are zero at the current level.")
        energyGauge = gauge(Name.energyPerInference, "Measured or modelled energy per inference, in joules (NaN: unknown).", initial: .nan)
        powerGauge = gauge(Name.power, "Average power of the board, in watts (NaN: unknown).", initial: .nan)
        let accuracyHelp = "Task accuracy estimate, 0 to 1: from labels (feedback) or from agreement with shadow runs of the dense model (NaN: no estimate yet)."
        accuracyFromLabels = gauge(Name.accuracy, accuracyHelp, [("source", "labels")], initial: .nan)
        accuracyFromShadow = gauge(Name.accuracy, accuracyHelp, [("source", "shadow")], initial: .nan)
        drops = LabelledCounters(registry: registry,
                                 descriptor: Self.descriptor(Name.droppedWindows, "Sensor windows dropped before inference, by reason."),
                                 label: "reason") { $0 }
        errors = LabelledCounters(registry: registry,
                                  descriptor: Self.descriptor(Name.errors, "Errors, by kind."),
                                  label: "kind") { $0 }
        let switchHelp = "Ladder level switches: sparser (a higher level) or denser (a lower one)."
        switchesSparser = counter(Name.levelSwitches, switchHelp, [("direction", "sparser")])
        switchesDenser = counter(Name.levelSwitches, switchHelp, [("direction", "denser")])
        let feedbackHelp = "Feedback labels received, by result (refused: unknown, expired, duplicate or out of range)."
        feedbackAccepted = counter(Name.feedbackLabels, feedbackHelp, [("result", "accepted")])
        feedbackRefused = counter(Name.feedbackLabels, feedbackHelp, [("result", "refused")])
        configVersionGauge = gauge(Name.configVersion, "Version of the config in force (0 before any versioned update).")
        queueDepthGauge = gauge(Name.queueDepth, "Windows waiting in the inference queue.")
        recoveryRuns = LabelledCounters(registry: registry,
                                        descriptor: Self.descriptor(Name.recoveryRuns, "On-device recovery runs, by outcome (adopted, rejected, failed)."),
                                        label: "outcome") { $0 }
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    // MARK: Hot path

    /// One inference took `seconds` at ladder `level`. Non-finite or negative times are ignored
    /// (a clock fault must not poison the histogram's sum).
    public func recordInference(seconds: Double, level: Int) {
        guard seconds.isFinite, seconds >= 0 else { return }
        latency.record(seconds)
        inferencesByLevel.counter(for: level).increment()
    }

    /// The ladder level in force and its sparsity (0…1).
    public func setLevel(_ level: Int, sparsity: Double) {
        levelGauge.set(to: Double(level))
        sparsityGauge.set(to: sparsity)
    }

    /// Energy per inference in joules and average power in watts; nil: unknown (NaN).
    public func setEnergy(joulesPerInference: Double?, watts: Double?) {
        energyGauge.set(to: joulesPerInference ?? .nan)
        powerGauge.set(to: watts ?? .nan)
    }

    /// Accuracy estimates (0…1) from labelled feedback and from shadow-run agreement; nil: none.
    public func setAccuracy(labelled: Double?, agreement: Double?) {
        accuracyFromLabels.set(to: labelled ?? .nan)
        accuracyFromShadow.set(to: agreement ?? .nan)
    }

    /// `n` windows dropped for `reason` (e.g. "queue_full", "sensor_gap"); a small fixed set of
    /// reasons, since each one is a time series.
    public func addDrops(_ n: Int, reason: String) {
        guard n > 0 else { return }
        drops.counter(for: reason).increment(by: Int64(n))
    }

    /// `n` errors of `kind` (e.g. "sensor", "inference", "sink"); a small fixed set of kinds.
    public func addErrors(_ n: Int, kind: String) {
        guard n > 0 else { return }
        errors.counter(for: kind).increment(by: Int64(n))
    }

    /// A level switch; a "switch" to the same level is not counted.
    public func recordSwitch(from: Int, to: Int) {
        if to > from { switchesSparser.increment() } else if to < from { switchesDenser.increment() }
    }

    /// The outcome of one feedback submission.
    public func addFeedback(accepted: Int, refused: Int) {
        if accepted > 0 { feedbackAccepted.increment(by: Int64(accepted)) }
        if refused > 0 { feedbackRefused.increment(by: Int64(refused)) }
    }

    /// The config version now in force.
    public func configVersion(_ version: UInt64) {
        configVersionGauge.set(to: Double(version))
    }

    /// Windows waiting in the inference queue.
    public func setQueueDepth(_ depth: Int) {
        queueDepthGauge.set(to: Double(depth))
    }

    /// One on-device recovery run ended with `outcome` ("adopted", "rejected" or "failed").
    public func recordRecovery(outcome: String) {
        recoveryRuns.counter(for: outcome).increment()
    }

    // MARK: Exposition

    /// The Prometheus text exposition (format 0.0.4) of every metric in the registry.
    public func text() -> String {
        registry.emitToString()
    }
}

/// One counter family with a single label whose values appear at run time, each series created
/// on first use and cached (the registry's own lookup builds a label array every call).
final class LabelledCounters<Key: Hashable & Sendable>: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let descriptorName: String
    private let help: String
    private let label: String
    private let render: @Sendable (Key) -> String
    private let cache = Locked<[Key: Counter]>([:])

    init(registry: PrometheusCollectorRegistry, descriptor: MetricNameDescriptor, label: String,
         render: @escaping @Sendable (Key) -> String) {
        self.registry = registry
        descriptorName = descriptor.metricName
        help = descriptor.helpText ?? ""
        self.label = label
        self.render = render
    }

    func counter(for key: Key) -> Counter {
        if let counter = cache.withLock({ $0[key] }) { return counter }
        // Created outside our lock (the registry takes its own); a racing creator gets the same
        // series back from the registry.
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: descriptorName, unitName: "", helpText: help),
            labels: [(label, render(key))])
        cache.withLock { $0[key] = counter }
        return counter
    }
}
