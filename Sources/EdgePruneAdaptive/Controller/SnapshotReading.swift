/// What the controller counts about its input, so bad monitor data is visible rather than acted on.
public struct ControllerCounters: Sendable, Equatable, Codable {
    /// Snapshots given to `observe`.
    public var snapshots = 0
    /// Snapshots dropped whole: time not finite or going backwards, level outside the table,
    /// negative inference count.
    public var ignoredSnapshots = 0
    /// Figures treated as missing: NaN, infinite or negative latency/energy/power; proportions
    /// whose counts or bounds are inconsistent.
    public var invalidValues = 0
    /// Snapshots still reporting the old level while a decided switch was pending.
    public var staleSnapshots = 0
    /// Times the controller adopted the level the snapshots reported (a switch it did not decide,
    /// or one it decided that never showed up within `switchTimeoutSeconds`).
    public var resyncs = 0
    /// Switches decided, and how many of them were accuracy rollbacks.
    public var switches = 0
    public var rollbacks = 0
    /// Snapshots where a switch was wanted but the cooldown had not passed.
    public var cooldownHolds = 0
    /// Budget violated, but every sparser level is expected below the accuracy floor or blocked
    /// (accuracyFirst): the controller stayed.
    public var accuracyHolds = 0
    /// Accuracy below the floor, but no more accurate level is expected within the budgets
    /// (budgetFirst): the controller stayed.
    public var budgetHolds = 0
    /// Relaxes undone by a budget tightening within `relaxProbeSeconds` (each starts a back-off),
    /// and back-offs lifted early because conditions improved.
    public var failedRelaxes = 0
    public var backoffsLifted = 0

    public init() {}
}

/// An accuracy estimate in accuracy units: labelled feedback, or shadow agreement scaled by the
/// dense model's accuracy.
struct AccuracyReading: Equatable {
    var rate: Double
    var lower: Double
    var upper: Double
    var trials: Int
    var fromLabels: Bool
}

/// One snapshot's figures after checking: anything invalid is nil (and counted by the caller).
struct SnapshotReading {
    var latencyP95: Double?
    var energyPerInference: Double?
    var averagePower: Double?
    var accuracy: ProportionEstimate?
    var agreement: ProportionEstimate?
    var invalid = 0

    init(_ s: MonitorSnapshot) {
        latencyP95 = Self.cost(s.latencyP95, &invalid)
        energyPerInference = Self.cost(s.energyPerInference, &invalid)
        averagePower = Self.cost(s.averagePower, &invalid)
        accuracy = Self.proportion(s.accuracy, &invalid)
        agreement = Self.proportion(s.agreement, &invalid)
    }

    /// A cost figure must be finite and >= 0 (0 is allowed: a reading below the meter's
    /// resolution).
    static func cost(_ v: Double?, _ invalid: inout Int) -> Double? {
        guard let v else { return nil }
        guard v.isFinite, v >= 0 else { invalid += 1; return nil }
        return v
    }

    /// Counts must be consistent (0 <= successes <= trials) and rate and bounds in [0, 1] with
    /// lower <= rate <= upper (within rounding). No trials is no data, not an error.
    static func proportion(_ p: ProportionEstimate?, _ invalid: inout Int) -> ProportionEstimate? {
        guard let p else { return nil }
        let inUnit = { (x: Double) in x.isFinite && x >= 0 && x <= 1 }
        guard p.trials >= 0, p.successes >= 0, p.successes <= p.trials, inUnit(p.rate), inUnit(p.lower), inUnit(p.upper),
              p.lower <= p.rate + 1e-9, p.rate <= p.upper + 1e-9 else { invalid += 1; return nil }
        return p.trials > 0 ? p : nil
    }

    /// The estimate the accuracy floor applies to (see ControllerConfig): labelled accuracy with
    /// at least `minFeedback` trials, else agreement with at least `minFeedback` trials scaled by
    /// `denseAccuracy`, else nil.
    func accuracyReading(minFeedback: Int, denseAccuracy: Double) -> AccuracyReading? {
        if let a = accuracy, a.trials >= minFeedback {
            return AccuracyReading(rate: a.rate, lower: a.lower, upper: a.upper, trials: a.trials, fromLabels: true)
        }
        if let g = agreement, g.trials >= minFeedback {
            return AccuracyReading(rate: g.rate * denseAccuracy, lower: g.lower * denseAccuracy, upper: g.upper * denseAccuracy,
                                   trials: g.trials, fromLabels: false)
        }
        return nil
    }

    /// The values the journal records with a decision.
    func journalValues(inferencesAtLevel: Int) -> [String: Double] {
        var m: [String: Double] = ["inferencesAtLevel": Double(inferencesAtLevel)]
        m["p95"] = latencyP95
        m["energy"] = energyPerInference
        m["power"] = averagePower
        if let a = accuracy {
            m["accuracy"] = a.rate; m["accuracyLower"] = a.lower; m["accuracyUpper"] = a.upper; m["accuracyTrials"] = Double(a.trials)
        }
        if let g = agreement {
            m["agreement"] = g.rate; m["agreementLower"] = g.lower; m["agreementUpper"] = g.upper; m["agreementTrials"] = Double(g.trials)
        }
        return m
    }
}
