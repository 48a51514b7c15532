import EdgePruneCore

/// How important a weight (or channel) is: pruning removes the least important first.
///
/// Per-weight scores, for weight w[r, c] of a layer (output unit r, input column c reading input
/// channel j), all >= 0:
/// - `magnitude` (L1): |w|. Groups (blocks, channels) score the sum of |w| over their weights.
/// - `magnitudeL2`: |w| per weight (same order as L1); groups score sqrt(sum w^2).
/// - `activation`: |w| * mean|x_j|, where mean|x_j| is the mean absolute value of input channel j
///   over the calibration data (for convolutions also over positions). A weight that multiplies a
///   small input changes the output little. Channels score the mean |activation| of the channel
///   itself (after its BatchNorm and nonlinearity).
/// - `apoz`: |w| * (1 - APoZ_j), APoZ_j = fraction of calibration values of input channel j that
///   are zero (Hu et al. 2016, "Network Trimming"). Channels score 1 - APoZ of the channel.
/// - `sensitivity`: per layer, the calibration accuracy drop when that layer alone is pruned (by
///   L1 magnitude) to each probe level; layers get the sparsity their drop curve allows and
///   weights inside a layer are ranked by |w|. See SensitivityAnalysis.
/// - `ib` (information bottleneck): |w| * I(x_j; Y), the mutual information in bits between input
///   channel j's activation and the label; channels score I(a; Y) of the channel. Estimated by
///   binning, see InformationScores.
/// - `taylor`: first-order Taylor |w * g_b| (Molchanov et al. 2019), g_b the cross-entropy loss
///   gradient on a calibration batch, averaged over the batches; groups score the sum of their
///   weights' scores (as Torch-Pruning's TaylorImportance). Needs a GradientSource.
/// - `snip`: connection sensitivity |w * g| (Lee et al. 2019, SNIP), g the loss gradient over all
///   the calibration data at once. Needs a GradientSource.
public enum ImportanceMethod: String, Sendable, CaseIterable {
    case magnitude, magnitudeL2 = "magnitude-l2", activation, apoz, sensitivity, ib, taylor, snip

    public init(parsing text: String) throws {
        guard let m = ImportanceMethod(rawValue: text) else {
            throw EdgePruneError(.input, "unknown importance method '\(text)' (\(ImportanceMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = m
    }

    /// Whether the method reads calibration data.
    public var needsData: Bool { self != .magnitude && self != .magnitudeL2 }
    /// Whether the method needs labels with the calibration data.
    public var needsLabels: Bool { self == .sensitivity || self == .ib || needsGradients }
    /// Whether the method needs a GradientSource (loss gradients).
    public var needsGradients: Bool { self == .taylor || self == .snip }

    /// How a group's score combines its weights' scores.
    var groupAggregate: GroupAggregate { self == .magnitudeL2 ? .rootSumSquares : .sum }
}

enum GroupAggregate {
    case sum, rootSumSquares

    /// The group score of `scores[members]`.
    func combine<S: Sequence>(_ scores: [Float], _ members: S) -> Double where S.Element: BinaryInteger {
        combine(members.lazy.map { scores[Int($0)] })
    }

    func combine<S: Sequence>(_ values: S) -> Double where S.Element == Float {
        switch self {
        case .sum: return values.reduce(0.0) { $0 + Double($1) }
        case .rootSumSquares: return values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
    }
}
