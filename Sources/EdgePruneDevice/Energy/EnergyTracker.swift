/// Where an energy figure comes from.
public enum EnergySource: String, Sendable, Codable {
    case meter
    case model
}

/// The energy of one inference.
public struct InferenceEnergy: Sendable, Equatable {
    /// Whole-board joules over the inference's interval (what a meter on the supply sees).
    public let joules: Double
    /// Joules above the idle board: meter joules minus idle power × interval (clamped at 0), or
    /// the model's E_inference (see `ModelEnergyEstimator`).
    public let inferenceJoules: Double
    /// The interval, in seconds.
    public let seconds: Double
    public let source: EnergySource
    /// Why the model was used although a meter is configured (nil otherwise).
    public let note: String?
}

/// Average board power over a window.
public struct PowerEstimate: Sendable, Equatable {
    public let watts: Double
    public let source: EnergySource
    /// Seconds of measurement behind the figure (meter), or the window used (model).
    public let seconds: Double
}

/// Everything unusual the tracker met, counted. None of it stops the tracker.
public struct EnergyCounters: Sendable, Equatable, Codable {
    /// Successful meter reads.
    public var reads = 0
    /// Reads that failed: file gone, permission, command missing or hung.
    public var meterErrors = 0
    /// Readings that were not a usable number: garbage text, NaN, negative, time going back.
    public var invalidReadings = 0
    /// Energy counters that went backwards without a plausible wrap (sample dropped).
    public var backwards = 0
    /// Energy counters that wrapped at their range and were unwrapped (RAPL).
    public var wraps = 0
    /// Readings implying more than `maxPlausibleWatts` (sample dropped).
    public var implausible = 0
    /// Times the meter was declared lost after consecutive failures, and times it came back.
    public var meterLost = 0
    public var meterRecovered = 0
    /// Inferences whose energy came from the model although a meter is configured.
    public var fallbacks = 0
    /// `end` without `begin`, and `begin` twice without `end`.
    public var unmatchedEnds = 0
    public var unmatchedBegins = 0

    public init() {}
}

/// Per-inference energy and average power from a meter when one works, from the board model
/// when not. Wrap `begin()` / `end(...)` around each inference.
///
/// Every meter is turned into one cumulative-joules series: energy counters add their deltas
/// (unwrapping at `range`), power meters add the trapezoid (P₀ + P₁)/2 · Δt between readings.
/// Anything that breaks the series (a failed read, garbage, a counter going backwards, an
/// implausible jump) starts a new segment; an inference whose begin and end fall in different
/// segments, or whose reads failed, gets the model estimate and a note saying why. After
/// `lostAfterErrors` consecutive failures the meter is declared lost and only retried every
/// `retryInterval` seconds, so a vanished sysfs file or a hung vcgencmd does not cost a read on
/// every inference.
///
/// Not thread-safe: call from one thread (the inference thread), or serialise calls.
public final class EnergyTracker {
    public struct Config: Sendable, Equatable {
        /// Readings implying more power than this are dropped (also what tells a counter wrap
        /// from a counter going backwards: a "wrap" that implies more is not one).
        public var maxPlausibleWatts: Double = 1_000
        public var lostAfterErrors: Int = 3
        public var retryInterval: Double = 10
        /// Meter samples and inference estimates kept for `averagePower`.
        public var historyCapacity: Int = 4_096
        public init() {}
    }

    public let meter: EnergyMeter?
    public let estimator: ModelEnergyEstimator
    public let config: Config
    public private(set) var counters = EnergyCounters()
    /// The last meter failure, as a one-line message.
    public private(set) var lastMeterError: String?
    /// True after `lostAfterErrors` consecutive failures, until a read succeeds again.
    public private(set) var meterIsLost = false

    private let now: () -> Double
    private let startTime: Double
    // The cumulative series.
    private var last: EnergyReading?
    private var cumulative = 0.0
    private var segment = 0
    private var consecutiveErrors = 0
    private var lostAt = 0.0
    private var lastProblem: String?
    private var meterHistory: Ring<(time: Double, joules: Double, segment: Int)>
    private var modelHistory: Ring<(time: Double, joules: Double)>
    // The inference in flight.
    private var beginTime: Double?
    private var beginMark: (time: Double, joules: Double, segment: Int)?

