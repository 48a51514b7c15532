import EdgePruneCore
import Foundation

/// Decides when to move along the sparsity ladder: a pure function of the snapshots it is shown
/// (no clock, no threads), so the runtime, the simulator and the tests drive it alike. Not
/// thread-safe: one caller feeds it.
///
/// Each snapshot, in order:
/// 1. Checks it (bad figures are missing and counted; a bad time or level drops the snapshot).
///    While a decided switch is not yet visible in the snapshots, stale ones are skipped.
/// 2. Folds trusted figures into the profile table (cost figures once the level has run
///    `minLatencySamples` inferences, accuracy once `minFeedback` trials back it).
/// 3. Rollback (ignores the cooldown): within `rollbackWindowInferences` after tightening, an
///    accuracy upper bound below the floor sends it back to the level it came from and blocks the
///    failed level and every sparser one for `rollbackBlockSeconds`.
/// 4. A level outside minLevel...maxLevel (switched from elsewhere) is left at once.
/// 5. Otherwise, once the cooldown (inferences and seconds) has passed (with `fastTighten`, a
///    budget tightening only waits until the current level has `minLatencySamples` inferences):
///    - accuracy upper bound below the floor (accuracyFirst, or budgetFirst with no budget
///      violated): relax to the sparsest more accurate level the table expects at or above the
///      floor (budgetFirst: that also fits the budgets), else one step;
///    - a measured figure above its budget: tighten to the least sparse level expected within
///      budget × (1 − band), else one step; under accuracyFirst only onto levels the table does
///      not expect below the floor and that are not blocked;
///    - headroom: relax to the most accurate level expected within budget × (1 − band) for every
///      budget (a budget whose figure is not measured blocks relaxing: no headroom is known), and
///      not held back by a relax back-off: a relax that a budget tightening undoes within
///      `relaxProbeSeconds` holds that level and every more accurate one back for a back-off that
///      doubles with each failure. It lifts early when the failed level would now fit by the
///      ratio actually measured between it and the level the controller fell back to (the load
///      went away).
/// Predictions for another level j are measured(current) × table ratio(current → j); power uses
/// the energy ratio (falling back to latency), the fraction of power that scales with the work.
public final class Controller {
    public private(set) var config: ControllerConfig
    public private(set) var table: LevelProfileTable
    /// The level the controller has decided on (after a switch, before the snapshots confirm it).
    public private(set) var level: Int
    /// Target of a decided switch the snapshots have not confirmed yet.
    public private(set) var pendingTarget: Int?
    public private(set) var counters = ControllerCounters()
    /// The most recent decisions, oldest first, at most `config.journalCapacity`.
    public private(set) var journal: [SwitchDecision] = []

    private let maxLevel: Int
    private let denseAccuracy: Double
    private var lastTime: Double?
    private var pendingSince = 0.0
    private var lastSwitchTime: Double?
    private var lastSwitch: (from: Int, to: Int)?
    private var blockedUntil: [Int: Double] = [:]
    /// Latest trusted cost figures, and the ones taken just before the last switch.
    private var lastTrusted: (level: Int, time: Double, p95: Double?, energy: Double?)?
    private var beforeSwitch: (level: Int, time: Double, p95: Double?, energy: Double?)?
    /// The last headroom relax while it is on probation (`relaxProbeSeconds`).
    private var probation: (to: Int, time: Double)?
    /// Failed relaxes per level, and the back-offs in force (keyed by the failed level).
    private var relaxFailures: [Int: Int] = [:]
    private var relaxBackoffs: [Int: Backoff] = [:]

    /// No relax to a level ≤ the failed one before `until`, unless the failed level would fit by
    /// the ratio measured between it and the current level L: figures at the failed level (by
    /// budget name) over the first trusted figures at L after the failure, times what L measures
    /// now, within budget × (1 − band) for every budget.
    private struct Backoff {
        let until: Double
        let failedFigures: [String: Double]
        var references: [Int: [String: Double]] = [:]
    }

