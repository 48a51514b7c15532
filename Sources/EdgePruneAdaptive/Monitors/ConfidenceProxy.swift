#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a classifier's output vector holds.
public enum ClassScores: String, Sendable, Codable {
    /// Unnormalised scores; probabilities are softmax(z).
    case logits
    /// Probabilities (non-negative, summing to 1 within 1%); renormalised before use.
    case probabilities
}

/// The label-free confidence proxy of a window of outputs: the mean of the largest class
/// probability and the mean Shannon entropy H = -sum_i p_i log2 p_i (bits; 0 for a one-hot
/// output, log2(classes) for a uniform one). Pruning that hurts a classifier usually flattens its
/// outputs: max probability falls and entropy rises before any label arrives.
public struct ConfidenceSummary: Sendable, Codable, Equatable {
    public let count: Int
    public let meanMaxProbability: Double
    public let meanEntropyBits: Double

    public init(count: Int, meanMaxProbability: Double, meanEntropyBits: Double) {
        self.count = count
        self.meanMaxProbability = meanMaxProbability
        self.meanEntropyBits = meanEntropyBits
    }
}

/// Max probability and entropy of one output vector.
enum ConfidenceProxy {
    enum Measurement: Equatable {
        case measured(maxProbability: Double, entropyBits: Double)
        case nonFinite
        case invalidProbabilities
    }

    /// (max probability, entropy in bits) of `scores`, or why it cannot be computed: a NaN or
    /// infinite score, or "probabilities" that are negative or do not sum to 1 within 1%.
    /// Computed in Double; softmax is shifted by the max logit so large logits do not overflow.
    static func measure(_ scores: UnsafeBufferPointer<Float>, kind: ClassScores) -> Measurement {
        for s in scores where !s.isFinite { return .nonFinite }
        switch kind {
        case .logits:
            var m = -Double.infinity
            for s in scores { m = max(m, Double(s)) }
            var sum = 0.0
            for s in scores { sum += exp(Double(s) - m) }
            // p_i = exp(z_i - m) / sum, so p_max = 1 / sum and
            // H = -sum p_i ln p_i = ln(sum) - sum p_i (z_i - m), in nats.
            var weighted = 0.0
            for s in scores {
                let d = Double(s) - m
                weighted += exp(d) / sum * d
            }
            let nats = log(sum) - weighted
            return .measured(maxProbability: 1 / sum, entropyBits: max(0, nats) / M_LN2)
        case .probabilities:
            var sum = 0.0, top = 0.0
            for s in scores {
                guard s >= 0 else { return .invalidProbabilities }
                sum += Double(s)
                top = max(top, Double(s))
            }
            guard abs(sum - 1) <= 0.01 else { return .invalidProbabilities }
            var bits = 0.0
            for s in scores where s > 0 {
                let p = Double(s) / sum
                bits -= p * log2(p)
            }
            return .measured(maxProbability: top / sum, entropyBits: max(0, bits))
        }
    }
}
