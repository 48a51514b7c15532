import EdgePruneCore

/// Acceptance figures from a simulated timeline.
enum Figures {
    /// Inferences after the last scripted event before "steady state" is counted.
    static let settle = 500

    /// - Parameters:
    ///   - decisionIndices: the inference after which each decision was taken.
    ///   - loads: the inferences each load phase covered.
    ///   - unloadedLatency: each level's p95 without load (seconds): which level fits the budget.
    ///   - accuracyChanges: inferences where the true accuracy was changed.
    ///   - lastEvent: the last scripted event; steady state starts `settle` inferences after it.
    static func compute(config: ControllerConfig, levels: [Int], trueAccuracy: [Double], p95: [Double?], budgets: [Double?],
                        feedbacks: [Int], decisions: [SwitchDecision], decisionIndices: [Int], loads phases: [Range<Int>],
                        unloadedLatency: [Double], accuracyChanges: [Int], lastEvent: Int, tracking: Double?) -> SimulationFigures {
        let n = levels.count
        let decisionAt = zip(decisionIndices, decisions).map { (i: $0, d: $1) }
        var loads: [SimulationFigures.LoadResponse] = []
        for phase in phases {
            let end = min(phase.upperBound, n)
            var toBudget: Int? = 0
            var firstUnder: Int? = 0
            var shareAfter: Double? = nil
            if phase.lowerBound < end {
                let isOver = { (i: Int) -> Bool in
                    guard let b = budgets[i], let p = p95[i] else { return false }
                    return p > b
                }
                // Back under budget means measured under it (right after a switch the new level's
                // p95 is not measured yet, and that does not count).
                let measuredUnder = { (i: Int) -> Bool in p95[i] != nil && !isOver(i) }
                let over = (phase.lowerBound..<end).filter(isOver)
                if let last = over.last {
                    toBudget = ((last + 1)..<end).first(where: measuredUnder).map { $0 - phase.lowerBound }
                }
                if let first = over.first {
                    let back = (first..<end).first(where: measuredUnder)
                    firstUnder = back.map { $0 - phase.lowerBound }
                    if let back, back < end {
                        shareAfter = Double((back..<end).filter(isOver).count) / Double(end - back)
                    }
                } else {
                    shareAfter = 0
                }
            }
            // The most accurate level whose unloaded latency fits the budget in force after the load.
            var target: Int? = nil
            if end < n, let b = budgets[end] {
                target = unloadedLatency.indices.first { i in
                    unloadedLatency[i] <= b * (1 - config.hysteresisBand)
                        && i >= config.minLevel && i <= (config.maxLevel ?? unloadedLatency.count - 1)
                }
            }
            var recover: Int? = nil
            if let t = target, end < n { recover = (end..<n).first { levels[$0] <= t }.map { $0 - end } }
            loads.append(.init(start: phase.lowerBound, end: end, inferencesToBudget: toBudget, inferencesToFirstUnderBudget: firstUnder,
                               overBudgetShareAfterReturn: shareAfter, inferencesToRecover: recover, recoveredLevel: target))
        }
        var drifts: [SimulationFigures.DriftResponse] = []
        for change in accuracyChanges where change < n {
            let relax = decisionAt.first { $0.i >= change && $0.d.to < $0.d.from }
            drifts.append(.init(at: change, feedbacksToRelax: relax.map { feedbacks[min($0.i, n - 1)] - feedbacks[change] }))
        }
        var longest = 0
        if let floor = config.accuracyFloor {
            var run = 0
            for a in trueAccuracy { run = a < floor ? run + 1 : 0; longest = max(longest, run) }
        }
        var steady: Double? = nil
        if lastEvent + settle < n {
            let count = decisionAt.filter { $0.i >= lastEvent + settle }.count
            steady = Double(count) * 1000 / Double(n - lastEvent - settle)
        }
        return SimulationFigures(switches: decisions.count, loadResponses: loads, driftResponses: drifts, longestBelowFloor: longest,
                                 cooldownInferences: config.cooldownInferences, steadySwitchesPer1000: steady,
                                 shadowTrackingErrorPoints: tracking)
    }
}
