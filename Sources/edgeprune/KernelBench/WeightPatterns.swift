/// Deterministic benchmark weights whose zeros follow a format's pattern at an exact sparsity.
struct WeightPattern {
    enum Kind: Equatable {
        case dense
        case unstructured
        case blocks(rows: Int, cols: Int)
        case nm(n: Int, m: Int)
    }

    /// A small xorshift generator (benchmarks must be reproducible, and Foundation's random is not seedable).
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed | 1 }
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        /// Uniform in [-1, 1), never exactly 0.
        mutating func nonZero() -> Float {
            let v = Float(next() >> 40) / Float(1 << 24) * 2 - 1
            return v == 0 ? 0.5 : v
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func shuffle(_ a: inout [Int]) {
            guard a.count > 1 else { return }
            for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
        }
    }

    /// rows x cols, row-major; `sparsity` of the units (weights, blocks) are zero, exactly (rounded).
    /// N:M keeps exactly n of every m (its sparsity is 1 - n/m whatever is asked).
    static func make(_ kind: Kind, rows: Int, cols: Int, sparsity: Double, seed: UInt64) -> [Float] {
        var rng = Random(seed: seed)
        var w = (0..<(rows * cols)).map { _ in rng.nonZero() }
        switch kind {
        case .dense:
            break
        case .unstructured:
            var idx = Array(0..<(rows * cols))
            rng.shuffle(&idx)
            for i in idx.prefix(Int((sparsity * Double(idx.count)).rounded())) { w[i] = 0 }
        case .blocks(let br, let bc):
            let gr = (rows + br - 1) / br, gc = (cols + bc - 1) / bc
            var idx = Array(0..<(gr * gc))
            rng.shuffle(&idx)
            for b in idx.prefix(Int((sparsity * Double(idx.count)).rounded())) {
                let r0 = (b / gc) * br, c0 = (b % gc) * bc
                for r in r0..<min(rows, r0 + br) { for c in c0..<min(cols, c0 + bc) { w[r * cols + c] = 0 } }
            }
        case .nm(let n, let m):
            for r in 0..<rows {
                for g in stride(from: 0, to: cols, by: m) {
                    var pos = Array(g..<min(cols, g + m))
                    rng.shuffle(&pos)
                    for c in pos.dropFirst(n) { w[r * cols + c] = 0 }
                }
            }
        }
        return w
    }

    static func zeroFraction(_ w: [Float]) -> Double {
        w.isEmpty ? 0 : Double(w.lazy.filter { $0 == 0 }.count) / Double(w.count)
    }
}
