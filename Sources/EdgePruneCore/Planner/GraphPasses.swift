#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shape-independent rewrites applied once at load, before planning: constant folding, removal of
/// no-op nodes, BatchNormalization folded into the preceding Conv/Gemm, activations fused into the
/// preceding Conv/Gemm/MatMul, and MatMul + bias fused. Each pass keeps graph outputs' names.
public enum GraphPasses {
    public static func optimize(_ graph: Graph, limits: PlanLimits = PlanLimits()) throws -> Graph {
        var g = graph
        g.nodes = try GraphValidation.topologicalOrder(g)
        try foldConstants(&g, limits: limits)
        removeNoOps(&g)
        foldBatchNorms(&g)
        fuseMatMulBias(&g)
        fuseActivations(&g)
        pruneUnused(&g)
        return g
    }

    /// Nodes whose inputs are all initializers are evaluated now and become initializers.
    static func foldConstants(_ g: inout Graph, limits: PlanLimits) throws {
        var kept: [Node] = []
        for node in g.nodes {
            let allConstant = node.inputs.allSatisfy { $0.isEmpty || g.initializers[$0] != nil }
            let outputsAreGraphOutputs = node.outputs.contains { out in g.outputs.contains { $0.name == out } }
            guard allConstant, !outputsAreGraphOutputs, OpRegistry.preparers[node.opType] != nil else {
                kept.append(node)
                continue
            }
            let inputs = node.inputs.map { $0.isEmpty ? nil : g.initializers[$0] }
            let values = try OpEvaluator.evaluate(node, opset: g.opset, inputs: inputs, limits: limits)
            for (name, value) in zip(node.outputs, values) where !name.isEmpty {
                g.initializers[name] = value
            }
        }
        g.nodes = kept
    }

    /// Identity and inference-mode Dropout: consumers read the input directly.
    static func removeNoOps(_ g: inout Graph) {
        let graphOutputs = Set(g.outputs.map(\.name))
        var rename: [String: String] = [:]
        g.nodes = g.nodes.filter { node in
            let noOp = node.opType == "Identity" || (node.opType == "Dropout" && node.outputs.dropFirst().allSatisfy(\.isEmpty))
            guard noOp, let out = node.outputs.first, !graphOutputs.contains(out), let input = node.inputs.first else { return true }
            rename[out] = rename[input] ?? input
            return false
        }
        renameInputs(&g, rename)
    }

