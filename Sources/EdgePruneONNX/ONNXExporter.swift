import EdgePruneCore
import Foundation
import SwiftProtobuf

/// Writes a graph as an ONNX model any runtime can load: the inverse of `ONNXImporter`.
///
/// - Nodes keep their names, inputs, outputs, attributes (every attribute kind the IR holds)
///   and order; a graph whose order is not topological is sorted, one that cannot be is refused.
///   The runtime's internal forms, which `.epm` files store after load-time fusion, are written
///   back as standard ONNX: an activation fused into Conv/Gemm/MatMul (`ep_activation`) becomes
///   its own node again, MatMul's fused bias (a third input) becomes an Add, and an int8-quantised
///   Gemm/MatMul (`ep_q_*`) becomes its QDQ form (`ONNXQDQExport`).
/// - Initializers are TensorProtos with raw_data (every `DType`), in name order, so the same
///   graph always gives the same bytes.
/// - Graph inputs and outputs keep fixed and symbolic dims. `metadata` becomes metadata_props
///   (the importer's "producer" entry included, so an import of the export has the same metadata).
/// - One opset import, the default domain at `graph.opset` (the importer accepts only that
///   domain, so no other is recorded), and the oldest IR version that opset needs, but at least
///   4, from which initializers need not be listed as graph inputs.
/// - A sparsity ladder is not part of ONNX and is not written: export the level you want first
///   (`PrunedLevels.graph`), and the file holds exactly that level's weights, zeros stored densely.
public enum ONNXExporter {
    /// Protobuf messages (and so .onnx files without external data) are limited to 2 GiB.
    public static let maxModelBytes = Int(Int32.max)

    public static func modelProto(_ graph: Graph, producer: String = "EdgePrune") throws -> Onnx_ModelProto {
        guard ONNXImporter.supportedOpsets.contains(graph.opset) else {
            throw EdgePruneError(.unsupported, "opset \(graph.opset) cannot be exported (supported: \(ONNXImporter.supportedOpsets.lowerBound) to \(ONNXImporter.supportedOpsets.upperBound))")
        }
        guard !graph.outputs.isEmpty else { throw EdgePruneError(.invalidModel, "the graph declares no outputs") }
        let tensorBytes = graph.initializers.values.reduce(0) { $0 + $1.byteCount }
        guard tensorBytes < maxModelBytes - (1 << 20) else {
            throw EdgePruneError(.limit, "the model's tensors hold \(tensorBytes) bytes; an .onnx file without external data is limited to 2 GiB")
        }
        // An int8-quantised model is exported as the runtime runs it: its parameters belong to the
        // layers after load-time folding and fusion (a BatchNormalization folded into the Conv, the
        // Relu and bias fused into it), so the QDQ form wraps exactly those layers.
        let quantised = graph.nodes.contains { node in Int8LinearParams.keys.contains { node.attributes[$0] != nil } }
        let source = quantised ? try GraphPasses.optimize(graph) : graph
        var ordered = source
        ordered.nodes = try topologicallyOrdered(source)
        let g = try lowered(ordered)

        var gp = Onnx_GraphProto()
        gp.name = g.name
        gp.node = g.nodes.map(nodeProto)
        gp.initializer = g.initializers.keys.sorted().map { ONNXTensor.encode(g.initializers[$0]!, name: $0) }
        gp.input = g.inputs.map(ONNXTensor.encode)
        gp.output = g.outputs.map(ONNXTensor.encode)

        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(g.opset)

        var model = Onnx_ModelProto()
        model.irVersion = irVersion(forOpset: g.opset)
        model.opsetImport = [opset]
        model.producerName = producer
        model.graph = gp
        model.metadataProps = g.metadata.keys.sorted().map { key in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = g.metadata[key]!
            return entry
        }
        return model
    }

    /// Serializes the model and writes it atomically (temporary file, fsync, rename): on any
    /// error nothing is created and an existing file at `path` is left as it was.
    public static func write(_ graph: Graph, to path: String, producer: String = "EdgePrune") throws {
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir), isDir.boolValue else {
            throw EdgePruneError(.io, "cannot write '\(path)': directory '\(dir)' does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw EdgePruneError(.io, "cannot write '\(path)': it is a directory")
        }
        let bytes: [UInt8]
        do {
            bytes = try modelProto(graph, producer: producer).serializedBytes()
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "cannot export '\(path)': \(e.message)")
        } catch {
            throw EdgePruneError(.limit, "cannot export '\(path)': protobuf encoding failed (\(error))")
        }
        try FileIO.writeAtomically(path, bytes: bytes)
    }

    /// The oldest ONNX IR version whose release defined `opset` (ONNX's version table), but at
    /// least 4: IR 3 requires every initializer to be listed as a graph input as well.
    public static func irVersion(forOpset opset: Int) -> Int64 {
        switch opset {
        case ...9: return 4
        case 10: return 5
        case 11: return 6
        case 12...14: return 7
        case 15...18: return 8
        case 19...20: return 9
        default: return 10
        }
    }

    /// The nodes in an order ONNX accepts (every value produced before it is read): the graph's
    /// own order when it already is one, else a topological sort. Dangling inputs, cycles and
    /// values produced twice are errors here, before anything is written.
    static func topologicallyOrdered(_ g: Graph) throws -> [Node] {
        let sorted = try GraphValidation.topologicalOrder(g)
        var available = Set(g.inputs.map(\.name)).union(g.initializers.keys)
        for n in g.nodes {
            guard n.inputs.allSatisfy({ $0.isEmpty || available.contains($0) }) else { return sorted }
            available.formUnion(n.outputs)
        }
        return g.nodes
    }

    private static func nodeProto(_ n: Node) -> Onnx_NodeProto {
        var p = Onnx_NodeProto()
        p.name = n.name
        p.opType = n.opType
        p.input = n.inputs
        p.output = n.outputs
        p.attribute = n.attributes.keys.sorted().map { ONNXTensor.encode(n.attributes[$0]!, name: $0) }
        return p
    }
}

