import EdgePruneCore

/// What the controller reads from an accuracy monitor (the real one below, or a scripted fake).
public protocol AccuracyMonitoring: AnyObject {
    /// Labelled-feedback accuracy of the last `window` labelled inferences at `level`.
    func accuracy(level: Int) -> ProportionEstimate?
    /// Top-1 agreement with the dense model over the last `window` shadowed inferences at `level`.
    func agreement(level: Int) -> ProportionEstimate?
    /// Mean max probability and entropy over the last `window` outputs at `level`.
    func confidence(level: Int) -> ConfidenceSummary?
}

/// What became of one labelled feedback.
public enum FeedbackOutcome: Sendable, Equatable {
    /// The id was pending; the label was compared with its prediction and counted.
    case matched(correct: Bool)
    /// No pending inference has this id and none was resolved recently.
    case unknownId
    /// The inference was evicted (capacity) or aged out (maxAge) before its label came.
    case expired
    /// The inference already got its label; this one is ignored.
    case duplicate
    /// The label is not a class index of the model; nothing changed.
    case labelOutOfRange
}

/// Everything an accuracy monitor refused or dropped, for logs and the daemon's status.
public struct AccuracyMonitorCounters: Sendable, Codable, Equatable {
    /// Inferences noted for feedback, and notes refused (level or class out of range, time not
    /// finite) or refused because the id was already pending.
    public var notes = 0
    public var rejectedNotes = 0
    public var duplicateNotes = 0
    /// Pending inferences dropped: `evicted` when `pendingCapacity` newer ones were noted,
    /// `agedOut` when older than `maxAge`.
    public var evicted = 0
    public var agedOut = 0
    /// Feedback outcomes.
    public var matched = 0
    public var correct = 0
    public var unknownIds = 0
    public var lateLabels = 0
    public var duplicateLabels = 0
    public var labelsOutOfRange = 0
    /// Times that were NaN/infinite (replaced by the latest time seen) or earlier than one
    /// already seen (clamped to it, so expiry never runs backwards).
    public var nonFiniteTimes = 0
    public var clockWentBack = 0
    /// Shadow-dense comparisons recorded and refused (level or class out of range).
    public var shadows = 0
    public var rejectedShadows = 0
    /// Output vectors recorded for the confidence proxy, and refused: wrong length, a NaN or
    /// infinite score, or probabilities that are negative or do not sum to 1.
    public var confidenceOutputs = 0
    public var malformedOutputs = 0
    public var nonFiniteOutputs = 0
    public var invalidProbabilities = 0
}

/// Online accuracy estimates of a classifier running on the sparsity ladder, three ways:
///
/// - labelled feedback: `noteInference` remembers each inference's prediction (a bounded pending
///   map: at most `pendingCapacity`, each for at most `maxAge` seconds); `feedback` matches a
///   label to its inference and adds correct/wrong to the level's window;
/// - shadow-dense agreement: for a deterministic `shadowFraction` of ids (`shouldShadow`) the
///   dense (level 0) model also runs, off the hot path (`ShadowRunner`), and `recordShadow` adds
///   whether its top-1 equals the active level's to the level's window. No label needed. It
///   measures agreement, not accuracy; `shadowAccuracy(level:denseAccuracy:)` turns it into an
///   accuracy estimate with honest bounds (ShadowAccuracyEstimate);
/// - a confidence proxy from the outputs: mean max softmax probability and mean entropy.
///
/// Each window keeps the last `window` results per level; estimates carry 95% Wilson intervals so
/// the controller can tell a drop from noise. Bad input (unknown, expired or duplicate ids, labels
/// out of range, NaN outputs, times that are NaN or go backwards) is counted in `counters` and
/// never changes an estimate.
///
/// Not thread-safe: the inference thread owns it (notes, feedback delivered to that thread,
/// shadow results drained into it with `ShadowRunner.drain(into:)`). After each level's first
/// result no call allocates.
public final class AccuracyMonitor: AccuracyMonitoring {
    public let classes: Int
    public let window: Int
    public let pendingCapacity: Int
    public let maxAge: Double
    public let scores: ClassScores
    /// Fraction of inference ids `shouldShadow` selects, in 0...1.
    public private(set) var shadowFraction: Double
    public private(set) var counters = AccuracyMonitorCounters()

    private var pending: PendingInferences
    private var latestTime = -Double.infinity
    private var shadowThreshold: UInt64 = 0
    private var levels: [LevelWindows?]