    public init(config: ControllerConfig, table: LevelProfileTable, initialLevel: Int) throws {
        try config.validate(topLevel: table.topLevel)
        let top = config.maxLevel ?? table.topLevel
        // A start outside minLevel...maxLevel is allowed (a persisted level, a config that narrowed
        // the range): rule 4 moves it into the range at the first snapshot.
        guard initialLevel >= 0, initialLevel <= table.topLevel else {
            throw EdgePruneError(.input, "controller: initial level \(initialLevel) is not a level of the ladder (0...\(table.topLevel))")
        }
        self.config = config
        self.table = table
        self.level = initialLevel
        self.maxLevel = top
        self.denseAccuracy = config.denseAccuracy ?? table.expected(level: 0)?.accuracy.flatMap { $0 > 0 ? $0 : nil } ?? 1
    }

    /// Replaces the budgets (a remote config update, or a scenario's budget change); the next
    /// snapshot is judged against them. Invalid budgets change nothing.
    public func updateBudgets(latencyP95: Double?, energy: Double?, power: Double?) throws {
        var c = config
        c.latencyP95Budget = latencyP95
        c.energyBudget = energy
        c.powerBudget = power
        try c.validate(topLevel: table.topLevel)
        config = c
    }

    /// Whether `level` is blocked by a rollback at time `time`.
    public func isBlocked(level: Int, at time: Double) -> Bool { (blockedUntil[level] ?? -.infinity) > time }

    /// Looks at one snapshot; returns the switch to make, if any (also appended to the journal).
    public func observe(_ s: MonitorSnapshot) -> SwitchDecision? {
        counters.snapshots += 1
        guard s.time.isFinite, s.time >= (lastTime ?? -.infinity), s.level >= 0, s.level <= table.topLevel, s.inferencesAtLevel >= 0 else {
            counters.ignoredSnapshots += 1
            return nil
        }
        lastTime = s.time
        let r = SnapshotReading(s)
        counters.invalidValues += r.invalid

        if let target = pendingTarget {
            if s.level == target {
                pendingTarget = nil
            } else if s.level == lastSwitch?.from, s.time - pendingSince <= config.switchTimeoutSeconds {
                counters.staleSnapshots += 1
                return nil
            } else {
                resync(to: s.level, time: s.time)
            }
        } else if s.level != level {
            resync(to: s.level, time: s.time)
        }

        // Trusted figures at the current level, folded into the table.
        let costTrusted = s.inferencesAtLevel >= config.minLatencySamples
        let p95 = costTrusted ? r.latencyP95 : nil
        let energy = costTrusted ? r.energyPerInference : nil
        let power = costTrusted ? r.averagePower : nil
        let accuracy = r.accuracyReading(minFeedback: config.minFeedback, denseAccuracy: denseAccuracy)
        if costTrusted, p95 != nil || energy != nil {
            if let b = beforeSwitch, b.level != level, s.time - b.time <= config.ratioLearningWindowSeconds {
                if let before = b.p95, let after = p95 { table.learnRatio(.latency, from: b.level, measured: before, to: level, measured: after) }
                if let before = b.energy, let after = energy { table.learnRatio(.energy, from: b.level, measured: before, to: level, measured: after) }
            }
            beforeSwitch = nil
            lastTrusted = (level, s.time, p95, energy)
        }
        table.update(level: level, latencyP95: p95, energyPerInference: energy, accuracy: accuracy?.rate)

        let values = r.journalValues(inferencesAtLevel: s.inferencesAtLevel)
        let budgets = Budgets(config: config, p95: p95, energy: energy, power: power)
        endProbation(time: s.time, measuredWithinBudget: costTrusted && budgets.violated.isEmpty)
        liftBackoffs(time: s.time, budgets: budgets)
        let floor = config.accuracyFloor
        let accuracyLow = floor.flatMap { f in accuracy.map { $0.upper < f } } ?? false

        // 3. Rollback: an accuracy collapse right after tightening.
        if accuracyLow, let f = floor, let acc = accuracy, let last = lastSwitch, last.to == level, last.from < level,
           s.inferencesAtLevel <= config.rollbackWindowInferences, last.from >= config.minLevel, last.from <= maxLevel,
           config.priority == .accuracyFirst || fits(last.from, budgets) == true {
            let until = s.time + config.rollbackBlockSeconds
            for k in level...table.topLevel { blockedUntil[k] = max(blockedUntil[k] ?? -.infinity, until) }
            counters.rollbacks += 1
            let reason = "rollback: \(Self.accuracyText(acc)) upper bound \(Self.pct(acc.upper)) < floor \(Self.pct(f)) "
                + "\(s.inferencesAtLevel) inferences after tightening \(last.from)→\(level); levels ≥ \(level) blocked for \(Self.num(config.rollbackBlockSeconds)) s"
            return decide(last.from, reason: reason, time: s.time, values: values)
        }

        // 4. A level outside minLevel...maxLevel (the runtime was switched from elsewhere) is
        // left at once, like a rollback: the range is a hard limit.
        if level < config.minLevel || level > maxLevel {
            let target = min(max(level, config.minLevel), maxLevel)
            return decide(target, reason: "level \(level) is outside the allowed levels \(config.minLevel)...\(maxLevel)", time: s.time, values: values)
        }
        // 5. The wanted move, then the cooldown.
        guard let move = wantedMove(time: s.time, budgets: budgets, accuracy: accuracy, accuracyLow: accuracyLow) else { return nil }
        let fast = move.kind == .tighten && config.fastTighten
        let (needSeconds, needInferences) = fast ? (0, min(config.cooldownInferences, config.minLatencySamples))
                                                 : (config.cooldownSeconds, config.cooldownInferences)
        if let t = lastSwitchTime, s.time - t < needSeconds || s.inferencesAtLevel < needInferences {
            counters.cooldownHolds += 1
            return nil
        }
        var reason = move.reason
        if move.kind == .tighten, let p = probation, p.to == level {
            reason += startBackoff(at: level, time: s.time, budgets: budgets)
        }
        let d = decide(move.target, reason: reason, time: s.time, values: values)
        if d != nil, move.kind == .headroom { probation = (move.target, s.time) }
        return d
    }

