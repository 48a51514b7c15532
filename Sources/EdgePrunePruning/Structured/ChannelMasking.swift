import EdgePruneCore

/// Zeroing whole channels of a group, the step before structured compaction.
public enum ChannelMasking {
    /// Zeroes every slice of `channels` in the group (a copy of the touched initializers; others
    /// shared): the producing filters/neurons and their biases, BatchNormalization scale, bias
    /// and mean, depthwise and other pass-through weights, and the consumers' input-channel
    /// weights. BN variance is left as it is, so BN never divides by zero: with scale and bias 0
    /// it outputs exactly 0 whatever the variance.
    ///
    /// The result is the graph with Constant and Identity-of-initializer nodes made initializers
    /// (ConstantParameters), which is where `group` (from ChannelGroups.analyze) points. Throws,
    /// changing nothing, for a non-prunable group, a channel out of range, or a group that does
    /// not fit this graph.
    public static func mask(_ graph: Graph, group: ChannelGroup, channels: Set<Int>) throws -> Graph {
        guard group.prunable else {
            throw EdgePruneError(.input, "channel group \(group.id) is not prunable: \(group.reason ?? "no reason given")")
        }
        if let bad = channels.sorted().first(where: { $0 < 0 || $0 >= group.channels }) {
            throw EdgePruneError(.input, "channel \(bad) is outside channel group \(group.id) (channels 0..<\(group.channels))")
        }
        var g = try ConstantParameters.materialize(graph)
        for s in group.slices {
            guard let t = g.initializers[s.tensor] else {
                throw EdgePruneError(.input, "channel group \(group.id) names parameter '\(s.tensor)', which the model does not have (a group of another model?)")
            }
            guard ChannelSlicing.fits(s, t, channels: group.channels) else {
                throw EdgePruneError(.input, "channel group \(group.id) does not fit parameter '\(s.tensor)' \(t.type) (axis \(s.axis), offset \(s.offset), span \(s.span), \(group.channels) channels)")
            }
        }
        var copies: [String: Tensor] = [:]
        for s in group.slices where s.role != .bnVar && !channels.isEmpty {
            let t = copies[s.tensor] ?? g.initializers[s.tensor]!.copy()
            for c in channels { ChannelSlicing.zero(t, axis: s.axis, range: s.range(of: c)) }
            copies[s.tensor] = t
        }
        for (name, t) in copies { g.initializers[name] = t }
        return g
    }
}
