import EdgePruneCore

/// One layer's prunable units (weight groups or channels) in pruning order: least important first.
struct RankedUnits {
    /// Unit ids, least important first.
    let order: [Int32]
    /// Score of order[i] (ascending, >= 0).
    let scores: [Double]
    /// prefix[k]: elements removed when the first k units of `order` are pruned.
    let prefix: [Int]

    var total: Int { prefix.last ?? 0 }

    /// Ranks units by score, units pruned at an earlier level first (they must stay pruned).
    init(scores unitScores: [Double], sizes: [Int], alreadyPruned: [Bool]) {
        let ids = (0..<unitScores.count).map { Int32($0) }
        let order = ids.sorted { a, b in
            let pa = alreadyPruned[Int(a)], pb = alreadyPruned[Int(b)]
            if pa != pb { return pa }
            if unitScores[Int(a)] != unitScores[Int(b)] { return unitScores[Int(a)] < unitScores[Int(b)] }
            return a < b
        }
        self.order = order
        scores = order.map { alreadyPruned[Int($0)] ? 0 : max(unitScores[Int($0)], 0) }
        var prefix = [0]
        prefix.reserveCapacity(order.count + 1)
        for id in order { prefix.append(prefix.last! + sizes[Int(id)]) }
        self.prefix = prefix
    }

    /// The k whose prefix is closest to `target` elements, never above `limit` elements.
    func units(closestTo target: Double, limit: Int) -> Int {
        var lo = 0, hi = prefix.count - 1
        while lo < hi {  // first k with prefix[k] >= target
            let mid = (lo + hi) / 2
            if Double(prefix[mid]) >= target { hi = mid } else { lo = mid + 1 }
        }
        var k = lo
        if k > 0, abs(Double(prefix[k - 1]) - target) <= abs(Double(prefix[k]) - target) { k -= 1 }
        while k > 0, prefix[k] > limit { k -= 1 }
        return k
    }
}

/// How many units of each layer a level prunes.
enum LevelAllocation {
    /// Every layer pruned to `sparsity` of its own elements (capped at `maxSparsity`).
    static func perLayer(_ layers: [RankedUnits], sparsity: [Double], maxSparsity: Double) -> [Int] {
        zip(layers, sparsity).map { units, s in
            units.units(closestTo: min(s, maxSparsity) * Double(units.total), limit: Int(maxSparsity * Double(units.total)))
        }
    }

    /// Layer-adaptive magnitude-based pruning (LAMP, Lee et al. 2021) across layers: a unit with
    /// score u, in a layer whose scores sorted ascending are u_1 <= ... <= u_n, gets
    /// LAMP(u_i) = u_i^2 / sum_{j >= i} u_j^2, which rises monotonically inside a layer and is
    /// comparable across layers (the largest unit of every layer scores 1, so no layer is wiped
    /// out). Units are pruned in ascending LAMP order until `sparsity` of all elements is reached;
    /// a layer that reaches `maxSparsity` takes no further units. The order is fixed for a set of
    /// scores, so higher levels prune supersets.
    ///
    /// With `lamp` false, units are ordered by their raw scores instead: one global threshold on
    /// the scores, as torch.nn.utils.prune.global_unstructured (the classic baseline, which can
    /// empty a layer whose weights are small).
    static func global(_ layers: [RankedUnits], sparsity: Double, maxSparsity: Double, lamp useLamp: Bool = true) throws -> [Int] {
        var entries: [(lamp: Double, layer: Int32, rank: Int32)] = []
        entries.reserveCapacity(layers.reduce(0) { $0 + $1.order.count })
        for (l, units) in layers.enumerated() {
            var tail = 0.0
            var lamp = [Double](repeating: 0, count: units.scores.count)
            for i in stride(from: units.scores.count - 1, through: 0, by: -1) {
                let sq = units.scores[i] * units.scores[i]
                tail += sq
                lamp[i] = useLamp ? (tail > 0 ? sq / tail : 0) : units.scores[i]
            }
            for i in lamp.indices { entries.append((lamp[i], Int32(l), Int32(i))) }
        }
        entries.sort { ($0.lamp, $0.layer, $0.rank) < ($1.lamp, $1.layer, $1.rank) }
        let totalElements = layers.reduce(0) { $0 + $1.total }
        let target = sparsity * Double(totalElements)
        var k = [Int](repeating: 0, count: layers.count)
        var full = [Bool](repeating: false, count: layers.count)
        var removed = 0
        for e in entries {
            let l = Int(e.layer)
            guard !full[l] else { continue }
            let units = layers[l]
            let next = units.prefix[k[l] + 1] - units.prefix[k[l]]
            if Double(units.prefix[k[l] + 1]) > maxSparsity * Double(units.total) { full[l] = true; continue }
            if abs(Double(removed + next) - target) > abs(Double(removed) - target) { break }
            k[l] += 1
            removed += next
        }
        if Double(removed) < target - 0.005 * Double(totalElements) {
            throw EdgePruneError(.input, String(format: "sparsity %.3f cannot be reached: with the per-layer maximum of %.3f the prunable layers allow at most %.3f; raise --max-layer-sparsity or protect fewer layers", sparsity, maxSparsity, Double(removed) / Double(max(totalElements, 1))))
        }
        return k
    }
}