    /// The windows of one level, created on its first result.
    private final class LevelWindows {
        let accuracy: OutcomeWindow
        let agreement: OutcomeWindow
        let maxProbability: DoubleWindow
        let entropyBits: DoubleWindow
        init(window: Int) {
            accuracy = OutcomeWindow(capacity: window)
            agreement = OutcomeWindow(capacity: window)
            maxProbability = DoubleWindow(capacity: window)
            entropyBits = DoubleWindow(capacity: window)
        }
    }

    /// - Parameters:
    ///   - classes: the model's class count (labels and predictions are 0..<classes), >= 2.
    ///   - window: results kept per level and estimate, >= 1.
    ///   - pendingCapacity: inferences awaiting a label, >= 1; the oldest is evicted beyond it.
    ///   - maxAge: seconds an inference waits for its label, > 0.
    ///   - shadowFraction: fraction of ids to shadow with the dense model, in 0...1.
    ///   - scores: whether output vectors are logits or probabilities.
    public init(classes: Int, window: Int = 256, pendingCapacity: Int = 1024, maxAge: Double = 60,
                shadowFraction: Double = 0.05, scores: ClassScores = .logits) throws {
        guard classes >= 2 else { throw EdgePruneError(.input, "accuracy monitor: classes must be at least 2, got \(classes)") }
        guard window >= 1 else { throw EdgePruneError(.input, "accuracy monitor: window must be at least 1, got \(window)") }
        guard pendingCapacity >= 1 else {
            throw EdgePruneError(.input, "accuracy monitor: pending capacity must be at least 1, got \(pendingCapacity)")
        }
        guard maxAge.isFinite, maxAge > 0 else {
            throw EdgePruneError(.input, "accuracy monitor: max age must be a positive number of seconds, got \(maxAge)")
        }
        self.classes = classes
        self.window = window
        self.pendingCapacity = pendingCapacity
        self.maxAge = maxAge
        self.scores = scores
        self.shadowFraction = 0
        pending = PendingInferences(capacity: pendingCapacity, maxAge: maxAge)
        levels = Array(repeating: nil, count: SparsityLadder.maxLevels + 1)
        try setShadowFraction(shadowFraction)
    }

    // MARK: Labelled feedback

    /// Remembers an inference until its label arrives, and adds its output vector (if given) to
    /// the level's confidence window. Returns false, changing nothing, when the level or class is
    /// out of range, `time` is not finite, or `id` is already pending.
    @discardableResult
    public func noteInference(id: UInt64, level: Int, predicted: Int, time: Double,
                              outputs: UnsafeBufferPointer<Float>? = nil) -> Bool {
        guard validLevel(level), predicted >= 0, predicted < classes, time.isFinite else {
            counters.rejectedNotes += 1
            return false
        }
        let now = advance(to: time)
        pending.expire(now: now)
        guard !pending.contains(id) else {
            counters.duplicateNotes += 1
            return false
        }
        pending.insert(id: id, level: level, predicted: predicted, time: now)
        counters.notes += 1
        syncExpiryCounters()
        if let outputs { recordConfidence(level: level, outputs: outputs) }
        return true
    }

    /// Matches a label to its pending inference. Only `.matched` changes an estimate.
    @discardableResult
    public func feedback(id: UInt64, label: Int, time: Double) -> FeedbackOutcome {
        guard label >= 0, label < classes else {
            counters.labelsOutOfRange += 1
            return .labelOutOfRange
        }
        let now: Double
        if time.isFinite {
            now = advance(to: time)
        } else {
            counters.nonFiniteTimes += 1
            now = latestTime
        }
        if now.isFinite { pending.expire(now: now) }
        syncExpiryCounters()
        if let e = pending.take(id) {
            let correct = e.predicted == label
            windows(e.level).accuracy.append(correct)
            counters.matched += 1
            if correct { counters.correct += 1 }
            return .matched(correct: correct)
        }
        switch pending.resolution(of: id) {
        case .labelled?:
            counters.duplicateLabels += 1
            return .duplicate
        case .expired?:
            counters.lateLabels += 1
            return .expired
        case nil:
            counters.unknownIds += 1
            return .unknownId
        }
    }

    /// Inferences currently waiting for a label (never more than `pendingCapacity`).
    public var pendingCount: Int { pending.count }

    public func accuracy(level: Int) -> ProportionEstimate? {
        guard validLevel(level) else { return nil }
        return levels[level]?.accuracy.estimate
    }