    public init(meter: EnergyMeter?, estimator: ModelEnergyEstimator, config: Config = Config(),
                now: @escaping () -> Double = DeviceClock.monotonicSeconds) {
        self.meter = meter
        self.estimator = estimator
        self.config = config
        self.now = now
        self.startTime = now()
        meterHistory = Ring(capacity: max(config.historyCapacity, 2))
        modelHistory = Ring(capacity: max(config.historyCapacity, 2))
    }

    /// Marks the start of an inference (reads the meter).
    public func begin() {
        if beginTime != nil { counters.unmatchedBegins += 1 }
        beginTime = now()
        beginMark = readMeter()
    }

    /// Marks the end of the inference started by `begin()` and returns its energy. `macs` and
    /// `bytes` are the work of the level that ran (feed the model); `busyCores` the cores it
    /// kept busy.
    public func end(macs: Double, bytes: Double, busyCores: Double) -> InferenceEnergy {
        let endTime = now()
        guard let start = beginTime else {
            counters.unmatchedEnds += 1
            return InferenceEnergy(joules: 0, inferenceJoules: 0, seconds: 0, source: .model,
                                   note: "end() without begin(): no interval to measure")
        }
        beginTime = nil
        let seconds = endTime - start
        let interval = seconds.isFinite && seconds > 0 ? seconds : 0
        let modelJoules = estimator.inferenceJoules(seconds: interval, busyCores: busyCores, macs: macs, bytes: bytes)
        modelHistory.append((endTime, modelJoules))
        let opening = beginMark
        beginMark = nil
        guard meter != nil else {
            return InferenceEnergy(joules: estimator.profile.idleWatts * interval + modelJoules,
                                   inferenceJoules: modelJoules, seconds: interval, source: .model, note: nil)
        }
        let closing = readMeter()
        if let a = opening, let b = closing, a.segment == b.segment, b.time >= a.time {
            let joules = max(b.joules - a.joules, 0)
            let span = b.time - a.time
            let above = max(joules - estimator.profile.idleWatts * span, 0)
            return InferenceEnergy(joules: joules, inferenceJoules: above, seconds: span, source: .meter, note: nil)
        }
        counters.fallbacks += 1
        let why = meterIsLost
            ? "meter \(meter!.name) lost (\(lastMeterError ?? "no reading")); model estimate until it answers again"
            : "meter \(meter!.name): \(lastProblem ?? "no usable reading"); model estimate for this inference"
        return InferenceEnergy(joules: estimator.profile.idleWatts * interval + modelJoules,
                               inferenceJoules: modelJoules, seconds: interval, source: .model, note: why)
    }

    /// Reads the meter outside an inference (e.g. from a timer), so `averagePower` has samples
    /// while the model is idle.
    public func sample() { _ = readMeter() }

    /// Average board power over the last `window` seconds: measured energy over measured time
    /// when the meter has samples in the window, else the model (idle power plus the estimated
    /// energy of the inferences that ended in the window). Nil for a window that is not positive.
    public func averagePower(window: Double) -> PowerEstimate? {
        guard window.isFinite, window > 0 else { return nil }
        let t = now()
        let from = t - window
        if meter != nil && !meterIsLost {
            var energy = 0.0, span = 0.0
            var previous: (time: Double, joules: Double, segment: Int)?
            for s in meterHistory.elements where s.time >= from {
                if let p = previous, p.segment == s.segment, s.time >= p.time {
                    energy += s.joules - p.joules
                    span += s.time - p.time
                }
                previous = s
            }
            if span > 0 { return PowerEstimate(watts: energy / span, source: .meter, seconds: span) }
        }
        let effective = min(window, t - startTime)
        let joules = modelHistory.elements.reduce(0.0) { $0 + ($1.time >= from ? $1.joules : 0) }
        guard effective > 0, let watts = estimator.averagePower(window: effective, inferenceJoules: joules) else {
            return PowerEstimate(watts: estimator.profile.idleWatts, source: .model, seconds: 0)
        }
        return PowerEstimate(watts: watts, source: .model, seconds: effective)
    }

