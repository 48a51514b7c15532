import EdgePruneCore

/// Acceptance figures from a simulated timeline.
enum Figures {
    /// Inferences after the last scripted event before "steady state" is counted.
    static let settle = 500

    static func compute(_ s: Scenario, config: ControllerConfig, levels: [Int], trueAccuracy: [Double], p95: [Double?],
                        budgets: [Double?], feedbacks: [Int], decisions: [SwitchDecision], tracking: Double?) -> SimulationFigures {
        let n = levels.count
        let interval = s.intervalMs / 1000
        let decisionAt = decisions.map { (i: Int(($0.time / interval).rounded()), d: $0) }
        var loads: [SimulationFigures.LoadResponse] = []
        for phase in s.load {
            let end = min(phase.to, n)
            var toBudget: Int? = 0
            if phase.from < end {
                let over = (phase.from..<end).filter { i in
                    guard let b = budgets[i], let p = p95[i] else { return false }
                    return p > b
                }
                if let last = over.last { toBudget = last + 1 < end ? last + 1 - phase.from : nil }
            }
            // The most accurate level whose unloaded latency fits the budget in force after the load.
            var target: Int? = nil
            if end < n, let b = budgets[end] {
                target = s.levels.indices.first { i in
                    s.levels[i].latencyMs / 1000 * (1 + s.latencyJitter) <= b * (1 - config.hysteresisBand)
                        && i >= config.minLevel && i <= (config.maxLevel ?? s.levels.count - 1)
                }
            }
            var recover: Int? = nil
            if let t = target, end < n { recover = (end..<n).first { levels[$0] <= t }.map { $0 - end } }
            loads.append(.init(start: phase.from, end: end, inferencesToBudget: toBudget, inferencesToRecover: recover, recoveredLevel: target))
        }
        var drifts: [SimulationFigures.DriftResponse] = []
        for change in s.accuracyChanges where change.from < n {
            let relax = decisionAt.first { $0.i >= change.from && $0.d.to < $0.d.from }
            drifts.append(.init(at: change.from, feedbacksToRelax: relax.map { feedbacks[min($0.i, n - 1)] - feedbacks[change.from] }))
        }
        var longest = 0
        if let floor = config.accuracyFloor {
            var run = 0
            for a in trueAccuracy { run = a < floor ? run + 1 : 0; longest = max(longest, run) }
        }
        let lastEvent = ([0] + s.load.map(\.to) + s.accuracyChanges.map(\.from) + s.budgetChanges.map(\.from)).max()! + settle
        var steady: Double? = nil
        if lastEvent < n {
            let count = decisionAt.filter { $0.i >= lastEvent }.count
            steady = Double(count) * 1000 / Double(n - lastEvent)
        }
        return SimulationFigures(switches: decisions.count, loadResponses: loads, driftResponses: drifts, longestBelowFloor: longest,
                                 cooldownInferences: config.cooldownInferences, steadySwitchesPer1000: steady,
                                 shadowTrackingErrorPoints: tracking)
    }
}
