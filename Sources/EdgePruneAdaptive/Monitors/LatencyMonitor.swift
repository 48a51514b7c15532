import EdgePruneCore

/// What the controller reads from a latency monitor (the real one below, or a scripted fake in
/// the simulator and tests).
public protocol LatencyMonitoring: AnyObject {
    /// Percentiles of the last `window` accepted timings at any level; nil before the first.
    func summary() -> LatencySummary?
    /// Percentiles of the last `window` accepted timings at `level`; nil before the first.
    func summary(level: Int) -> LatencySummary?
}

/// Windowed p50/p95/p99 latency, overall and per sparsity-ladder level.
///
/// Every inference's duration (seconds, from a monotonic clock) goes to `record`. The monitor
/// keeps the last `window` accepted timings overall, and separately the last `window` timings of
/// each level, in preallocated rings, and answers percentiles exactly by nearest rank: the p-th
/// percentile of n values is the value at 1-based rank ceil(p * n) in sorted order.
///
/// Why exact percentiles over a ring rather than an HDR histogram: the window is small (hundreds
/// of timings), so selecting the three ranks in a copy of the ring costs a few microseconds per
/// `summary()`, which the controller calls once per decision, not per inference. The answer is
/// exact (no bucket quantisation to configure or to explain in a journal), a window forgets old
/// values precisely (a histogram would need a second histogram to subtract), and a record is
/// one store. Per-level rings are allocated the first time a level is recorded; after that no call
/// allocates.
///
/// Not thread-safe: the inference thread owns the monitor (it records after each inference and
/// the controller runs on the same thread between inferences). Hand summaries, not the monitor,
/// to other threads.
public final class LatencyMonitor: LatencyMonitoring {
    /// Timings kept per window (overall and per level).
    public let window: Int
    /// Timings accepted since creation.
    public private(set) var accepted = 0
    /// Timings refused since creation: NaN, infinite or negative values, or a level outside
    /// 0...SparsityLadder.maxLevels. A refused timing changes no window.
    public private(set) var rejected = 0

    private let overall: DoubleWindow
    private var levels: [DoubleWindow?]
    /// Scratch for selection, `window` values, allocated once.
    private let scratch: UnsafeMutablePointer<Double>

    /// `window` must be at least 1 (a programming error otherwise).
    public init(window: Int = 256) {
        precondition(window >= 1, "LatencyMonitor window must be at least 1, got \(window)")
        self.window = window
        overall = DoubleWindow(capacity: window)
        levels = Array(repeating: nil, count: SparsityLadder.maxLevels + 1)
        scratch = .allocate(capacity: window)
        scratch.initialize(repeating: 0, count: window)
    }

    deinit { scratch.deallocate() }

    /// Records one inference's duration at `level`. Returns false (and counts it in `rejected`)
    /// for a NaN, infinite or negative duration or a level outside the ladder's range.
    @discardableResult
    public func record(seconds: Double, level: Int) -> Bool {
        guard seconds.isFinite, seconds >= 0, level >= 0, level < levels.count else {
            rejected &+= 1
            return false
        }
        accepted &+= 1
        overall.append(seconds)
        if let w = levels[level] {
            w.append(seconds)
        } else {
            let w = DoubleWindow(capacity: window)
            w.append(seconds)
            levels[level] = w
        }
        return true
    }

    public func summary() -> LatencySummary? { summarize(overall) }

    public func summary(level: Int) -> LatencySummary? {
        guard level >= 0, level < levels.count, let w = levels[level] else { return nil }
        return summarize(w)
    }

    /// Timings currently held for `level` (0 for a level never recorded or out of range).
    public func count(level: Int) -> Int {
        guard level >= 0, level < levels.count else { return 0 }
        return levels[level]?.count ?? 0
    }

    /// Forgets `level`'s window (e.g. after its weights or the load changed). The overall window
    /// keeps its timings.
    public func reset(level: Int) {
        guard level >= 0, level < levels.count else { return }
        levels[level]?.removeAll()
    }

    /// Forgets every window; the counters stay.
    public func reset() {
        overall.removeAll()
        for w in levels { w?.removeAll() }
    }

    private func summarize(_ w: DoubleWindow) -> LatencySummary? {
        let n = w.count
        guard n > 0 else { return nil }
        w.copy(to: scratch)
        let i50 = nearestRankIndex(perMille: 500, count: n)
        let i95 = nearestRankIndex(perMille: 950, count: n)
        let i99 = nearestRankIndex(perMille: 990, count: n)
        // Each selection leaves everything above its rank to the right, so the next (higher)
        // rank is selected within that part only.
        selectInPlace(scratch, lo: 0, hi: n - 1, k: i50)
        selectInPlace(scratch, lo: i50, hi: n - 1, k: i95)
        selectInPlace(scratch, lo: i95, hi: n - 1, k: i99)
        return LatencySummary(count: n, p50: scratch[i50], p95: scratch[i95], p99: scratch[i99])
    }
}