// MARK: - Internal forms back to standard ONNX

extension ONNXExporter {
    /// Attributes the runtime's fusion pass writes (see `FusedActivation`); no ONNX op has them.
    static let fusedActivationKeys: Set<String> = [FusedActivation.key, "ep_min", "ep_max", "ep_alpha", "ep_gamma"]

    /// The graph with every internal form rewritten: `Conv/Gemm/MatMul{ep_activation}` →
    /// op + activation node, and `MatMul(X, W, B)` → `MatMul(X, W)` + `Add(·, B)`. The final
    /// node of each rewrite keeps the original output name; intermediate values and new nodes
    /// get names unused anywhere in the graph. A graph without internal forms is unchanged.
    static func lowered(_ graph: Graph) throws -> Graph {
        var g = graph
        var names = Set(g.initializers.keys)
        names.formUnion(g.inputs.map(\.name))
        names.formUnion(g.outputs.map(\.name))
        for n in g.nodes { names.formUnion(n.inputs); names.formUnion(n.outputs); names.insert(n.name) }
        func fresh(_ base: String) -> String {
            var name = base, i = 1
            while names.contains(name) { name = "\(base)_\(i)"; i += 1 }
            names.insert(name)
            return name
        }
        // int8-quantised layers first: their QDQ form keeps the fused forms for the rewrites below.
        g = try ONNXQDQExport.rewrite(g, fresh: fresh)

        var nodes: [Node] = []
        nodes.reserveCapacity(g.nodes.count)
        for node in g.nodes {
            var core = node
            if let bad = node.attributes.keys.sorted().first(where: { $0.hasPrefix("ep_") && !fusedActivationKeys.contains($0) }) {
                throw EdgePruneError(.unsupported, "\(node.label) has internal attribute '\(bad)', which has no ONNX form")
            }
            var after: [Node] = []
            if core.opType == "MatMul", core.inputs.count == 3 {
                let bias = core.inputs[2]
                core.inputs.removeLast()
                if !bias.isEmpty {
                    after.append(Node(name: fresh(node.name + "_bias"), opType: "Add", inputs: ["", bias], outputs: []))
                }
            }
            if node.attributes[FusedActivation.key] != nil {
                guard let f = FusedActivation.read(node) else {
                    throw EdgePruneError(.unsupported, "\(node.label) has fused activation '\(node.string(FusedActivation.key) ?? "?")', which this exporter does not know")
                }
                for key in fusedActivationKeys { core.attributes[key] = nil }
                after.append(try activationNode(f, name: fresh(node.name + "_" + f.name), opset: g.opset,
                                                constant: { value, suffix in
                                                    let name = fresh(node.name + "." + suffix)
                                                    g.initializers[name] = Tensor([value], shape: [])
                                                    return name
                                                }))
            }
            guard !after.isEmpty, let output = node.outputs.first, !output.isEmpty else {
                nodes.append(core)
                continue
            }
            var previous = fresh(output + "_pre")
            core.outputs[0] = previous
            nodes.append(core)
            for (i, s) in after.enumerated() {
                var stage = s
                stage.inputs[0] = previous
                previous = i == after.count - 1 ? output : fresh(output + "_" + stage.opType.lowercased())
                stage.outputs = [previous]
                nodes.append(stage)
            }
        }
        g.nodes = nodes
        return g
    }

    /// The ONNX node computing `f` (its input and output are wired by the caller). Clip takes
    /// its bounds as attributes before opset 11 and as scalar constant inputs from 11 on; an
    /// infinite bound is left out (ONNX's default: no bound).
    private static func activationNode(_ f: UnaryFunction, name: String, opset: Int,
                                       constant: (Float, String) -> String) throws -> Node {
        var node = Node(name: name, opType: "", inputs: [""], outputs: [])
        switch f {
        case .relu: node.opType = "Relu"
        case .sigmoid: node.opType = "Sigmoid"
        case .tanh: node.opType = "Tanh"
        case .softplus: node.opType = "Softplus"
        case .leakyRelu(let a): node.opType = "LeakyRelu"; node.attributes["alpha"] = .float(a)
        case .elu(let a): node.opType = "Elu"; node.attributes["alpha"] = .float(a)
        case .selu(let a, let gamma):
            node.opType = "Selu"
            node.attributes["alpha"] = .float(a)
            node.attributes["gamma"] = .float(gamma)
        case .clip(let lo, let hi):
            node.opType = "Clip"
            if opset < 11 {
                if lo.isFinite { node.attributes["min"] = .float(lo) }
                if hi.isFinite { node.attributes["max"] = .float(hi) }
            } else {
                let minName = lo.isFinite ? constant(lo, "clip_min") : ""
                let maxName = hi.isFinite ? constant(hi, "clip_max") : ""
                if !maxName.isEmpty { node.inputs += [minName, maxName] } else if !minName.isEmpty { node.inputs += [minName] }
            }
        case .exp, .neg, .abs, .sqrt:
            throw EdgePruneError(.unsupported, "fused activation '\(f.name)' is not a fusable activation")
        }
        return node
    }
}
