import EdgePruneCore
import Foundation

/// Deterministic runs of the controller against a scripted world: a virtual clock, a latency model
/// with load phases, a label stream with scripted accuracy, shadow agreement. The same monitors and
/// controller as on the device; only the model and the clock are simulated.
public enum Simulator {
    /// xorshift64*: a small, seeded generator (the same scenario always gives the same run).
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        /// Uniform in [0, 1).
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    public static func run(_ s: Scenario, stride: Int = 10) throws -> SimulationResult {
        try s.validate()
        let classes = 10
        let profiles = s.levels.enumerated().map { i, l in
            LevelProfile(level: i, sparsity: l.sparsity, latencyP95: l.latencyMs / 1000, energyPerInference: l.energyMj.map { $0 / 1000 }, accuracy: l.accuracy)
        }
        let table = try LevelProfileTable(profiles: profiles)
        var config = s.controller
        let controller = try Controller(config: config, table: table, initialLevel: s.initialLevel)
        let latency = LatencyMonitor(window: 128)
        let accuracy = try AccuracyMonitor(classes: classes, window: s.accuracyWindow ?? 100, pendingCapacity: 4096, maxAge: 3600)
        if let f = s.shadowFraction { try accuracy.setShadowFraction(f) }
        var rng = Random(seed: s.seed)
        var level = s.initialLevel, atLevel = 0
        var trueAcc = s.levels.map(\.accuracy)
        var pendingLabels: [(due: Int, id: UInt64, label: Int)] = []
        var energyWindow: [Double] = []
        var steps: [SimulationStep] = []
        var levels: [Int] = [], trueAccs: [Double] = [], p95s: [Double?] = [], budgets: [Double?] = [], feedbackCount: [Int] = []
        var feedbacks = 0
        var trackingError = 0.0, trackingN = 0
        let interval = s.intervalMs / 1000
        for i in 0..<s.inferences {
            let time = Double(i) * interval
            for change in s.accuracyChanges where change.from == i {
                for (k, v) in change.accuracy { trueAcc[Int(k)!] = v }
            }
            for change in s.budgetChanges where change.from == i {
                config.latencyP95Budget = change.latencyP95Ms.map { $0 / 1000 } ?? config.latencyP95Budget
                config.energyBudget = change.energyMj.map { $0 / 1000 } ?? config.energyBudget
                config.powerBudget = change.averagePowerW ?? config.powerBudget
                try controller.updateBudgets(latencyP95: config.latencyP95Budget, energy: config.energyBudget, power: config.powerBudget)
            }
            let load = s.load.filter { $0.from <= i && i < $0.to }.map(\.factor).reduce(1, *)
            let jitter = 1 + s.latencyJitter * (2 * rng.unit() - 1)
            let seconds = s.levels[level].latencyMs / 1000 * load * jitter
            _ = latency.record(seconds: seconds, level: level)
            let energy = s.levels[level].energyMj.map { $0 / 1000 * load }
            if let e = energy {
                energyWindow.append(e)
                if energyWindow.count > 128 { energyWindow.removeFirst() }
            }
            // The world: a label, and whether the active level gets it right.
            let label = Int(rng.next() % UInt64(classes))
            let correct = rng.unit() < trueAcc[level]
            let predicted = correct ? label : (label + 1 + Int(rng.next() % UInt64(classes - 1))) % classes
            let id = UInt64(i)
            accuracy.noteInference(id: id, level: level, predicted: predicted, time: time)
            if let l = s.labels, rng.unit() < l.fraction { pendingLabels.append((i + l.delay, id, label)) }
            while let first = pendingLabels.first, first.due <= i {
                pendingLabels.removeFirst()
                if case .matched = accuracy.feedback(id: first.id, label: first.label, time: time) { feedbacks += 1 }
            }
            if accuracy.shouldShadow(id: id) {
                // The dense level is right with trueAcc[0]; agreement as scripted, else the
                // probability that both are right or both wrong the same way (approximately).
                let agree = rng.unit() < (s.levels[level].agreement ?? (level == 0 ? 1 : min(1, trueAcc[level] / max(trueAcc[0], 1e-9))))
                _ = accuracy.recordShadow(level: level, activeTop1: predicted, denseTop1: agree ? predicted : (predicted + 1) % classes)
            }
            atLevel += 1
            let p95 = latency.summary(level: level).flatMap { $0.count >= config.minLatencySamples ? $0.p95 : nil }
            let meanEnergy = energyWindow.count < config.minLatencySamples ? nil : energyWindow.reduce(0, +) / Double(energyWindow.count)
            let snapshot = MonitorSnapshot(time: time, level: level, inferencesAtLevel: atLevel, latencyP95: p95,
                                           energyPerInference: meanEnergy, averagePower: meanEnergy.map { $0 / interval },
                                           accuracy: accuracy.accuracy(level: level), agreement: accuracy.agreement(level: level))
            if let ag = snapshot.agreement, ag.trials >= 30 {
                trackingError += abs(ag.rate * trueAcc[0] - trueAcc[level]); trackingN += 1
            }
            levels.append(level); trueAccs.append(trueAcc[level]); p95s.append(p95); budgets.append(config.latencyP95Budget)
            feedbackCount.append(feedbacks)
            let decision = controller.observe(snapshot)
            if i % stride == 0 || decision != nil {
                steps.append(SimulationStep(inference: i, time: time, level: level, latencyMs: seconds * 1000, p95Ms: p95.map { $0 * 1000 },
                                            energyMj: energy.map { $0 * 1000 }, accuracy: snapshot.accuracy?.rate,
                                            accuracyLower: snapshot.accuracy?.lower, agreement: snapshot.agreement?.rate,
                                            trueAccuracy: trueAcc[level], load: load, latencyBudgetMs: config.latencyP95Budget.map { $0 * 1000 },
                                            energyBudgetMj: config.energyBudget.map { $0 * 1000 }))
            }
            if let d = decision {
                level = d.to
                atLevel = 0
                latency.reset(level: level)
                energyWindow.removeAll(keepingCapacity: true)
            }
        }
        let figures = Figures.compute(config: config, levels: levels, trueAccuracy: trueAccs, p95: p95s, budgets: budgets,
                                      feedbacks: feedbackCount, decisions: controller.journal,
                                      decisionIndices: controller.journal.map { Int(($0.time / interval).rounded()) },
                                      loads: s.load.map { $0.from..<max($0.from, $0.to) },
                                      unloadedLatency: s.levels.map { $0.latencyMs / 1000 * (1 + s.latencyJitter) },
                                      accuracyChanges: s.accuracyChanges.map(\.from),
                                      lastEvent: ([0] + s.load.map(\.to) + s.accuracyChanges.map(\.from) + s.budgetChanges.map(\.from)).max()!,
                                      tracking: trackingN > 0 ? 100 * trackingError / Double(trackingN) : nil)
        var counters: [String: Int] = [:]
        for (k, v) in Mirror(reflecting: accuracy.counters).children { if let k, let v = v as? Int { counters["accuracy.\(k)"] = v } }
        counters["latency.rejected"] = latency.rejected
        return SimulationResult(scenario: s.name, inferences: s.inferences, steps: steps, decisions: controller.journal,
                                figures: figures, monitorCounters: counters)
    }
}
