import Foundation
import EdgePruneCore

/// Ladder level lists.
public enum Schedule {
    /// Zhu & Gupta (2017) gradual pruning: step k of K reaches s_k = S (1 - (1 - k/K)^3), so early
    /// steps prune fast while many redundant weights remain and later steps slow down.
    public static func cubic(target: Double, steps: Int) throws -> [Double] {
        try check(target, what: "--target")
        guard (1...SparsityLadder.maxLevels).contains(steps) else {
            throw EdgePruneError(.input, "--steps must be 1...\(SparsityLadder.maxLevels), got \(steps)")
        }
        return (1...steps).map { k in
            let f = 1 - Double(k) / Double(steps)
            return target * (1 - f * f * f)
        }
    }

    /// Parses "0.5,0.7,0.9": ascending sparsities in (0, 1); a leading 0 (the dense level 0,
    /// always present) is accepted and dropped.
    public static func parse(_ text: String) throws -> [Double] {
        var levels: [Double] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let s = part.trimmingCharacters(in: .whitespaces)
            guard let v = Double(s) else { throw EdgePruneError(.input, "--ladder '\(text)': '\(s)' is not a number") }
            if v == 0 && levels.isEmpty { continue }
            try check(v, what: "--ladder value")
            if let last = levels.last, v <= last {
                throw EdgePruneError(.input, "--ladder '\(text)': levels must ascend strictly (\(v) after \(last))")
            }
            levels.append(v)
        }
        guard !levels.isEmpty else { throw EdgePruneError(.input, "--ladder '\(text)' has no level above 0") }
        guard levels.count <= SparsityLadder.maxLevels else {
            throw EdgePruneError(.input, "--ladder has \(levels.count) levels; at most \(SparsityLadder.maxLevels)")
        }
        return levels
    }

    static func check(_ v: Double, what: String) throws {
        guard v.isFinite, v > 0, v < 1 else {
            throw EdgePruneError(.input, "\(what) \(v) is outside (0, 1): a sparsity is the fraction of weights removed, below 1")
        }
    }
}