    /// Conv/Gemm → BatchNormalization, with constant parameters and no other reader of the
    /// Conv/Gemm output: scale the weights per output channel and fold the shift into the bias.
    static func foldBatchNorms(_ g: inout Graph) {
        var consumers = consumerCounts(g)
        let graphOutputs = Set(g.outputs.map(\.name))
        let producerIndex = producers(g)
        var removed = Set<Int>()
        for (bi, bn) in g.nodes.enumerated() where bn.opType == "BatchNormalization" {
            guard bn.inputs.count == 5, bn.outputs.dropFirst().allSatisfy(\.isEmpty),
                  let src = bn.inputs.first, let pi = producerIndex[src], !removed.contains(pi),
                  consumers[src] == 1, !graphOutputs.contains(src) else { continue }
            var producer = g.nodes[pi]
            guard producer.opType == "Conv" || (producer.opType == "Gemm"),
                  producer.string(FusedActivation.key) == nil,
                  let params = bnParams(bn, g) else { continue }
            guard let w = g.initializers[producer.inputs[1]], w.dtype == .float32 else { continue }
            let outChannels: Int
            let weightAxisIsRows: Bool
            if producer.opType == "Conv" {
                // Folding runs before ops validate their inputs: leave odd weights to Conv's errors.
                guard w.rank >= 3 else { continue }
                outChannels = w.shape[0]
                weightAxisIsRows = true
            } else {
                let transB = (producer.int("transB") ?? 0) != 0
                guard w.rank == 2, (producer.float("alpha") ?? 1) == 1, (producer.float("beta") ?? 1) == 1 else { continue }
                outChannels = transB ? w.shape[0] : w.shape[1]
                weightAxisIsRows = transB
            }
            guard outChannels > 0, params.scale.count == outChannels else { continue }
            // New weights.
            let nw = w.copy()
            let p = nw.pointer(as: Float.self)
            if weightAxisIsRows {
                let per = w.count / outChannels
                for c in 0..<outChannels { for j in 0..<per { p[c * per + j] *= params.scale[c] } }
            } else {
                let rows = w.shape[0]
                for r in 0..<rows { for c in 0..<outChannels { p[r * outChannels + c] *= params.scale[c] } }
            }
            // New bias: (b - mean) * s + beta.
            var bias = [Float](repeating: 0, count: outChannels)
            if producer.inputs.count > 2, !producer.inputs[2].isEmpty {
                guard let b = g.initializers[producer.inputs[2]], b.count == outChannels || b.count == 1 else { continue }
                let vals = b.asFloats()
                bias = (0..<outChannels).map { vals[b.count == 1 ? 0 : $0] }
            }
            for c in 0..<outChannels { bias[c] = bias[c] * params.scale[c] + params.shift[c] }
            let wName = producer.name + ".bn_folded.weight", bName = producer.name + ".bn_folded.bias"
            g.initializers[wName] = nw
            g.initializers[bName] = Tensor(bias, shape: [outChannels])
            producer.inputs = [producer.inputs[0], wName, bName]
            producer.outputs = [bn.outputs[0]]
            g.nodes[pi] = producer
            removed.insert(bi)
            consumers[src] = 0
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Per-channel scale and shift of a BatchNormalization whose parameters are constants.
    private static func bnParams(_ bn: Node, _ g: Graph) -> (scale: [Float], shift: [Float])? {
        let t = bn.inputs[1...4].map { g.initializers[$0] }
        guard t.allSatisfy({ $0 != nil && $0!.dtype == .float32 }) else { return nil }
        let gamma = t[0]!.floats, beta = t[1]!.floats, mean = t[2]!.floats, variance = t[3]!.floats
        guard gamma.count == beta.count, gamma.count == mean.count, gamma.count == variance.count else { return nil }
        let eps = bn.float("epsilon") ?? 1e-5
        let scale = (0..<gamma.count).map { gamma[$0] / sqrtf(variance[$0] + eps) }
        let shift = (0..<gamma.count).map { beta[$0] - mean[$0] * scale[$0] }
        return (scale, shift)
    }

    /// MatMul(X, W) + B with constant 2-D W and constant B of shape [N]: the bias rides along as
    /// MatMul's third input (see LinearOps).
    static func fuseMatMulBias(_ g: inout Graph) {
        let consumers = consumerCounts(g)
        let graphOutputs = Set(g.outputs.map(\.name))
        let producerIndex = producers(g)
        var removed = Set<Int>()
        for (ai, add) in g.nodes.enumerated() where add.opType == "Add" && add.inputs.count == 2 {
            for (x, c) in [(0, 1), (1, 0)] {
                let src = add.inputs[x]
                guard let pi = producerIndex[src], !removed.contains(pi), consumers[src] == 1, !graphOutputs.contains(src),
                      g.nodes[pi].opType == "MatMul", g.nodes[pi].inputs.count == 2,
                      g.nodes[pi].string(FusedActivation.key) == nil,
                      let w = g.initializers[g.nodes[pi].inputs[1]], w.rank == 2,
                      let b = g.initializers[add.inputs[c]], b.dtype == .float32, b.shape == [w.shape[1]] else { continue }
                g.nodes[pi].inputs.append(add.inputs[c])
                g.nodes[pi].outputs = add.outputs
                removed.insert(ai)
                break
            }
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Conv/Gemm/MatMul → activation (sole reader): the activation runs in the kernel's output stage.
    static func fuseActivations(_ g: inout Graph) {
        let consumers = consumerCounts(g)
        let graphOutputs = Set(g.outputs.map(\.name))
        let producerIndex = producers(g)
        var removed = Set<Int>()
        for (ai, act) in g.nodes.enumerated() {
            guard let src = act.inputs.first, let pi = producerIndex[src], !removed.contains(pi),
                  ["Conv", "Gemm", "MatMul"].contains(g.nodes[pi].opType),
                  g.nodes[pi].string(FusedActivation.key) == nil,
                  consumers[src] == 1, !graphOutputs.contains(src), act.outputs.count == 1 else { continue }
            let inputs: [Tensor?] = act.inputs.map { $0.isEmpty ? nil : g.initializers[$0] }
            if act.inputs.dropFirst().contains(where: { !$0.isEmpty && g.initializers[$0] == nil }) { continue }
            let ctx = OpContext(node: act, opset: g.opset, inputTypes: inputs.map { $0?.type }, constants: inputs)
            guard let f = try? UnaryOps.function(of: ctx), FusedActivation.isFusable(f) else { continue }
            FusedActivation.write(f, into: &g.nodes[pi])
            g.nodes[pi].outputs = act.outputs
            removed.insert(ai)
        }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Drops initializers nobody reads any more (e.g. the original weights after BN folding).
    static func pruneUnused(_ g: inout Graph) {
        var used = Set(g.outputs.map(\.name))
        for n in g.nodes { used.formUnion(n.inputs) }
        let constants = Set(g.initializers.keys)
        g.initializers = g.initializers.filter { used.contains($0.key) }
        // An initializer that ONNX also lists as a graph input is not a runtime input.
        g.inputs = g.inputs.filter { !constants.contains($0.name) || used.contains($0.name) }
    }

    /// Index of the node producing each value.
    static func producers(_ g: Graph) -> [String: Int] {
        var p: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs where !o.isEmpty { p[o] = i } }
        return p
    }

    static func consumerCounts(_ g: Graph) -> [String: Int] {
        var c: [String: Int] = [:]
        for n in g.nodes { for i in n.inputs where !i.isEmpty { c[i, default: 0] += 1 } }
        return c
    }

    static func renameInputs(_ g: inout Graph, _ rename: [String: String]) {
        guard !rename.isEmpty else { return }
        for i in g.nodes.indices {
            g.nodes[i].inputs = g.nodes[i].inputs.map { rename[$0] ?? $0 }
        }
    }
}
