import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneDaemon
import EdgePruneDevice
import Foundation

/// GET /status: what the daemon is doing, as JSON (snake_case keys, SI units with the unit in
/// the key name).
struct StatusDocument: Encodable {
    struct Latency: Encodable {
        let samples: Int
        let p50_ms: Double
        let p95_ms: Double
        let p99_ms: Double
    }
    struct Estimate: Encodable {
        let rate: Double
        let lower: Double
        let upper: Double
        let trials: Int
        init(_ p: ProportionEstimate) {
            rate = p.rate
            lower = p.lower
            upper = p.upper
            trials = p.trials
        }
    }
    struct Budgets: Encodable {
        let latency_p95_ms: Double?
        let energy_mj: Double?
        let power_w: Double?
        let accuracy_floor: Double?
        let priority: String
    }
    struct Decision: Encodable {
        let time: Double
        let from: Int
        let to: Int
        let reason: String
    }
    struct Queue: Encodable {
        let capacity: Int
        let depth: Int
        let policy: String
        let pushed: UInt64
        let popped: UInt64
        let dropped: UInt64
        let dropped_oldest: UInt64
        let dropped_newest: UInt64
        let dropped_blocked: UInt64
        let dropped_closed: UInt64
    }

    var status = "ok"
    var detail: String? = nil
    let device: String
    let groups: [String]
    let board: String
    let model: String
    let config_version: UInt64
    let uptime_seconds: Double
    let started_at: Double
    var level: Int? = nil
    var levels: Int? = nil
    var sparsity: Double? = nil
    var inferences: UInt64? = nil
    var inferences_at_level: Int? = nil
    var latency: Latency? = nil
    var energy_mj_per_inference: Double? = nil
    var energy_source: String? = nil
    var average_power_w: Double? = nil
    var accuracy_labels: Estimate? = nil
    var shadow_agreement: Estimate? = nil
    var budgets: Budgets? = nil
    var decisions: [Decision]? = nil
    var source: InferenceLoop.SourceStats? = nil
    var queue: Queue? = nil
    var loop: InferenceLoop.Counters? = nil
    var runner_counters: [String: Int]? = nil
    /// On-device recovery (absent when `recovery.enabled` is false).
    var recovery: OnDeviceRecovery.Status? = nil
    let persist_failures: Int
    /// Totals as last persisted in the state directory (they survive restarts).
    let persisted_counters: [String: UInt64]

    init(service: DaemonService, state: InferenceLoop.State) {
        let snap = service.snapshot
        device = snap.config.device.id
        groups = snap.config.device.groups
        board = service.board.name
        model = snap.model
        config_version = snap.version
        uptime_seconds = snap.uptime
        started_at = snap.startedAt
        persist_failures = snap.persistFailures
        persisted_counters = service.store.current.counters
        let s = state.runner.status()
        level = s.level
        levels = state.runner.model.topLevel + 1
        sparsity = s.sparsity
        inferences = state.counters.inferences
        inferences_at_level = s.inferencesAtLevel
        latency = s.latency.map { Latency(samples: $0.count, p50_ms: $0.p50 * 1e3, p95_ms: $0.p95 * 1e3, p99_ms: $0.p99 * 1e3) }
        energy_mj_per_inference = s.energyPerInference.map { $0 * 1e3 }
        energy_source = s.energySource.rawValue
        average_power_w = s.averagePower?.watts
        accuracy_labels = s.accuracy.map(Estimate.init)
        shadow_agreement = s.agreement.map(Estimate.init)
        let b = s.budgets
        budgets = Budgets(latency_p95_ms: b.latencyP95Budget.map { $0 * 1e3 }, energy_mj: b.energyBudget.map { $0 * 1e3 },
                          power_w: b.powerBudget, accuracy_floor: b.accuracyFloor, priority: b.priority == .accuracyFirst ? "accuracy-first" : "budget-first")
        decisions = s.decisions.map { Decision(time: $0.time, from: $0.from, to: $0.to, reason: $0.reason) }
        let loop = service.loop!
        source = loop.source
        let q = loop.queue.stats
        queue = Queue(capacity: q.capacity, depth: q.depth, policy: loop.queue.policy.rawValue, pushed: q.pushed, popped: q.popped,
                      dropped: q.dropped, dropped_oldest: q.droppedOldest, dropped_newest: q.droppedNewest,
                      dropped_blocked: q.droppedBlocked, dropped_closed: q.droppedClosed)
        self.loop = state.counters
        runner_counters = s.counters.flattened
        recovery = service.recovery?.status
        if case .unhealthy(let why) = service.health() {
            status = "unhealthy"
            detail = why
        }
    }

    /// When the inference thread cannot be asked: the service's own figures only.
    init(unavailable why: String, service: DaemonService) {
        let snap = service.snapshot
        status = "degraded"
        detail = why
        device = snap.config.device.id
        groups = snap.config.device.groups
        board = service.board.name
        model = snap.model
        config_version = snap.version
        uptime_seconds = snap.uptime
        started_at = snap.startedAt
        persist_failures = snap.persistFailures
        persisted_counters = service.store.current.counters
        source = service.loop.source
        recovery = service.recovery?.status
    }

    func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? Array(encoder.encode(self))) ?? Array("{\"status\":\"error\",\"detail\":\"status could not be encoded\"}".utf8)
    }
}
