import EdgePruneCore

/// A model at one level of its sparsity ladder, ready to run or export: pruned weights zeroed and,
/// for structured ladders, pruned channels physically removed (fewer parameters and MACs).
public enum PrunedLevels {
    public static func graph(_ graph: Graph, level: Int) throws -> Graph {
        let g = try graph.atLadderLevel(level)
        guard level > 0, g.ladder?.isStructured == true else { return g }
        var compacted = try StructuredCompaction.compact(g).graph
        compacted.ladder = nil  // the ladder's codes describe the uncompacted weights
        return compacted
    }
}
