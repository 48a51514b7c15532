import EdgePruneCore

/// What the controller keeps the model inside, and how eagerly it moves along the ladder.
///
/// Units are SI: seconds, joules per inference, watts; accuracy figures are fractions in (0, 1].
/// Every field has a default, so a JSON config only names what it changes; unknown keys are
/// refused (a misspelt budget must not silently become "no budget").
///
/// Accuracy floor: it applies to labelled-feedback accuracy when the snapshot has at least
/// `minFeedback` labelled trials. Otherwise it applies to shadow-dense agreement scaled by the
/// dense model's offline accuracy a0 (`denseAccuracy`, else the table's level-0 accuracy, else 1):
/// a level that agrees with the dense model on a fraction g of inputs has accuracy ≈ a0 · g when
/// disagreements are errors and agreement does not depend on whether the dense answer was right
/// (slightly pessimistic: a disagreement can still be right). The Wilson bounds scale alike.
public struct ControllerConfig: Sendable, Equatable {
    /// Which side wins when the accuracy floor and a budget cannot both hold.
    public enum Priority: String, Codable, Sendable {
        /// Never tighten onto a level expected below the floor; an accuracy collapse relaxes even
        /// when a budget is violated.
        case accuracyFirst
        /// Budgets hold first; the floor is honoured only where the budgets allow.
        case budgetFirst
    }

    /// p95 latency budget in seconds (nil: none).
    public var latencyP95Budget: Double?
    /// Energy budget in joules per inference (nil: none).
    public var energyBudget: Double?
    /// Average power budget in watts (nil: none).
    public var powerBudget: Double?
    /// Minimum acceptable accuracy, a fraction in (0, 1] (nil: none). See the type's notes.
    public var accuracyFloor: Double?
    /// The dense (level 0) model's offline accuracy, used to scale shadow agreement into an
    /// accuracy estimate (nil: the table's level-0 accuracy, else 1).
    public var denseAccuracy: Double?
    public var priority: Priority
    /// Hysteresis band b in [0, 1): tighten when a measured figure exceeds its budget B; a target
    /// level (tightening or relaxing) must be expected at or below B · (1 − b).
    public var hysteresisBand: Double
    /// After a switch, both this many inferences at the new level and this many seconds must pass
    /// before the next switch (an accuracy rollback does not wait).
    public var cooldownInferences: Int
    public var cooldownSeconds: Double
    /// The controller stays within minLevel...maxLevel (nil: the table's top level).
    public var minLevel: Int
    public var maxLevel: Int?
    /// Rollback: when, within this many inferences after a switch to a sparser level, the upper
    /// Wilson bound of accuracy falls below the floor, go back to the level switched from ...
    public var rollbackWindowInferences: Int
    /// ... and keep the failed level (and every sparser one) out of reach for this many seconds.
    public var rollbackBlockSeconds: Double
    /// Latency, energy and power are trusted only once the current level has run this many
    /// inferences (the snapshot's window at the level holds at most that many samples).
    public var minLatencySamples: Int
    /// Accuracy or agreement is trusted only with at least this many trials.
    public var minFeedback: Int
    /// A decided switch that snapshots have not confirmed after this many seconds is given up:
    /// the controller believes the level the snapshots report.
    public var switchTimeoutSeconds: Double
    /// A measurement taken before a switch teaches the table the ratio between the two levels
    /// only when the first trusted measurement after it comes within this many seconds.
    public var ratioLearningWindowSeconds: Double
    /// How many decisions the in-memory journal keeps (oldest dropped first).
    public var journalCapacity: Int
    /// Relax back-off: a relax to level j that a budget tightening undoes before it has held for
    /// `relaxProbeSeconds` (confirmed by a trusted measurement within budget) failed; j and every
    /// more accurate level are then not relaxed to for `relaxBackoffSeconds`, doubling with each
    /// further failure at j up to `relaxBackoffMaxSeconds`, unless conditions clearly improve
    /// first: the failed level would fit by the ratio measured between it and the level the
    /// controller now runs (a background load stopped). A relax that holds resets the back-off of
    /// j and every sparser level. This stops the controller probing a level that measured over
    /// budget under a steady load (the ratios between levels change under contention, so
    /// predictions miss).
    public var relaxProbeSeconds: Double
    public var relaxBackoffSeconds: Double
    public var relaxBackoffMaxSeconds: Double
    /// Fast attack, slow release: a budget tightening waits only until the current level has been
    /// measured (`minLatencySamples` inferences there), not for the whole cooldown; relaxing and
    /// accuracy moves keep the full cooldown. A load step then costs one measurement per step
    /// down the ladder instead of one cooldown.
    public var fastTighten: Bool

