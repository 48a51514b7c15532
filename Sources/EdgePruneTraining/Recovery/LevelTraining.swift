import EdgePruneCore
import EdgePrunePruning

/// Which tensors of a model train, the masks that keep a ladder level's pruned weights at zero,
/// and how a trained level goes back into the model (as the level's recovered weights, so the
/// ladder's other levels and level 0 are untouched and the masks stay nested).
public enum LevelTraining {
    /// Weight and bias initializers of Gemm, MatMul (a fused one's too) and Conv nodes, and the
    /// constant f32 addend of an Add right after a MatMul (its bias).
    public static func trainableTensors(_ graph: Graph) -> Set<String> {
        var out = Set<String>()
        var producedByMatMul = Set<String>()
        for node in graph.nodes {
            switch node.opType {
            case "Gemm", "Conv":
                for name in node.inputs.dropFirst().prefix(2) where isF32(name, graph) { out.insert(name) }
            case "MatMul":
                // inputs[2]: the bias the planner fuses into a MatMul of an .epm.
                for name in node.inputs.dropFirst().prefix(2) where isF32(name, graph) { out.insert(name) }
                producedByMatMul.insert(node.outputs[0])
            case "Add" where node.inputs.contains(where: producedByMatMul.contains):
                for name in node.inputs where isF32(name, graph) { out.insert(name) }
            default: break
            }
        }
        return out
    }

    static func isF32(_ name: String, _ graph: Graph) -> Bool {
        !name.isEmpty && graph.initializers[name]?.dtype == .float32
    }

    /// The model at `level` and, per trainable tensor that has pruned elements, the mask of the
    /// elements that may move. Level 0 of a model without a ladder: its zero weights stay zero
    /// (a model pruned elsewhere keeps its sparsity).
    public static func problem(_ model: Graph, level: Int) throws -> (graph: Graph, trainable: Set<String>, masks: [String: [Bool]]) {
        if level == 0, model.ladder != nil {
            throw EdgePruneError(.input, "level 0 of a laddered model is its dense reference, which fine-tuning leaves alone; fine-tune levels 1...\(model.ladder!.topLevel)")
        }
        let graph = try model.atLadderLevel(level)
        let trainable = trainableTensors(graph)
        var masks: [String: [Bool]] = [:]
        for name in trainable {
            if let codes = model.ladder?.codes[name] {
                masks[name] = codes.map { SparsityLadder.kept(code: $0, level: level) }
            } else if let t = graph.initializers[name], isPrunableWeight(name, graph) {
                let w = t.floats
                if w.contains(0) { masks[name] = w.map { $0 != 0 } }
            }
        }
        return (graph, trainable, masks)
    }

    static func isPrunableWeight(_ name: String, _ graph: Graph) -> Bool {
        graph.nodes.contains { ["Gemm", "MatMul", "Conv"].contains($0.opType) && $0.inputs.count > 1 && $0.inputs[1] == name }
    }

    /// `model` with the trained tensors of `trained` stored for `level`: level 0 (no ladder) replaces
    /// the initializers; level L >= 1 sets the ladder's recovered weights of L (kept elements of
    /// coded weights, whole biases).
    public static func store(_ trained: Graph, tensors: Set<String>, into model: Graph, level: Int) throws -> Graph {
        var out = model
        guard level > 0 else {
            for name in tensors { out.initializers[name] = trained.initializers[name] }
            return out
        }
        guard var ladder = model.ladder else { throw EdgePruneError(.input, "level \(level) asked for, but the model has no sparsity ladder") }
        var entry: [String: [Float]] = [:]
        for name in tensors.sorted() {
            guard let t = trained.initializers[name] else { continue }
            let values = t.floats
            if let codes = ladder.codes[name] {
                entry[name] = SparsityLadder.keptValues(values, codes: codes, level: level)
            } else {
                entry[name] = values
            }
        }
        ladder.levelWeights[level] = entry
        try ladder.validate(against: model)
        out.ladder = ladder
        return out
    }

    /// Top-1 predictions of `level` of `model` on `data`, run by the inference runtime (not the
    /// training forward): how a recovered level is judged before it is kept.
    public static func runtimePredictions(_ model: Graph, level: Int, _ data: LabelledData,
                                          limits: PlanLimits = PlanLimits()) throws -> [Int] {
        let session = try InferenceSession(graph: try PrunedLevels.graph(model, level: level), limits: limits)
        return try Evaluator.predict(session, data: Tensor(data.inputs.data, shape: data.inputs.shape), batch: 64)
    }

    /// Share of `predicted` equal to `truth`.
    public static func accuracy(_ predicted: [Int], _ truth: [Int]) -> Double {
        Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(max(truth.count, 1))
    }
}