    // MARK: - The cumulative series

    /// Reads the meter and folds the reading into the series; the mark (time, cumulative joules,
    /// segment) on success, nil when there is no usable reading.
    private func readMeter() -> (time: Double, joules: Double, segment: Int)? {
        guard let meter else { return nil }
        if meterIsLost && now() - lostAt < config.retryInterval { return nil }
        let reading: EnergyReading
        do {
            reading = try meter.read()
        } catch {
            let message = (error as? CustomStringConvertible)?.description ?? "\(error)"
            if let e = error as? EdgePruneErrorKindCarrier, e.isFormatError {
                counters.invalidReadings += 1
            } else {
                counters.meterErrors += 1
            }
            lastMeterError = message
            fail(message)
            consecutiveErrors += 1
            if consecutiveErrors >= config.lostAfterErrors {
                if !meterIsLost { counters.meterLost += 1 }
                meterIsLost = true
                lostAt = now()
            }
            return nil
        }
        counters.reads += 1
        consecutiveErrors = 0
        if meterIsLost {
            meterIsLost = false
            counters.meterRecovered += 1
        }
        guard ingest(reading) else { return nil }
        return (reading.time, cumulative, segment)
    }

    /// Starts a new segment: the next reading becomes a fresh baseline.
    private func fail(_ problem: String) {
        lastProblem = problem
        last = nil
        segment += 1
    }

    /// Adds the reading to the series; false when it was dropped.
    private func ingest(_ reading: EnergyReading) -> Bool {
        let value: Double
        switch reading {
        case .energy(let j, let range, _):
            value = j
            if let range, !(range.isFinite && range > 0) {
                counters.invalidReadings += 1
                fail("counter range \(range) is not a positive number")
                return false
            }
        case .power(let w, _):
            value = w
        }
        guard value.isFinite, value >= 0, reading.time.isFinite else {
            counters.invalidReadings += 1
            fail("reading \(value) at time \(reading.time) is not a finite non-negative number")
            return false
        }
        defer { meterHistory.append((reading.time, cumulative, segment)) }
        guard let previous = last else { last = reading; return true }
        let dt = reading.time - previous.time
        guard dt >= 0 else {
            counters.invalidReadings += 1
            fail("meter time went back by \(-dt) s")
            last = reading
            return true
        }
        let limit = config.maxPlausibleWatts
        switch (previous, reading) {
        case (.energy(let j0, _, _), .energy(let j1, let range, _)):
            var delta = j1 - j0
            if delta < 0 {
                if let range, j1 + range - j0 >= 0, j1 + range - j0 <= limit * dt {
                    delta = j1 + range - j0
                    counters.wraps += 1
                } else {
                    counters.backwards += 1
                    fail("energy counter went backwards from \(j0) J to \(j1) J")
                    last = reading
                    return false
                }
            }
            if delta > limit * dt {
                counters.implausible += 1
                fail("energy counter jumped \(delta) J in \(dt) s (over \(limit) W)")
                last = reading
                return false
            }
            cumulative += delta
        case (.power(let p0, _), .power(let p1, _)):
            if p1 > limit {
                counters.implausible += 1
                fail("power reading \(p1) W is over \(limit) W")
                last = nil
                return false
            }
            cumulative += 0.5 * (p0 + p1) * dt
        default:
            // The meter switched between energy and power: no common baseline.
            counters.invalidReadings += 1
            fail("meter switched between energy and power readings")
            last = reading
            return false
        }
        last = reading
        return true
    }
}

/// Lets the tracker tell garbage (`.format`) from a failed read without caring which error
/// type a custom meter throws.
protocol EdgePruneErrorKindCarrier { var isFormatError: Bool { get } }

/// A fixed-capacity ring: appending past capacity overwrites the oldest element.
struct Ring<Element> {
    private var storage: [Element] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity; storage.reserveCapacity(capacity) }

    mutating func append(_ e: Element) {
        if storage.count < capacity { storage.append(e) } else { storage[head] = e; head = (head + 1) % capacity }
    }

    /// Oldest first.
    var elements: [Element] { Array(storage[head...] + storage[..<head]) }
}