    public init(latencyP95Budget: Double? = nil, energyBudget: Double? = nil, powerBudget: Double? = nil,
                accuracyFloor: Double? = nil, denseAccuracy: Double? = nil, priority: Priority = .accuracyFirst,
                hysteresisBand: Double = 0.1, cooldownInferences: Int = 50, cooldownSeconds: Double = 1,
                minLevel: Int = 0, maxLevel: Int? = nil, rollbackWindowInferences: Int = 500,
                rollbackBlockSeconds: Double = 60, minLatencySamples: Int = 20, minFeedback: Int = 30,
                switchTimeoutSeconds: Double = 5, ratioLearningWindowSeconds: Double = 10, journalCapacity: Int = 1000,
                relaxProbeSeconds: Double = 10, relaxBackoffSeconds: Double = 5, relaxBackoffMaxSeconds: Double = 120,
                fastTighten: Bool = true) {
        self.latencyP95Budget = latencyP95Budget
        self.energyBudget = energyBudget
        self.powerBudget = powerBudget
        self.accuracyFloor = accuracyFloor
        self.denseAccuracy = denseAccuracy
        self.priority = priority
        self.hysteresisBand = hysteresisBand
        self.cooldownInferences = cooldownInferences
        self.cooldownSeconds = cooldownSeconds
        self.minLevel = minLevel
        self.maxLevel = maxLevel
        self.rollbackWindowInferences = rollbackWindowInferences
        self.rollbackBlockSeconds = rollbackBlockSeconds
        self.minLatencySamples = minLatencySamples
        self.minFeedback = minFeedback
        self.switchTimeoutSeconds = switchTimeoutSeconds
        self.ratioLearningWindowSeconds = ratioLearningWindowSeconds
        self.journalCapacity = journalCapacity
        self.relaxProbeSeconds = relaxProbeSeconds
        self.relaxBackoffSeconds = relaxBackoffSeconds
        self.relaxBackoffMaxSeconds = relaxBackoffMaxSeconds
        self.fastTighten = fastTighten
    }

    /// Whether any of latency, energy or power has a budget.
    public var hasBudget: Bool { latencyP95Budget != nil || energyBudget != nil || powerBudget != nil }

