/// Fixed-capacity windows of the most recent values, the storage behind every monitor: memory is
/// allocated once when a window is created, so appending on the inference thread never allocates.

/// The last `capacity` doubles, oldest overwritten first.
final class DoubleWindow {
    let capacity: Int
    private(set) var count = 0
    /// Index the next value goes to.
    private var next = 0
    private let storage: UnsafeMutablePointer<Double>

    init(capacity: Int) {
        precondition(capacity >= 1, "window capacity must be at least 1")
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }

    func append(_ value: Double) {
        storage[next] = value
        next = next + 1 == capacity ? 0 : next + 1
        if count < capacity { count += 1 }
    }

    func removeAll() {
        count = 0
        next = 0
    }

    /// Copies the held values (in storage order, which is all a percentile or a mean needs) to
    /// `destination`, which has room for `count` values.
    func copy(to destination: UnsafeMutablePointer<Double>) {
        destination.update(from: storage, count: count)
    }

    /// Sum of the held values, recomputed (a running sum would drift as values leave).
    func sum() -> Double {
        var s = 0.0
        for i in 0..<count { s += storage[i] }
        return s
    }
}

/// The last `capacity` yes/no outcomes with a running count of the yeses.
final class OutcomeWindow {
    let capacity: Int
    private(set) var count = 0
    private(set) var successes = 0
    private var next = 0
    private let storage: UnsafeMutablePointer<Bool>

    init(capacity: Int) {
        precondition(capacity >= 1, "window capacity must be at least 1")
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: false, count: capacity)
    }

    deinit { storage.deallocate() }

    func append(_ success: Bool) {
        if count == capacity, storage[next] { successes -= 1 }
        storage[next] = success
        if success { successes += 1 }
        next = next + 1 == capacity ? 0 : next + 1
        if count < capacity { count += 1 }
    }

    func removeAll() {
        count = 0
        successes = 0
        next = 0
    }

    /// The window as a proportion with its Wilson interval; nil while empty.
    var estimate: ProportionEstimate? {
        count == 0 ? nil : ProportionEstimate(successes: successes, trials: count)
    }
}

/// In-place selection (Hoare partition, median-of-three pivot): afterwards `values[k]` holds the
/// value a full sort would put there, everything in `lo..<k` is <= it and everything in `k...hi`
/// is >= it. Expected O(n), no allocation. Values must be ordered (no NaN).
func selectInPlace(_ values: UnsafeMutablePointer<Double>, lo: Int, hi: Int, k: Int) {
    var lo = lo, hi = hi
    while hi > lo {
        let mid = lo + (hi - lo) / 2
        if values[mid] < values[lo] { swapAt(values, lo, mid) }
        if values[hi] < values[lo] { swapAt(values, lo, hi) }
        if values[hi] < values[mid] { swapAt(values, mid, hi) }
        let pivot = values[mid]
        var i = lo, j = hi
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j {
                swapAt(values, i, j)
                i += 1
                j -= 1
            }
        }
        // Now lo...j <= pivot, i...hi >= pivot, and anything between equals the pivot.
        if k <= j { hi = j } else if k >= i { lo = i } else { return }
    }
}

@inline(__always)
private func swapAt(_ p: UnsafeMutablePointer<Double>, _ a: Int, _ b: Int) {
    let t = p[a]
    p[a] = p[b]
    p[b] = t
}

/// Nearest-rank percentile position (0-based) for `perMille` (e.g. 950 for p95) of `n` values:
/// the smallest rank r with r / n >= perMille / 1000, computed in integers so p95 of 100 values is
/// exactly the 95th value, not the 96th through a rounding error.
@inline(__always)
func nearestRankIndex(perMille: Int, count n: Int) -> Int {
    max(0, min(n - 1, (perMille * n + 999) / 1000 - 1))
}