    // MARK: Shadow-dense agreement

    /// Changes the shadow sampling fraction; throws (changing nothing) outside 0...1.
    public func setShadowFraction(_ fraction: Double) throws {
        guard fraction.isFinite, fraction >= 0, fraction <= 1 else {
            throw EdgePruneError(.input, "accuracy monitor: shadow fraction must be in 0...1, got \(fraction)")
        }
        shadowFraction = fraction
        // An id is shadowed when mix(id) < fraction x 2^64, i.e. mix(id) >> 11 < fraction x 2^53
        // (exact in Double). fraction 1 selects every id through the explicit check below.
        shadowThreshold = UInt64(fraction * 9_007_199_254_740_992)
    }

    /// Whether the dense model should shadow inference `id`: a fixed function of the id (a
    /// 64-bit mixer, so consecutive ids are spread evenly) selecting `shadowFraction` of all ids.
    /// Deterministic, stateless, independent of arrival order or of which level is active.
    public func shouldShadow(id: UInt64) -> Bool {
        if shadowFraction >= 1 { return true }
        return AccuracyMonitor.mix(id) >> 11 < shadowThreshold
    }

    /// Records whether the active level's top-1 agreed with the dense model's on one shadowed
    /// input. Returns false (counted) when the level or a class is out of range.
    @discardableResult
    public func recordShadow(level: Int, activeTop1: Int, denseTop1: Int) -> Bool {
        guard validLevel(level), activeTop1 >= 0, activeTop1 < classes, denseTop1 >= 0, denseTop1 < classes else {
            counters.rejectedShadows += 1
            return false
        }
        windows(level).agreement.append(activeTop1 == denseTop1)
        counters.shadows += 1
        return true
    }

    public func agreement(level: Int) -> ProportionEstimate? {
        guard validLevel(level) else { return nil }
        return levels[level]?.agreement.estimate
    }

    // MARK: Confidence proxy

    /// Adds one output vector (`classes` logits or probabilities, per `scores`) to the level's
    /// confidence window. Returns false (counted, nothing changed) for a wrong length, a NaN or
    /// infinite score, or invalid probabilities.
    @discardableResult
    public func recordConfidence(level: Int, outputs: UnsafeBufferPointer<Float>) -> Bool {
        guard validLevel(level), outputs.count == classes else {
            counters.malformedOutputs += 1
            return false
        }
        switch ConfidenceProxy.measure(outputs, kind: scores) {
        case .nonFinite:
            counters.nonFiniteOutputs += 1
            return false
        case .invalidProbabilities:
            counters.invalidProbabilities += 1
            return false
        case .measured(let top, let bits):
            let w = windows(level)
            w.maxProbability.append(top)
            w.entropyBits.append(bits)
            counters.confidenceOutputs += 1
            return true
        }
    }

    public func confidence(level: Int) -> ConfidenceSummary? {
        guard validLevel(level), let w = levels[level], w.maxProbability.count > 0 else { return nil }
        let n = Double(w.maxProbability.count)
        return ConfidenceSummary(count: w.maxProbability.count, meanMaxProbability: w.maxProbability.sum() / n,
                                 meanEntropyBits: w.entropyBits.sum() / n)
    }

    /// Forgets `level`'s windows (accuracy, agreement, confidence); pending inferences and the
    /// counters stay.
    public func reset(level: Int) {
        guard validLevel(level), let w = levels[level] else { return }
        w.accuracy.removeAll()
        w.agreement.removeAll()
        w.maxProbability.removeAll()
        w.entropyBits.removeAll()
    }

    // MARK: Helpers

    private func validLevel(_ level: Int) -> Bool { level >= 0 && level < levels.count }

    private func windows(_ level: Int) -> LevelWindows {
        if let w = levels[level] { return w }
        let w = LevelWindows(window: window)
        levels[level] = w
        return w
    }

    /// The monitor's time: never earlier than a time already seen.
    private func advance(to time: Double) -> Double {
        if time < latestTime {
            counters.clockWentBack += 1
            return latestTime
        }
        latestTime = time
        return time
    }

    private func syncExpiryCounters() {
        counters.evicted = pending.evicted
        counters.agedOut = pending.agedOut
    }

    /// SplitMix64's finaliser: a bijection on UInt64 whose output bits each depend on every
    /// input bit, so any run of ids maps to evenly spread values.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
