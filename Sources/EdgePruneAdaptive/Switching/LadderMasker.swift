import EdgePruneCore
import EdgePrunePruning

/// Builds the weights of any ladder level fast, for level switching: at load, every coded weight's
/// pruned elements are sorted by the level that prunes them (a counting sort over the code bytes),
/// so level L's zeros are a prefix of that order (codes 1...L). Masking a level is then one copy of
/// the weight plus a scatter of zeros, instead of a code test per element as in
/// `Graph.atLadderLevel`; the results are identical.
struct LadderMasker: @unchecked Sendable {
    struct Weight {
        let name: String
        let base: Tensor
        /// Element indices with a non-zero code, in ascending code order.
        let order: [Int32]
        /// prunedCount[L]: how many elements level L zeroes (codes 1...L), L in 0...topLevel.
        let prunedCount: [Int]
    }

    let topLevel: Int
    let weights: [Weight]

    /// `graph` holds the weights to mask (the stored model, or its optimised form when its coded
    /// weights are unchanged by optimisation); `ladder` is the model's ladder.
    init(graph: Graph, ladder: SparsityLadder) throws {
        topLevel = ladder.topLevel
        var weights: [Weight] = []
        for name in ladder.codes.keys.sorted() {
            let codes = ladder.codes[name]!
            guard let t = graph.initializers[name], t.dtype == .float32, t.count == codes.count else {
                throw EdgePruneError(.format, "sparsity ladder does not fit weight '\(name)'")
            }
            guard codes.count <= Int(Int32.max) else {
                throw EdgePruneError(.limit, "weight '\(name)' has \(codes.count) elements, over the switching limit of \(Int32.max)")
            }
            var perCode = [Int](repeating: 0, count: ladder.topLevel + 1)
            for c in codes where c != 0 {
                guard Int(c) <= ladder.topLevel else {
                    throw EdgePruneError(.format, "sparsity ladder code \(c) for weight '\(name)' names a level above the top level \(ladder.topLevel)")
                }
                perCode[Int(c)] += 1
            }
            var prunedCount = [Int](repeating: 0, count: ladder.topLevel + 1)
            for level in 1..<max(prunedCount.count, 1) { prunedCount[level] = prunedCount[level - 1] + perCode[level] }
            var next = [Int](repeating: 0, count: ladder.topLevel + 1)
            for level in 1..<max(next.count, 1) { next[level] = prunedCount[level - 1] }
            var order = [Int32](repeating: 0, count: prunedCount.last ?? 0)
            for (i, c) in codes.enumerated() where c != 0 {
                order[next[Int(c)]] = Int32(i)
                next[Int(c)] += 1
            }
            weights.append(Weight(name: name, base: t, order: order, prunedCount: prunedCount))
        }
        self.weights = weights
    }

    /// `graph` with every coded weight replaced by its level-`level` copy (level 0: unchanged).
    func graph(_ graph: Graph, level: Int) throws -> Graph {
        guard level >= 0, level <= topLevel else {
            throw EdgePruneError(.input, "level \(level) is outside the model's sparsity ladder (levels 0...\(topLevel))")
        }
        guard level > 0 else { return graph }
        var g = graph
        for w in weights {
            let masked = w.base.copy()
            let p = masked.pointer(as: Float.self)
            w.order.withUnsafeBufferPointer { order in
                for j in 0..<w.prunedCount[level] { p[Int(order[j])] = 0 }
            }
            g.initializers[w.name] = masked
        }
        return g
    }

    /// Bytes of the weight copies one masked level holds (0 for level 0, which shares the model's).
    func maskedBytes(level: Int) -> Int {
        level == 0 ? 0 : weights.reduce(0) { $0 + $1.base.byteCount }
    }
}