    // MARK: - Relax back-off

    /// A relax that held for the probe time, confirmed by a trusted measurement within budget,
    /// succeeded: its level's failures are forgiven. (At a slow inference rate the first trusted
    /// measurement can come after the probe time: probation lasts until it does.)
    private func endProbation(time: Double, measuredWithinBudget: Bool) {
        guard let p = probation else { return }
        guard level == p.to else { probation = nil; return }
        guard time - p.time > config.relaxProbeSeconds, measuredWithinBudget else { return }
        // It held: this level, and every sparser one, fits again.
        relaxFailures = relaxFailures.filter { $0.key < p.to }
        probation = nil
    }

    /// Holds `failed` and every more accurate level back; returns the text for the journal.
    private func startBackoff(at failed: Int, time: Double, budgets: Budgets) -> String {
        let n = (relaxFailures[failed] ?? 0) + 1
        relaxFailures[failed] = n
        let hold = min(config.relaxBackoffMaxSeconds, config.relaxBackoffSeconds * Double(1 << min(n - 1, 30)))
        var figures: [String: Double] = [:]
        for item in budgets.items { if let m = item.measured { figures[item.name] = m } }
        relaxBackoffs[failed] = Backoff(until: time + hold, failedFigures: figures)
        probation = nil
        counters.failedRelaxes += 1
        return "; the relax to \(failed) failed (\(n)×): levels ≤ \(failed) held back \(Self.num(hold)) s or until conditions improve"
    }

