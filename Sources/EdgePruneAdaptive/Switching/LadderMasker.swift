import EdgePruneCore
import EdgePrunePruning

/// Builds the weights of any ladder level fast, for level switching: one branch-free pass per
/// coded weight writes the level's copy straight into fresh (uncleared) memory, element i kept
/// as is or zeroed by its ladder code (pruned at level L when 1 <= code <= L, see
/// `SparsityLadder.kept`). Same result as `Graph.atLadderLevel`; about the cost of one memcpy
/// (reads 5 bytes, writes 4 per element), against a clear, a copy and a scatter of zeros.
struct LadderMasker: @unchecked Sendable {
    struct Weight {
        let name: String
        let base: Tensor
        /// One ladder code per element (0: never pruned; c: pruned from level c on).
        let codes: [UInt8]
        /// Recovered kept values per level (see `SparsityLadder.levelWeights`).
        let recovered: [Int: [Float]]
    }

    let topLevel: Int
    let weights: [Weight]
    /// Uncoded tensors (biases) a level replaces whole (see `SparsityLadder.levelWeights`).
    let replaced: [Int: [String: Tensor]]

    /// `graph` holds the weights to mask (the stored model, or its optimised form when its coded
    /// weights are unchanged by optimisation); `ladder` is the model's ladder.
    init(graph: Graph, ladder: SparsityLadder) throws {
        topLevel = ladder.topLevel
        guard ladder.topLevel <= Int(UInt8.max) else {
            throw EdgePruneError(.format, "sparsity ladder has \(ladder.topLevel) levels; codes are 8-bit, so at most 255")
        }
        var weights: [Weight] = []
        for name in ladder.codes.keys.sorted() {
            let codes = ladder.codes[name]!
            guard let t = graph.initializers[name], t.dtype == .float32, t.count == codes.count else {
                throw EdgePruneError(.format, "sparsity ladder does not fit weight '\(name)'")
            }
            if let bad = codes.first(where: { Int($0) > ladder.topLevel }) {
                throw EdgePruneError(.format, "sparsity ladder code \(bad) for weight '\(name)' names a level above the top level \(ladder.topLevel)")
            }
            let recovered = ladder.levelWeights.compactMapValues { $0[name] }
            for (level, values) in recovered where values.count != ladder.keptCount(codes, level: level) {
                throw EdgePruneError(.format, "level \(level) recovered weights do not fit weight '\(name)'")
            }
            weights.append(Weight(name: name, base: t, codes: codes, recovered: recovered))
        }
        self.weights = weights
        var replaced: [Int: [String: Tensor]] = [:]
        for (level, entries) in ladder.levelWeights {
            for (name, values) in entries where ladder.codes[name] == nil {
                guard let t = graph.initializers[name], t.dtype == .float32, t.count == values.count else {
                    throw EdgePruneError(.format, "level \(level) recovered weights do not fit '\(name)'")
                }
                replaced[level, default: [:]][name] = Tensor(values, shape: t.shape)
            }
        }
        self.replaced = replaced
    }

    /// `graph` with every coded weight replaced by its level-`level` copy (level 0: unchanged).
    func graph(_ graph: Graph, level: Int) throws -> Graph {
        guard level >= 0, level <= topLevel else {
            throw EdgePruneError(.input, "level \(level) is outside the model's sparsity ladder (levels 0...\(topLevel))")
        }
        guard level > 0 else { return graph }
        var g = graph
        for w in weights {
            let buffer = Buffer(uninitializedByteCount: w.base.byteCount)
            if let values = w.recovered[level] {
                LadderMasker.scatter(values, codes: w.codes, level: level, into: buffer.raw.assumingMemoryBound(to: Float.self))
            } else {
                LadderMasker.mask(w.base.pointer(as: UInt32.self), codes: w.codes, level: level,
                                  into: buffer.raw.assumingMemoryBound(to: UInt32.self))
            }
            g.initializers[w.name] = Tensor(type: w.base.type, buffer: buffer)
        }
        for (name, t) in replaced[level] ?? [:] { g.initializers[name] = t }
        return g
    }

    /// out[i] = src[i], or +0 where 1 <= codes[i] <= level. On the bits, without branches (so it
    /// vectorises): (code - 1) wraps to 255 for code 0, so `code &- 1 < level` is "pruned", and
    /// the mask is all ones or all zeros. Writes every element of `out`.
    static func mask(_ src: UnsafePointer<UInt32>, codes: [UInt8], level: Int, into out: UnsafeMutablePointer<UInt32>) {
        let l = UInt8(level)
        codes.withUnsafeBufferPointer { c in
            for i in 0..<c.count {
                let keep = UInt32(truncatingIfNeeded: Int32(c[i] &- 1 < l ? 0 : -1))
                out[i] = src[i] & keep
            }
        }
    }

    /// out[i] = the next recovered value where element i is kept at `level`, else 0. Writes
    /// every element of `out`.
    static func scatter(_ values: [Float], codes: [UInt8], level: Int, into out: UnsafeMutablePointer<Float>) {
        let l = UInt8(level)
        var k = 0
        for i in 0..<codes.count {
            if codes[i] &- 1 < l { out[i] = 0 } else { out[i] = values[k]; k += 1 }
        }
    }

    /// Bytes of the weight copies one masked level holds (0 for level 0, which shares the model's).
    func maskedBytes(level: Int) -> Int {
        level == 0 ? 0 : weights.reduce(0) { $0 + $1.base.byteCount }
    }
}