    /// Checks every field; the error names the first bad one and its value.
    public func validate() throws {
        func positive(_ v: Double?, _ name: String, _ unit: String) throws {
            guard let v else { return }
            guard v.isFinite, v > 0 else {
                throw EdgePruneError(.input, "controller config: \(name) is \(v) \(unit); it must be a finite number > 0 (omit it for no budget)")
            }
        }
        try positive(latencyP95Budget, "latencyP95Budget", "s")
        try positive(energyBudget, "energyBudget", "J per inference")
        try positive(powerBudget, "powerBudget", "W")
        for (name, v) in [("accuracyFloor", accuracyFloor), ("denseAccuracy", denseAccuracy)] {
            if let v, !(v.isFinite && v > 0 && v <= 1) {
                throw EdgePruneError(.input, "controller config: \(name) is \(v); it must be a fraction in (0, 1]")
            }
        }
        guard hysteresisBand.isFinite, hysteresisBand >= 0, hysteresisBand < 1 else {
            throw EdgePruneError(.input, "controller config: hysteresisBand is \(hysteresisBand); it must be in [0, 1)")
        }
        for (name, v) in [("cooldownSeconds", cooldownSeconds), ("rollbackBlockSeconds", rollbackBlockSeconds),
                          ("relaxProbeSeconds", relaxProbeSeconds), ("relaxBackoffSeconds", relaxBackoffSeconds),
                          ("relaxBackoffMaxSeconds", relaxBackoffMaxSeconds)] {
            guard v.isFinite, v >= 0 else {
                throw EdgePruneError(.input, "controller config: \(name) is \(v); it must be a finite number >= 0")
            }
        }
        for (name, v) in [("switchTimeoutSeconds", switchTimeoutSeconds), ("ratioLearningWindowSeconds", ratioLearningWindowSeconds)] {
            guard v.isFinite, v > 0 else {
                throw EdgePruneError(.input, "controller config: \(name) is \(v); it must be a finite number > 0")
            }
        }
        for (name, v) in [("cooldownInferences", cooldownInferences), ("rollbackWindowInferences", rollbackWindowInferences)] {
            guard v >= 0 else { throw EdgePruneError(.input, "controller config: \(name) is \(v); it must be >= 0") }
        }
        for (name, v) in [("minLatencySamples", minLatencySamples), ("minFeedback", minFeedback), ("journalCapacity", journalCapacity)] {
            guard v >= 1 else { throw EdgePruneError(.input, "controller config: \(name) is \(v); it must be >= 1") }
        }
        guard relaxBackoffMaxSeconds >= relaxBackoffSeconds else {
            throw EdgePruneError(.input, "controller config: relaxBackoffMaxSeconds \(relaxBackoffMaxSeconds) is below relaxBackoffSeconds \(relaxBackoffSeconds)")
        }
        guard minLevel >= 0 else { throw EdgePruneError(.input, "controller config: minLevel is \(minLevel); it must be >= 0") }
        if let maxLevel, maxLevel < minLevel {
            throw EdgePruneError(.input, "controller config: minLevel \(minLevel) is above maxLevel \(maxLevel)")
        }
    }

    /// `validate()` plus the level range against a table with levels 0...topLevel.
    public func validate(topLevel: Int) throws {
        try validate()
        guard minLevel <= topLevel else {
            throw EdgePruneError(.input, "controller config: minLevel \(minLevel) is above the ladder's top level \(topLevel)")
        }
        if let maxLevel, maxLevel > topLevel {
            throw EdgePruneError(.input, "controller config: maxLevel \(maxLevel) is above the ladder's top level \(topLevel)")
        }
    }
}

