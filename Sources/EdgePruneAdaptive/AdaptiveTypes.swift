#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on a monotonic clock. The runtime uses SystemClock; tests and the simulator drive a
/// VirtualClock so every run is deterministic.
public protocol MonotonicClock: AnyObject, Sendable {
    func now() -> Double
}

public final class SystemClock: MonotonicClock {
    public init() {}
    public func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// A clock that moves only when told to.
public final class VirtualClock: MonotonicClock, @unchecked Sendable {
    private var t: Double
    public init(start: Double = 0) { t = start }
    public func now() -> Double { t }
    public func advance(by seconds: Double) { t += max(seconds, 0) }
}

/// A success rate with its 95% Wilson score interval, so decisions do not chase noise: with n
/// trials and p = successes / n, the interval is
/// (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.96.
public struct ProportionEstimate: Sendable, Codable, Equatable {
    public let successes: Int
    public let trials: Int
    public let rate: Double
    public let lower: Double
    public let upper: Double

    public init(successes: Int, trials: Int, z: Double = 1.96) {
        self.successes = successes
        self.trials = trials
        guard trials > 0 else { rate = 0; lower = 0; upper = 1; return }
        let n = Double(trials), p = Double(successes) / n
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        rate = p
        lower = max(0, centre - half)
        upper = min(1, centre + half)
    }
}

/// Latency percentiles of a window, in seconds.
public struct LatencySummary: Sendable, Codable, Equatable {
    public let count: Int
    public let p50: Double
    public let p95: Double
    public let p99: Double

    public init(count: Int, p50: Double, p95: Double, p99: Double) {
        self.count = count
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }
}

/// What the controller sees at one decision point (nil: not measured / not enough data).
public struct MonitorSnapshot: Sendable, Codable, Equatable {
    public var time: Double
    public var level: Int
    /// Inferences run since the last level switch.
    public var inferencesAtLevel: Int
    /// p95 latency in seconds over the latency window at the current level.
    public var latencyP95: Double?
    /// Joules per inference and average power in watts (meter or model estimate).
    public var energyPerInference: Double?
    public var averagePower: Double?
    /// Labelled-feedback accuracy and shadow-dense top-1 agreement at the current level.
    public var accuracy: ProportionEstimate?
    public var agreement: ProportionEstimate?

    public init(time: Double, level: Int, inferencesAtLevel: Int, latencyP95: Double? = nil, energyPerInference: Double? = nil,
                averagePower: Double? = nil, accuracy: ProportionEstimate? = nil, agreement: ProportionEstimate? = nil) {
        self.time = time
        self.level = level
        self.inferencesAtLevel = inferencesAtLevel
        self.latencyP95 = latencyP95
        self.energyPerInference = energyPerInference
        self.averagePower = averagePower
        self.accuracy = accuracy
        self.agreement = agreement
    }
}

/// One level's expected figures: seeded from the ladder's offline measurements, updated online.
public struct LevelProfile: Sendable, Codable, Equatable {
    public var level: Int
    public var sparsity: Double
    public var latencyP95: Double?
    public var energyPerInference: Double?
    public var accuracy: Double?

    public init(level: Int, sparsity: Double, latencyP95: Double? = nil, energyPerInference: Double? = nil, accuracy: Double? = nil) {
        self.level = level
        self.sparsity = sparsity
        self.latencyP95 = latencyP95
        self.energyPerInference = energyPerInference
        self.accuracy = accuracy
    }
}

/// A controller decision, as the journal records it.
public struct SwitchDecision: Sendable, Codable, Equatable {
    public let time: Double
    public let from: Int
    public let to: Int
    public let reason: String
    public let measured: [String: Double]

    public init(time: Double, from: Int, to: Int, reason: String, measured: [String: Double]) {
        self.time = time
        self.from = from
        self.to = to
        self.reason = reason
        self.measured = measured
    }
}
