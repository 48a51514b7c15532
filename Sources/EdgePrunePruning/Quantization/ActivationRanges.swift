import EdgePruneCore

/// How an activation's range is read from the calibration data.
public enum RangeMethod: Sendable, Equatable, CustomStringConvertible {
    /// The smallest and largest value seen.
    case minMax
    /// The P-th percentile of the values as the top of the range and the (100 - P)-th as the
    /// bottom (P in (50, 100]): outliers beyond them saturate instead of stretching the scale.
    case percentile(Double)

    public var description: String {
        switch self {
        case .minMax: return "minmax"
        case .percentile(let p): return "percentile \(p)"
        }
    }
}

/// Accumulates the range of one f32 activation over calibration batches (and ladder levels).
struct ActivationRange {
    let method: RangeMethod
    private(set) var lo: Float = .infinity
    private(set) var hi: Float = -.infinity
    private(set) var count = 0
    /// Every value seen (percentile only).
    private var values: [Float] = []

    init(method: RangeMethod) { self.method = method }

    mutating func add(_ p: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let v = p[i]
            lo = min(lo, v)
            hi = max(hi, v)
        }
        count += n
        if case .percentile = method { values.append(contentsOf: UnsafeBufferPointer(start: p, count: n)) }
    }

    /// (lo, hi) by the method; nil before any value.
    func range() -> (lo: Float, hi: Float)? {
        guard count > 0 else { return nil }
        guard case .percentile(let p) = method, p < 100 else { return (lo, hi) }
        let sorted = values.sorted()
        let n = sorted.count
        let top = min(n - 1, max(0, Int((p / 100 * Double(n)).rounded(.up)) - 1))
        let bottom = min(n - 1, max(0, Int(((100 - p) / 100 * Double(n)).rounded(.down))))
        return (sorted[bottom], sorted[top])
    }
}