extension ControllerConfig: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case latencyP95Budget, energyBudget, powerBudget, accuracyFloor, denseAccuracy, priority, hysteresisBand
        case cooldownInferences, cooldownSeconds, minLevel, maxLevel, rollbackWindowInferences, rollbackBlockSeconds
        case minLatencySamples, minFeedback, switchTimeoutSeconds, ratioLearningWindowSeconds, journalCapacity
        case relaxProbeSeconds, relaxBackoffSeconds, relaxBackoffMaxSeconds, fastTighten
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Missing keys take the defaults; unknown keys are an error naming the key.
    public init(from decoder: Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = all.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw EdgePruneError(.input, "controller config: unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ControllerConfig()
        self.init(
            latencyP95Budget: try c.decodeIfPresent(Double.self, forKey: .latencyP95Budget),
            energyBudget: try c.decodeIfPresent(Double.self, forKey: .energyBudget),
            powerBudget: try c.decodeIfPresent(Double.self, forKey: .powerBudget),
            accuracyFloor: try c.decodeIfPresent(Double.self, forKey: .accuracyFloor),
            denseAccuracy: try c.decodeIfPresent(Double.self, forKey: .denseAccuracy),
            priority: try c.decodeIfPresent(Priority.self, forKey: .priority) ?? d.priority,
            hysteresisBand: try c.decodeIfPresent(Double.self, forKey: .hysteresisBand) ?? d.hysteresisBand,
            cooldownInferences: try c.decodeIfPresent(Int.self, forKey: .cooldownInferences) ?? d.cooldownInferences,
            cooldownSeconds: try c.decodeIfPresent(Double.self, forKey: .cooldownSeconds) ?? d.cooldownSeconds,
            minLevel: try c.decodeIfPresent(Int.self, forKey: .minLevel) ?? d.minLevel,
            maxLevel: try c.decodeIfPresent(Int.self, forKey: .maxLevel),
            rollbackWindowInferences: try c.decodeIfPresent(Int.self, forKey: .rollbackWindowInferences) ?? d.rollbackWindowInferences,
            rollbackBlockSeconds: try c.decodeIfPresent(Double.self, forKey: .rollbackBlockSeconds) ?? d.rollbackBlockSeconds,
            minLatencySamples: try c.decodeIfPresent(Int.self, forKey: .minLatencySamples) ?? d.minLatencySamples,
            minFeedback: try c.decodeIfPresent(Int.self, forKey: .minFeedback) ?? d.minFeedback,
            switchTimeoutSeconds: try c.decodeIfPresent(Double.self, forKey: .switchTimeoutSeconds) ?? d.switchTimeoutSeconds,
            ratioLearningWindowSeconds: try c.decodeIfPresent(Double.self, forKey: .ratioLearningWindowSeconds) ?? d.ratioLearningWindowSeconds,
            journalCapacity: try c.decodeIfPresent(Int.self, forKey: .journalCapacity) ?? d.journalCapacity,
            relaxProbeSeconds: try c.decodeIfPresent(Double.self, forKey: .relaxProbeSeconds) ?? d.relaxProbeSeconds,
            relaxBackoffSeconds: try c.decodeIfPresent(Double.self, forKey: .relaxBackoffSeconds) ?? d.relaxBackoffSeconds,
            relaxBackoffMaxSeconds: try c.decodeIfPresent(Double.self, forKey: .relaxBackoffMaxSeconds) ?? d.relaxBackoffMaxSeconds,
            fastTighten: try c.decodeIfPresent(Bool.self, forKey: .fastTighten) ?? d.fastTighten)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(latencyP95Budget, forKey: .latencyP95Budget)
        try c.encodeIfPresent(energyBudget, forKey: .energyBudget)
        try c.encodeIfPresent(powerBudget, forKey: .powerBudget)
        try c.encodeIfPresent(accuracyFloor, forKey: .accuracyFloor)
        try c.encodeIfPresent(denseAccuracy, forKey: .denseAccuracy)
        try c.encode(priority, forKey: .priority)
        try c.encode(hysteresisBand, forKey: .hysteresisBand)
        try c.encode(cooldownInferences, forKey: .cooldownInferences)
        try c.encode(cooldownSeconds, forKey: .cooldownSeconds)
        try c.encode(minLevel, forKey: .minLevel)
        try c.encodeIfPresent(maxLevel, forKey: .maxLevel)
        try c.encode(rollbackWindowInferences, forKey: .rollbackWindowInferences)
        try c.encode(rollbackBlockSeconds, forKey: .rollbackBlockSeconds)
        try c.encode(minLatencySamples, forKey: .minLatencySamples)
        try c.encode(minFeedback, forKey: .minFeedback)
        try c.encode(switchTimeoutSeconds, forKey: .switchTimeoutSeconds)
        try c.encode(ratioLearningWindowSeconds, forKey: .ratioLearningWindowSeconds)
        try c.encode(journalCapacity, forKey: .journalCapacity)
        try c.encode(relaxProbeSeconds, forKey: .relaxProbeSeconds)
        try c.encode(relaxBackoffSeconds, forKey: .relaxBackoffSeconds)
        try c.encode(relaxBackoffMaxSeconds, forKey: .relaxBackoffMaxSeconds)
        try c.encode(fastTighten, forKey: .fastTighten)
    }
}
