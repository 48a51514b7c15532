import EdgePruneCore
import EdgePruneDaemon
import Foundation

/// The remotely changeable sections of a config (budgets, controller, log) written as one
/// overlay document: what the state directory keeps after a remote update, so a restart
/// re-applies every remote change on top of the local config file, not just the last one.
enum RemoteSections {
    static func document(_ c: DaemonConfig) -> [UInt8] {
        let b = c.budgets, k = c.controller
        var budgets: [String: Any] = ["priority": b.priority == .accuracyFirst ? "accuracy-first" : "budget-first",
                                      "board_defaults": b.boardDefaults]
        budgets["latency_p95_ms"] = b.latencyP95Ms ?? NSNull()
        budgets["energy_mj"] = b.energyMJ ?? NSNull()
        budgets["power_w"] = b.powerW ?? NSNull()
        budgets["accuracy_floor"] = b.accuracyFloor ?? NSNull()
        let controller: [String: Any] = [
            "hysteresis": k.hysteresis, "cooldown_inferences": k.cooldownInferences, "cooldown_seconds": k.cooldownSeconds,
            "min_level": k.minLevel, "max_level": k.maxLevel.map { $0 as Any } ?? NSNull(), "shadow_fraction": k.shadowFraction,
            "label_max_age_seconds": k.labelMaxAgeSeconds, "rollback_window_inferences": k.rollbackWindowInferences,
            "rollback_block_seconds": k.rollbackBlockSeconds, "min_latency_samples": k.minLatencySamples,
            "min_feedback": k.minFeedback,
        ]
        let doc: [String: Any] = ["budgets": budgets, "controller": controller, "log": ["level": c.log.level.rawValue]]
        return (try? Array(JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]))) ?? Array("{}".utf8)
    }
}
