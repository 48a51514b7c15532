import EdgePruneCore

/// Sensitivity: how much calibration accuracy each layer loses when it alone is pruned, and the
/// per-layer sparsities that spread a global target over layers by that measure.
///
/// For layer l and probe level p, drop_l(p) = accuracy(dense) - accuracy(layer l pruned to p, by
/// L1 magnitude, everything else dense). A target S is spread by a common tolerance t: each layer
/// gets the largest sparsity s_l(t) whose (monotone, linearly interpolated) drop curve stays within
/// t, and t is found by bisection so that sum_l n_l s_l(t) = S sum_l n_l (n_l: elements of layer l).
/// Robust layers so take more of the pruning than fragile ones (Han et al. 2015 used these curves
/// to set per-layer thresholds by hand). A larger S needs a larger t, and s_l(t) never falls as t
/// grows, so the ladder's levels stay nested.
public enum SensitivityAnalysis {
    public static let probes: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]

    /// drops[l][i]: accuracy drop of layer l alone at probes[i]. `prunedAccuracy(l, p)` measures.
    static func curves(layers: Int, probes: [Double] = probes, baseline: Double,
                       prunedAccuracy: (Int, Double) throws -> Double) rethrows -> [[Double]] {
        try (0..<layers).map { l in try probes.map { baseline - (try prunedAccuracy(l, $0)) } }
    }

    /// Per-layer sparsities for a global target (see the type's comment). `sizes`: n_l.
    static func allocate(drops: [[Double]], probes: [Double] = probes, sizes: [Int], target: Double,
                         maxSparsity: Double) throws -> [Double] {
        let top = min(probes.last ?? 0, maxSparsity)
        // Monotone envelope with a tiny slope so s_l(t) is continuous and bisection exact.
        let curves: [[(s: Double, d: Double)]] = drops.map { d in
            var pts: [(s: Double, d: Double)] = [(0, 0)]
            var worst = 0.0
            for (p, x) in zip(probes, d) where p <= top + 1e-12 {
                worst = max(worst, x)
                pts.append((p, worst + 1e-6 * p))
            }
            return pts
        }
        func sparsity(_ curve: [(s: Double, d: Double)], _ t: Double) -> Double {
            guard t > 0 else { return 0 }
            for i in 1..<curve.count where curve[i].d > t {
                let a = curve[i - 1], b = curve[i]
                return a.s + (t - a.d) / (b.d - a.d) * (b.s - a.s)
            }
            return curve.last!.s
        }
        let total = Double(sizes.reduce(0, +))
        func achieved(_ t: Double) -> Double {
            zip(curves, sizes).reduce(0.0) { $0 + sparsity($1.0, t) * Double($1.1) } / total
        }
        var lo = 0.0, hi = (curves.flatMap { $0.map(\.d) }.max() ?? 0) + 1
        guard achieved(hi) >= target - 1e-9 else {
            throw EdgePruneError(.input, String(format: "sparsity %.3f cannot be reached: sensitivity probes go to %.2f per layer (with --max-layer-sparsity %.2f), which prunes at most %.3f of the prunable weights", target, probes.last ?? 0, maxSparsity, achieved(hi)))
        }
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if achieved(mid) >= target { hi = mid } else { lo = mid }
        }
        return curves.map { sparsity($0, hi) }
    }
}