    /// Drops back-offs that ran out, and those whose failed level would now fit (see `Backoff`).
    /// A level's reference figures are the first trusted ones seen there after the failure.
    private func liftBackoffs(time: Double, budgets: Budgets) {
        for (k, b) in relaxBackoffs {
            if b.until <= time {
                relaxBackoffs[k] = nil
                continue
            }
            guard level > k, budgets.allMeasured, !budgets.items.isEmpty else { continue }
            guard let reference = b.references[level] else {
                var figures: [String: Double] = [:]
                for item in budgets.items { figures[item.name] = item.measured }
                relaxBackoffs[k]?.references[level] = figures
                continue
            }
            let fits = budgets.items.allSatisfy { item in
                guard let failed = b.failedFigures[item.name], let ref = reference[item.name], ref > 0, let now = item.measured else { return false }
                return now * failed / ref <= item.budget * (1 - config.hysteresisBand)
            }
            if fits {
                relaxBackoffs[k] = nil
                counters.backoffsLifted += 1
            }
        }
    }

    /// Whether a relax back-off holds level `j` back.
    private func heldBack(_ j: Int) -> Bool { relaxBackoffs.keys.contains { $0 >= j } }

    // MARK: - Decisions

    /// Trusted measurements against the configured budgets.
    private struct Budgets {
        struct Item {
            let name: String
            let budget: Double
            let measured: Double?
            let cost: LevelProfileTable.Cost
            let scale: Double
            let unit: String
        }
        let items: [Item]

        init(config: ControllerConfig, p95: Double?, energy: Double?, power: Double?) {
            var items: [Item] = []
            if let b = config.latencyP95Budget { items.append(Item(name: "p95", budget: b, measured: p95, cost: .latency, scale: 1e3, unit: "ms")) }
            if let b = config.energyBudget { items.append(Item(name: "energy", budget: b, measured: energy, cost: .energy, scale: 1e3, unit: "mJ")) }
            if let b = config.powerBudget { items.append(Item(name: "power", budget: b, measured: power, cost: .energy, scale: 1, unit: "W")) }
            self.items = items
        }

        var violated: [Item] { items.filter { ($0.measured ?? 0) > $0.budget } }
        var allMeasured: Bool { items.allSatisfy { $0.measured != nil } }
    }

    /// Whether level j is expected within budget × (1 − band) for every budget, from the current
    /// level's measurements and the table's ratios; nil when some figure cannot be predicted.
    private func fits(_ j: Int, _ budgets: Budgets) -> Bool? {
        var all = true
        for item in budgets.items {
            guard let p = predicted(item, at: j) else { return nil }
            if p > item.budget * (1 - config.hysteresisBand) { all = false }
        }
        return all
    }

    private func predicted(_ item: Budgets.Item, at j: Int) -> Double? {
        guard let m = item.measured, let ratio = table.ratio(item.cost, from: level, to: j) else { return nil }
        return m * ratio
    }

    private func expectedAccuracy(_ j: Int) -> Double? { table.expected(level: j)?.accuracy }

    /// Under the floor by the table (unknown is not under).
    private func expectedBelowFloor(_ j: Int) -> Bool {
        guard let f = config.accuracyFloor, let a = expectedAccuracy(j) else { return false }
        return a < f
    }

    private enum MoveKind { case accuracy, tighten, headroom }
    private struct Move {
        let target: Int
        let reason: String
        let kind: MoveKind
        init(_ target: Int, _ reason: String, _ kind: MoveKind) {
            self.target = target
            self.reason = reason
            self.kind = kind
        }
    }

