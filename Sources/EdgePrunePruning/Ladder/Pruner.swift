import EdgePruneCore
import Foundation

/// The result of a pruning run.
public struct PruneOutcome: Sendable {
    /// The input model with its nested sparsity ladder attached (weights unchanged: level 0).
    public let graph: Graph
    /// Requested sparsity of each kept level 1...n.
    public let requested: [Double]
    /// Measurements of levels 0...n on the calibration data (what the ladder stores).
    public let reports: [LevelReport]
    /// Layers left alone, and channel groups structured pruning could not touch (with why).
    public let protectedLayers: [String]
    public let skipped: [String]
    /// Set when the accuracy floor cut the ladder short: what happened, in one sentence.
    public let floorNote: String?
    /// Set when the levels were recovered (`PruneOptions.recover`): what was re-fitted.
    public let recovery: ReconstructionReport?
}

/// Builds a nested sparsity ladder for a model: scores, ranks and allocates units level by level
/// (each level prunes a superset of the previous one), then measures every level.
public enum Pruner {
    public typealias Progress = (String, Int, Int) -> Void

    public static func prune(_ model: Graph, options: PruneOptions, data: CalibrationData?, gradients: GradientSource? = nil,
                             makeSession: (Graph) throws -> InferenceSession = { try InferenceSession(graph: $0) },
                             progress: Progress? = nil) throws -> PruneOutcome {
        if options.method.needsGradients && gradients == nil {
            throw EdgePruneError(.unsupported, "method '\(options.method.rawValue)' needs loss gradients: pass a GradientSource (EdgePruneTraining.TrainingGradients)")
        }
        try options.validate(hasData: data != nil, hasLabels: data?.labels != nil)
        guard model.ladder == nil else {
            throw EdgePruneError(.input, "the model already has a sparsity ladder; prune the model it was made from")
        }
        // Structured pruning reads parameters that ONNX may hold in Constant nodes: make them
        // initializers first, so the ladder can code them.
        let graph = options.granularity == .channel ? try ConstantParameters.materialize(model) : model
        let all = PrunableLayers.find(graph)
        let (layers, protected) = try PrunableLayers.unprotected(all, protect: options.protect)
        var skipped: [String] = []
        let units: [PruningUnits]
        let aggregate = options.method.groupAggregate
        switch options.granularity {
        case .unstructured: units = layers.map { WeightUnits(layer: $0, groups: .make($0), aggregate: aggregate) }
        case .block(let r, let c): units = layers.map { WeightUnits(layer: $0, groups: .make($0, blockRows: r, blockCols: c), aggregate: aggregate) }
        case .nm(_, let m): units = layers.map { WeightUnits(layer: $0, groups: .nmGroups($0, m: m), aggregate: aggregate) }
        case .channel:
            let protectedNodes = Set(protected.map(\.node))
            var usable: [PruningUnits] = []
            for g in try ChannelGroups.analyze(graph) {
                if !g.prunable {
                    skipped.append("\(g.producers.joined(separator: "+")): \(g.reason ?? "not prunable")")
                } else if let p = g.producers.first(where: protectedNodes.contains) {
                    skipped.append("\(g.producers.joined(separator: "+")): produced by protected layer '\(p)'")
                } else {
                    usable.append(ChannelUnits(group: g, graph: graph, aggregate: aggregate))
                }
            }
            guard !usable.isEmpty else {
                throw EdgePruneError(.input, "no channel group can be pruned (\(skipped.joined(separator: "; ")))")
            }
            units = usable
        }
        let activationValues = layers.map(\.input) + units.compactMap { ($0 as? ChannelUnits)?.group.activations }.flatMap { $0 }

        var codes: [String: [UInt8]] = [:]
        var drops: [[Double]]? = nil
        if options.method == .sensitivity, let data {
            drops = try sensitivityCurves(graph, units: units, layers: layers, data: data, makeSession: makeSession, progress: progress)
        }
        var context: ScoringContext? = nil
        for (i, target) in options.levels.enumerated() {
            let level = UInt8(i + 1)
            progress?("prune", i, options.levels.count)
            if context == nil || (options.rescore && options.method.needsData) {
                context = ScoringContext(method: options.method, graph: try masked(graph, codes: codes, level: i), layers: layers,
                                         activationValues: activationValues, data: data, gradients: gradients)
            }
            let scores = try units.map { try $0.scores(context!) }
            let ranked = zip(units, scores).map { u, s in RankedUnits(scores: s, sizes: u.sizes, alreadyPruned: u.pruned(codes)) }
            if case .nm(_, let m) = options.granularity {
                let keep = Int((Double(m) * (1 - target)).rounded())
                let weightScores = try context!.weights()
                for case let u as WeightUnits in units {
                    markNM(u, scores: weightScores[u.layer.weight]!, keep: keep, level: level, codes: &codes)
                }
                continue
            }
            let counts: [Int]
            if let drops {
                let s = try SensitivityAnalysis.allocate(drops: drops, sizes: ranked.map(\.total), target: target,
                                                         maxSparsity: options.maxLayerSparsity)
                counts = LevelAllocation.perLayer(ranked, sparsity: s, maxSparsity: options.maxLayerSparsity)
            } else if options.scope != .layer {
                counts = try LevelAllocation.global(ranked, sparsity: target, maxSparsity: options.maxLayerSparsity,
                                                    lamp: options.scope == .global)
            } else {
                counts = LevelAllocation.perLayer(ranked, sparsity: Array(repeating: target, count: ranked.count),
                                                  maxSparsity: options.maxLayerSparsity)
            }
            for (u, (r, k)) in zip(units, zip(ranked, counts)) {
                for id in r.order.prefix(k) { u.mark(Int(id), level: level, codes: &codes) }
            }
        }
        progress?("prune", options.levels.count, options.levels.count)
        var levelWeights: [Int: [String: [Float]]] = [:]
        var recovery: ReconstructionReport? = nil
        if options.recover == .reconstruct, let data {
            var laddered = graph
            laddered.ladder = SparsityLadder(method: options.method.rawValue, granularity: options.granularity.description,
                                             scope: options.scope.rawValue,
                                             levels: (0...options.levels.count).map { _ in LadderLevel(sparsity: 0) }, codes: codes)
            (levelWeights, recovery) = try LayerReconstruction.reconstruct(laddered, data: data, options: .init(damping: options.damping, anchor: options.dampingAnchor),
                                                                           makeSession: makeSession, progress: progress)
        }
        return try measure(graph, options: options, units: units, layers: layers, codes: codes, levelWeights: levelWeights,
                           recovery: recovery, data: data, protected: protected.map(\.node), skipped: skipped,
                           makeSession: makeSession, progress: progress)
    }

