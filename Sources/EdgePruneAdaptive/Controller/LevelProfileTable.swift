import EdgePruneCore

/// Expected latency, energy and accuracy of every ladder level: seeded from the ladder's offline
/// figures and updated online from what the monitors measure at the active level.
///
/// Cost figures (p95 latency, energy per inference) are held as a relative cost per level times
/// one condition factor per figure: expected(j) = base[j] · scale. Load, clock and temperature
/// change every level's cost alike, so an update at the active level c is an EWMA on that level,
///     expected'(c) = (1 − α) · expected(c) + α · measured,
/// done by moving `scale`, which moves every other level by the same factor. The table therefore
/// keeps tracking levels it has not visited for a while (a level seen before a load step is not
/// remembered as fast), and the offline seeds only need the right ratios: a median on the pruning
/// machine seeds a p95 on the device. The ratios themselves are refined from measurements taken
/// just before and just after a switch (`learnRatio`), which also fills levels without a seed.
///
/// Accuracy is per level, without a shared factor (drift hurts sparse levels first): an EWMA of
/// the accuracy measured at that level. No monotonicity across levels is assumed anywhere.
public struct LevelProfileTable: Sendable, Equatable, Codable {
    /// The cost figures the table predicts.
    public enum Cost: String, Sendable, Codable, CaseIterable { case latency, energy }

    /// EWMA weight of a new measurement at the active level, in (0, 1].
    public let alpha: Double
    /// Weight of a newly measured ratio between two levels, in (0, 1].
    public let ratioAlpha: Double
    public private(set) var sparsity: [Double]
    private var latencyBase: [Double?]
    private var energyBase: [Double?]
    private var latencyScale = 1.0
    private var energyScale = 1.0
    private var accuracy: [Double?]

    /// A table from explicit profiles for levels 0...n-1 (in order). Figures must be finite and
    /// positive (accuracy in [0, 1]); nil means unknown.
    public init(profiles: [LevelProfile], alpha: Double = 0.2, ratioAlpha: Double = 0.5) throws {
        guard !profiles.isEmpty else { throw EdgePruneError(.input, "level profile table: no levels given") }
        for (name, a) in [("alpha", alpha), ("ratioAlpha", ratioAlpha)] {
            guard a.isFinite, a > 0, a <= 1 else {
                throw EdgePruneError(.input, "level profile table: \(name) is \(a); it must be in (0, 1]")
            }
        }
        for (i, p) in profiles.enumerated() {
            guard p.level == i else {
                throw EdgePruneError(.input, "level profile table: entry \(i) describes level \(p.level); levels must be 0...\(profiles.count - 1) in order")
            }
            for (name, v) in [("latencyP95", p.latencyP95), ("energyPerInference", p.energyPerInference)] {
                if let v, !(v.isFinite && v > 0) {
                    throw EdgePruneError(.input, "level profile table: level \(i) \(name) is \(v); it must be finite and > 0")
                }
            }
            if let a = p.accuracy, !(a.isFinite && a >= 0 && a <= 1) {
                throw EdgePruneError(.input, "level profile table: level \(i) accuracy is \(a); it must be in [0, 1]")
            }
        }
        self.alpha = alpha
        self.ratioAlpha = ratioAlpha
        sparsity = profiles.map(\.sparsity)
        latencyBase = profiles.map(\.latencyP95)
        energyBase = profiles.map(\.energyPerInference)
        accuracy = profiles.map(\.accuracy)
    }

    /// Seeds from a ladder's offline figures: latency from `latencyMicros` (a median on the pruning
    /// machine; only the ratios between levels matter, the first measurement sets the scale); a
    /// level without it is seeded from its MACs at the seconds-per-MAC of the levels that have
    /// both (1 ns per MAC when none has). Accuracy from `accuracy`. Energy per inference in joules
    /// from `energy(level, figures)` when given (nil: unknown; predictions then use latency ratios).
    public init(ladder: SparsityLadder, alpha: Double = 0.2, ratioAlpha: Double = 0.5,
                energy: ((Int, LadderLevel) -> Double?)? = nil) throws {
        let levels = ladder.levels
        var secondsPerMAC: [Double] = []
        for l in levels {
            if let us = l.latencyMicros, us.isFinite, us > 0, l.macs > 0 { secondsPerMAC.append(us * 1e-6 / Double(l.macs)) }
        }
        let perMAC = secondsPerMAC.isEmpty ? 1e-9 : secondsPerMAC.reduce(0, +) / Double(secondsPerMAC.count)
        var profiles: [LevelProfile] = []
        for (k, l) in levels.enumerated() {
            var latency: Double? = nil
            if let us = l.latencyMicros, us.isFinite, us > 0 { latency = us * 1e-6 } else if l.macs > 0 { latency = Double(l.macs) * perMAC }
            var joules: Double? = nil
            if let e = energy?(k, l), e.isFinite, e > 0 { joules = e }
            var acc: Double? = nil
            if let a = l.accuracy, a.isFinite, a >= 0, a <= 1 { acc = a }
            profiles.append(LevelProfile(level: k, sparsity: l.sparsity, latencyP95: latency, energyPerInference: joules, accuracy: acc))
        }
        try self.init(profiles: profiles, alpha: alpha, ratioAlpha: ratioAlpha)
    }

