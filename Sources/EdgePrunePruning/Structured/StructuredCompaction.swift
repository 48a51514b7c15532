import EdgePruneCore

/// What compaction did: the smaller graph and, per group id (as ChannelGroups.analyze numbers
/// them on the input graph), the channels it removed.
public struct CompactionResult: Sendable {
    public let graph: Graph
    public let removed: [Int: [Int]]

    public init(graph: Graph, removed: [Int: [Int]]) {
        self.graph = graph
        self.removed = removed
    }
}

/// Physically removes masked channels, so a structurally pruned model has fewer parameters and
/// MACs and stays an ordinary model any runtime can run.
public enum StructuredCompaction {
    /// Removes, in every prunable group, the channels whose producer-side slices (producer weight,
    /// producer bias, BN scale and bias) are all zero, with all their slices, and fixes node
    /// attributes (Conv `group` for depthwise, Reshape shape constants). The result computes the
    /// same function as the input: a channel with those slices zero is exactly 0 after
    /// BN(gamma=0, beta=0)/ReLU, so dropping it changes nothing.
    ///
    /// Where the channel passes through an op that does not keep 0 at 0 (Sigmoid, an Add of a
    /// broadcast value, ...), the consumers' input weights of the channel must be zero too, as
    /// ChannelMasking leaves them; a channel with zero weights but a non-zero bias is kept. A
    /// group keeps at least one channel, so no tensor becomes empty. With nothing to remove the
    /// input graph is returned unchanged; otherwise the result has no sparsity ladder (its codes
    /// described the uncompacted weights).
    public static func compact(_ graph: Graph) throws -> CompactionResult {
        let analysis = try ChannelAnalysis.run(graph)
        var g = analysis.graph
        var removed: [Int: [Int]] = [:]
        for group in analysis.groups where group.prunable {
            let producerSide = group.slices.filter(\.role.isProducerSide)
            let consumerSide = group.slices.filter { $0.role == .consumerWeight }
            func allZero(_ slices: [ParamSlice], _ c: Int) -> Bool {
                slices.allSatisfy { s in
                    guard let t = g.initializers[s.tensor], ChannelSlicing.fits(s, t, channels: group.channels) else { return false }
                    return ChannelSlicing.isZero(t, axis: s.axis, range: s.range(of: c))
                }
            }
            var gone = (0..<group.channels).filter { c in
                !producerSide.isEmpty && allZero(producerSide, c)
                    && (analysis.zeroPreserving[group.id] || allZero(consumerSide, c))
            }
            if gone.count == group.channels { gone.removeFirst() }
            if !gone.isEmpty { removed[group.id] = gone }
        }
        guard !removed.isEmpty else { return CompactionResult(graph: graph, removed: [:]) }

        // Indices to drop, per tensor and axis (a Conv weight is cut on axis 0 for its own group
        // and on axis 1 for the group it reads).
        var cut: [String: [Int: Set<Int>]] = [:]
        for (id, channels) in removed {
            for s in analysis.groups[id].slices {
                for c in channels { cut[s.tensor, default: [:]][s.axis, default: []].formUnion(s.range(of: c)) }
            }
        }
        for (name, axes) in cut {
            let t = g.initializers[name]!
            let keep = Dictionary(uniqueKeysWithValues: axes.map { axis, drop in
                (axis, (0..<t.shape[axis]).filter { !drop.contains($0) })
            })
            g.initializers[name] = ChannelSlicing.gather(t, keep: keep)
        }

        func lost(_ fix: ChannelAnalysis.CountFix) -> Int {
            fix.parts.reduce(0) { $0 + (removed[$1.group]?.count ?? 0) * $1.span }
        }
        for fix in analysis.depthwiseFixes {
            let n = lost(fix)
            if n > 0, let old = g.nodes[fix.node].int("group") { g.nodes[fix.node].attributes["group"] = .int(old - n) }
        }
        for fix in analysis.reshapeFixes {
            let n = lost(fix)
            guard n > 0 else { continue }
            try rewriteReshapeTarget(&g, node: fix.node, lostFeatures: n)
        }
        g.ladder = nil
        do {
            _ = try StructuredShapes.infer(g)
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "structured compaction produced a graph that does not check: \(e.message)")
        }
        return CompactionResult(graph: g, removed: removed)
    }

    /// Lowers the stored feature count (index 1) of a flattening Reshape's target shape. A shape
    /// initializer other nodes also read is copied under a new name rather than changed.
    private static func rewriteReshapeTarget(_ g: inout Graph, node i: Int, lostFeatures n: Int) throws {
        var node = g.nodes[i]
        if g.opset < 5 {
            guard var s = node.ints("shape"), s.count == 2 else { return }
            s[1] -= n
            node.attributes["shape"] = .ints(s)
            g.nodes[i] = node
            return
        }
        let name = node.inputs[1]
        guard let t = g.initializers[name] else {
            throw EdgePruneError(.invalidModel, "\(node.label): its target shape '\(name)' is no longer a constant")
        }
        var v = t.asInts()
        v[1] -= n
        let shared = g.nodes.enumerated().contains { $0.offset != i && $0.element.inputs.contains(name) }
            || g.outputs.contains { $0.name == name }
        var target = name
        if shared {
            var k = 1
            while g.initializers["\(name)_compacted\(k)"] != nil { k += 1 }
            target = "\(name)_compacted\(k)"
            node.inputs[1] = target
            g.nodes[i] = node
        }
        g.initializers[target] = Tensor(int64: v.map(Int64.init), shape: t.shape)
    }
}
