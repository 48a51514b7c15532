/// What the switching machinery did and what it cost, for monitors, the journal and benchmarks.
/// Times in seconds.
public struct SwitchStatistics: Sendable, Codable, Equatable {
    public var activeLevel: Int
    public var memoryBudgetBytes: Int
    /// Levels kept prepared and their estimated bytes.
    public var preparedLevels: [Int] = []
    public var preparedBytes = 0
    /// Builds: cold (formats measured) and warm (formats re-used); prepares answered from the
    /// kept levels; builds that failed (the active level kept running).
    public var coldPrepares = 0
    public var warmPrepares = 0
    public var cacheHits = 0
    public var failedPrepares = 0
    public var evictions = 0
    public var switches = 0
    /// The last build: level, duration, and whether it was cold.
    public var lastPrepareLevel: Int?
    public var lastPrepareSeconds: Double?
    public var lastPrepareWasCold: Bool?
    /// Swap pause: time the inference thread spent taking over a new plan (on the first
    /// inference after each switch): the last one and the largest so far.
    public var lastSwapPauseSeconds: Double?
    public var maxSwapPauseSeconds: Double?
    public var swapPausesObserved = 0
    /// Time the switching thread held the lock to swap (the window in which an inference thread
    /// could be made to wait): the last one and the largest so far.
    public var lastSwapHoldSeconds: Double?
    public var maxSwapHoldSeconds: Double?

    public init(activeLevel: Int, memoryBudgetBytes: Int) {
        self.activeLevel = activeLevel
        self.memoryBudgetBytes = memoryBudgetBytes
    }

    mutating func record(prepare p: PreparedLevel) {
        if p.measuredFormats { coldPrepares += 1 } else { warmPrepares += 1 }
        lastPrepareLevel = p.level
        lastPrepareSeconds = p.prepareSeconds
        lastPrepareWasCold = p.measuredFormats
    }

    mutating func record(swapPauseNanoseconds ns: UInt64, level: Int) {
        let s = Double(ns) * 1e-9
        lastSwapPauseSeconds = s
        maxSwapPauseSeconds = max(maxSwapPauseSeconds ?? 0, s)
        swapPausesObserved += 1
    }

    mutating func record(switchFrom: Int, to: Int, holdNanoseconds ns: UInt64) {
        let s = Double(ns) * 1e-9
        switches += 1
        activeLevel = to
        lastSwapHoldSeconds = s
        maxSwapHoldSeconds = max(maxSwapHoldSeconds ?? 0, s)
    }
}