    /// N:M: in every group of m inputs, all but the `keep` most important weights are pruned.
    static func markNM(_ u: WeightUnits, scores: [Float], keep: Int, level: UInt8, codes: inout [String: [UInt8]]) {
        var c = codes[u.layer.weight] ?? [UInt8](repeating: 0, count: u.layer.count)
        for g in 0..<u.groups.count {
            let members = u.groups.members(g)
            // Within the group: weights pruned at an earlier level first, then by score.
            let order = members.sorted { a, b in
                let pa = c[Int(a)] != 0, pb = c[Int(b)] != 0
                if pa != pb { return pa }
                return scores[Int(a)] != scores[Int(b)] ? scores[Int(a)] < scores[Int(b)] : a < b
            }
            for e in order.prefix(max(members.count - keep, 0)) where c[Int(e)] == 0 { c[Int(e)] = level }
        }
        codes[u.layer.weight] = c
    }

    /// The model with the codes so far applied at `level` (level 0: the model itself).
    static func masked(_ graph: Graph, codes: [String: [UInt8]], level: Int) throws -> Graph {
        guard level > 0 else { return graph }
        var g = graph
        g.ladder = SparsityLadder(method: "", granularity: "", scope: "",
                                  levels: (0...level).map { _ in LadderLevel(sparsity: 0) }, codes: codes)
        var out = try g.atLadderLevel(level)
        out.ladder = nil
        return out
    }
}