    public var count: Int { sparsity.count }
    public var topLevel: Int { sparsity.count - 1 }

    /// The expected figures of one level (nil outside the table).
    public func expected(level: Int) -> LevelProfile? {
        guard level >= 0, level < count else { return nil }
        return LevelProfile(level: level, sparsity: sparsity[level], latencyP95: latencyBase[level].map { $0 * latencyScale },
                            energyPerInference: energyBase[level].map { $0 * energyScale }, accuracy: accuracy[level])
    }

    /// Expected cost of `to` divided by that of `from`. Energy falls back to the latency ratio
    /// (energy ≈ power × time) when either level has no energy figure. nil when unknown.
    public func ratio(_ cost: Cost, from: Int, to: Int) -> Double? {
        guard from >= 0, from < count, to >= 0, to < count else { return nil }
        let base = cost == .latency ? latencyBase : energyBase
        if let a = base[from], let b = base[to] { return b / a }
        if cost == .energy { return ratio(.latency, from: from, to: to) }
        return nil
    }

    /// Folds measurements taken at `level` into the table (nil or invalid figures are skipped):
    /// an EWMA on that level, the other levels' costs moving by the same factor (see the type).
    public mutating func update(level: Int, latencyP95: Double? = nil, energyPerInference: Double? = nil, accuracy measured: Double? = nil) {
        guard level >= 0, level < count else { return }
        if let m = latencyP95, m.isFinite, m > 0 { Self.fold(m, at: level, base: &latencyBase, scale: &latencyScale, alpha: alpha) }
        if let m = energyPerInference, m.isFinite, m > 0 { Self.fold(m, at: level, base: &energyBase, scale: &energyScale, alpha: alpha) }
        if let m = measured, m.isFinite, m >= 0, m <= 1 {
            accuracy[level] = accuracy[level].map { (1 - alpha) * $0 + alpha * m } ?? m
        }
    }

    /// Teaches the table the cost ratio between two levels from a measurement at `from` taken just
    /// before a switch and one at `to` just after: the ratio moves toward after/before by
    /// `ratioAlpha` (base[to] = base[from] · ((1 − ρα) · old ratio + ρα · measured ratio)); a level
    /// without a figure takes the measured ratio outright.
    public mutating func learnRatio(_ cost: Cost, from: Int, measured before: Double, to: Int, measured after: Double) {
        guard from >= 0, from < count, to >= 0, to < count, from != to,
              before.isFinite, before > 0, after.isFinite, after > 0 else { return }
        let observed = after / before
        switch cost {
        case .latency: Self.blendRatio(observed, from: from, to: to, base: &latencyBase, alpha: ratioAlpha)
        case .energy: Self.blendRatio(observed, from: from, to: to, base: &energyBase, alpha: ratioAlpha)
        }
    }

    private static func fold(_ m: Double, at level: Int, base: inout [Double?], scale: inout Double, alpha: Double) {
        guard let b = base[level] else {
            // First figure for this level: its relative cost is what was measured under the
            // current conditions.
            base[level] = m / scale
            return
        }
        let expected = b * scale
        let next = (1 - alpha) * expected + alpha * m
        let newScale = next / b
        if newScale.isFinite, newScale > 0 { scale = newScale }
    }

    private static func blendRatio(_ observed: Double, from: Int, to: Int, base: inout [Double?], alpha: Double) {
        guard let bf = base[from] else { return }
        let old = base[to].map { $0 / bf } ?? observed
        let r = (1 - alpha) * old + alpha * observed
        if r.isFinite, r > 0 { base[to] = bf * r }
    }
}
