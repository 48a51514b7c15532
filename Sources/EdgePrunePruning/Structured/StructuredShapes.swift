import EdgePruneCore

/// Types of every value of a raw graph at batch 1, and the values known without running it
/// (initializers and what folds from them: Constant nodes, Shape chains). Structured pruning needs
/// them for Flatten spans, channel counts and Reshape targets.
///
/// Each node is prepared by the runtime's own op preparers (with the fixed "gemm" kernel policy,
/// so nothing is timed), which keeps the types identical to what the planner will see.
struct StructuredShapes {
    var types: [String: TensorType] = [:]
    var constants: [String: Tensor] = [:]

    static let policy = KernelPolicy(linearFormat: "gemm", convFormat: "gemm")

    static func infer(_ graph: Graph) throws -> StructuredShapes {
        var s = StructuredShapes()
        for (name, t) in graph.initializers {
            s.types[name] = t.type
            s.constants[name] = t
        }
        for info in graph.runtimeInputs {
            let shape = try info.dims.enumerated().map { i, d -> Int in
                switch d {
                case .fixed(let n): return n
                case .symbolic(let name):
                    if i == 0 { return 1 }
                    throw EdgePruneError(.input, "input '\(info.name)' has symbolic dimension '\(name)' at axis \(i); structured pruning needs fixed shapes apart from the batch")
                }
            }
            s.types[info.name] = TensorType(info.dtype, shape)
        }
        for node in try GraphValidation.topologicalOrder(graph) {
            let inputTypes: [TensorType?] = try node.inputs.map { name in
                if name.isEmpty { return nil }
                guard let t = s.types[name] else {
                    throw EdgePruneError(.invalidModel, "\(node.label) reads '\(name)' before it is produced")
                }
                return t
            }
            let constants = node.inputs.map { $0.isEmpty ? nil : s.constants[$0] }
            let ctx = OpContext(node: node, opset: graph.opset, inputTypes: inputTypes, constants: constants, policy: policy)
            let prepared = try OpRegistry.preparer(for: node)(ctx)
            let allConstant = zip(node.inputs, constants).allSatisfy { $0.0.isEmpty || $0.1 != nil }
            for (i, name) in node.outputs.enumerated() where !name.isEmpty && i < prepared.outputs.count {
                s.types[name] = prepared.outputs[i]
            }
            switch prepared.form {
            case .constants(let ts):
                for (i, name) in node.outputs.enumerated() where !name.isEmpty && i < ts.count { s.constants[name] = ts[i] }
            case .view(let i):
                if let src = constants[i], let out = node.outputs.first, !out.isEmpty {
                    s.constants[out] = Tensor(type: prepared.outputs[0], buffer: src.buffer, byteOffset: src.byteOffset)
                }
            case .kernel where allConstant:
                let ts = try OpEvaluator.evaluate(node, opset: graph.opset, inputs: constants)
                for (i, name) in node.outputs.enumerated() where !name.isEmpty && i < ts.count { s.constants[name] = ts[i] }
            case .kernel:
                break
            }
        }
        return s
    }
}

/// Rewrites that make every parameter a named initializer of its own, so a slice can be zeroed or
/// cut without touching another layer: Constant nodes become initializers, and Identity/Dropout of
/// an initializer (exporters use it to share one bias between layers) becomes an initializer of
/// the output's name on the same storage. Value names do not change; the function does not change.
enum ConstantParameters {
    static func materialize(_ graph: Graph) throws -> Graph {
        let graphOutputs = Set(graph.outputs.map(\.name))
        var g = graph
        var kept: [Node] = []
        var changed = false
        for node in try GraphValidation.topologicalOrder(graph) {
            guard let out = node.outputs.first, !out.isEmpty, !graphOutputs.contains(out) else {
                kept.append(node)
                continue
            }
            if node.opType == "Constant", node.outputs.count == 1, node.inputs.isEmpty {
                let values = try OpEvaluator.evaluate(node, opset: g.opset, inputs: [])
                g.initializers[out] = values[0]
                changed = true
                continue
            }
            let noOp = node.opType == "Identity" || (node.opType == "Dropout" && node.outputs.dropFirst().allSatisfy(\.isEmpty)
                                                    && node.inputs.dropFirst().allSatisfy(\.isEmpty))
            if noOp, let src = node.inputs.first, let t = g.initializers[src] {
                g.initializers[out] = t
                changed = true
                continue
            }
            kept.append(node)
        }
        guard changed else { return graph }
        // Keep the file's node order for the nodes that stay.
        let keptOutputs = Set(kept.compactMap(\.outputs.first))
        g.nodes = graph.nodes.filter { n in n.outputs.first.map { keptOutputs.contains($0) } ?? true }
        return g
    }
}
