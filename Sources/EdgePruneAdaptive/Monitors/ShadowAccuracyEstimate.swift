/// A level's accuracy inferred, without labels, from its top-1 agreement with the dense model.
///
/// Agreement is not accuracy. With a = P(level agrees with dense), d = the dense model's accuracy
/// (known offline, e.g. the ladder's level-0 figure) and x = P(agree and dense right), a single
/// correct class per input gives
///   accuracy = x + P(disagree and level right) <= x + P(disagree and dense wrong) = 2x + 1 - a - d,
///   accuracy >= x,  max(0, a + d - 1) <= x <= min(a, d),
/// so accuracy lies in [max(0, a + d - 1), 1 - |a - d|], and nothing more can be known from a and
/// d alone. The estimate is the midpoint of that interval (the choice with the smallest worst-case
/// error), which is min(a, d) whenever a + d >= 1: a level that agrees with dense more often than
/// dense is right is credited with the dense accuracy, otherwise with its agreement. The worst-case
/// error is half the interval, at most 1 - d (3 points for a 97% dense model); measured on the
/// digits ladder it is below 1 point (see ShadowAgreementTrackingTests). The interval below also
/// widens by the agreement's own Wilson interval, so it covers sampling noise too.
public struct ShadowAccuracyEstimate: Sendable, Codable, Equatable {
    public let estimate: Double
    public let lower: Double
    public let upper: Double
    /// Shadowed inferences behind the agreement.
    public let trials: Int

    /// nil when `denseAccuracy` is not in 0...1 or the agreement has no trials.
    public init?(agreement: ProportionEstimate, denseAccuracy d: Double) {
        guard d.isFinite, d >= 0, d <= 1, agreement.trials > 0 else { return nil }
        func bounds(_ a: Double) -> (Double, Double) { (max(0, a + d - 1), 1 - abs(a - d)) }
        let (lo, hi) = bounds(agreement.rate)
        estimate = (lo + hi) / 2
        // The lower bound rises with a; the upper bound peaks at a = d.
        lower = bounds(agreement.lower).0
        upper = agreement.lower <= d && d <= agreement.upper
            ? 1 : max(bounds(agreement.lower).1, bounds(agreement.upper).1)
        trials = agreement.trials
    }
}

extension AccuracyMonitor {
    /// `level`'s accuracy inferred from its shadow-dense agreement window and the dense model's
    /// offline accuracy; nil before the first shadow result or for a `denseAccuracy` outside 0...1.
    public func shadowAccuracy(level: Int, denseAccuracy: Double) -> ShadowAccuracyEstimate? {
        agreement(level: level).flatMap { ShadowAccuracyEstimate(agreement: $0, denseAccuracy: denseAccuracy) }
    }
}