    private func wantedMove(time: Double, budgets: Budgets, accuracy: AccuracyReading?, accuracyLow: Bool) -> Move? {
        let c = level
        let violated = budgets.violated
        let accuracyWins = accuracyLow && (config.priority == .accuracyFirst || violated.isEmpty)

        if accuracyWins, let acc = accuracy, let f = config.accuracyFloor {
            guard c > config.minLevel else { return nil }
            let why = "\(Self.accuracyText(acc)) upper bound \(Self.pct(acc.upper)) < floor \(Self.pct(f))"
            let lower = Array((config.minLevel..<c).reversed())  // sparsest first
            if config.priority == .accuracyFirst {
                if let j = lower.first(where: { (expectedAccuracy($0) ?? -1) >= f }) {
                    return Move(j, "relax for accuracy: \(why); level \(j) expected \(Self.pct(expectedAccuracy(j)!))", .accuracy)
                }
                return Move(c - 1, "relax for accuracy: \(why); no more accurate level known above the floor, one step", .accuracy)
            }
            let fitting = lower.filter { !budgets.items.isEmpty ? fits($0, budgets) == true : true }
            if let j = fitting.first(where: { (expectedAccuracy($0) ?? -1) >= f }) {
                return Move(j, "relax for accuracy: \(why); level \(j) expected \(Self.pct(expectedAccuracy(j)!)) and within budget", .accuracy)
            }
            if fitting.first == c - 1 {
                return Move(c - 1, "relax for accuracy: \(why); one step, within budget", .accuracy)
            }
            counters.budgetHolds += 1
            return nil
        }

        if !violated.isEmpty {
            let why = violated.map { "\($0.name) \(Self.num($0.measured! * $0.scale)) \($0.unit) > budget \(Self.num($0.budget * $0.scale)) \($0.unit)" }
                .joined(separator: ", ")
            guard c < maxLevel else { return nil }
            var candidates = Array((c + 1)...maxLevel)
            if config.priority == .accuracyFirst {
                candidates = candidates.filter { !isBlocked(level: $0, at: time) && !expectedBelowFloor($0) }
                if candidates.isEmpty {
                    counters.accuracyHolds += 1
                    return nil
                }
            }
            if let j = candidates.first(where: { fits($0, budgets) == true }) {
                let expect = budgets.items.compactMap { item in predicted(item, at: j).map { "\(item.name) \(Self.num($0 * item.scale)) \(item.unit)" } }
                return Move(j, "tighten: \(why); level \(j) expected \(expect.joined(separator: ", "))", .tighten)
            }
            return Move(candidates[0], "tighten: \(why); no level expected within budget × (1 − \(Self.num(config.hysteresisBand))), one step", .tighten)
        }

        // Headroom: the most accurate level expected to fit with the band.
        guard c > config.minLevel, budgets.allMeasured else { return nil }
        for j in config.minLevel..<c where !isBlocked(level: j, at: time) && !expectedBelowFloor(j) {
            if budgets.items.isEmpty {
                return Move(j, "relax: no budgets, most accurate allowed level", .headroom)
            }
            if heldBack(j) { continue }
            if fits(j, budgets) == true {
                let expect = budgets.items.map { item in
                    "\(item.name) \(Self.num(predicted(item, at: j)! * item.scale)) ≤ \(Self.num(item.budget * (1 - config.hysteresisBand) * item.scale)) \(item.unit)"
                }
                return Move(j, "relax: headroom; level \(j) expected \(expect.joined(separator: ", "))", .headroom)
            }
        }
        return nil
    }

    private func decide(_ target: Int, reason: String, time: Double, values: [String: Double]) -> SwitchDecision? {
        guard target != level else { return nil }
        let d = SwitchDecision(time: time, from: level, to: target, reason: reason, measured: values)
        journal.append(d)
        if journal.count > config.journalCapacity { journal.removeFirst(journal.count - config.journalCapacity) }
        beforeSwitch = lastTrusted.flatMap { $0.level == level ? $0 : nil }
        lastSwitch = (level, target)
        lastSwitchTime = time
        probation = nil
        pendingTarget = target
        pendingSince = time
        level = target
        counters.switches += 1
        return d
    }

    /// Believes the snapshots: the runtime is at `newLevel` (a switch made elsewhere, or ours
    /// never arrived). Cooldown restarts; no rollback or ratio learning across it.
    private func resync(to newLevel: Int, time: Double) {
        counters.resyncs += 1
        level = newLevel
        pendingTarget = nil
        lastSwitch = nil
        lastSwitchTime = time
        beforeSwitch = nil
        probation = nil
    }

    // MARK: - Text

    private static func num(_ x: Double) -> String { String(format: "%.4g", x) }
    private static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    private static func accuracyText(_ a: AccuracyReading) -> String {
        a.fromLabels ? "accuracy \(pct(a.rate)) (\(a.trials) labels)" : "agreement-based accuracy \(pct(a.rate)) (\(a.trials) shadow runs)"
    }
}
