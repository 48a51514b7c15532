import EdgePruneCore
import Foundation
import SwiftProtobuf

/// Imports an ONNX model (opsets 6 to 21 of the default domain) into the graph IR.
public enum ONNXImporter {
    public static let supportedOpsets = 6...21

    public static func load(_ path: String, limits: PlanLimits = PlanLimits()) throws -> Graph {
        let bytes = try FileIO.read(path, maxBytes: 2 << 30)
        do {
            return try decode(bytes, limits: limits)
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "'\(path)': \(e.message)")
        }
    }

    public static func decode(_ bytes: [UInt8], limits: PlanLimits = PlanLimits()) throws -> Graph {
        guard !bytes.isEmpty else { throw EdgePruneError(.format, "empty file, not an ONNX model") }
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw EdgePruneError(.format, "not an ONNX model (protobuf decoding failed: \(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty || !model.graph.output.isEmpty else {
            throw EdgePruneError(.format, "not an ONNX model (no graph)")
        }
        let defaultOpset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opsetEntry = defaultOpset else {
            throw EdgePruneError(.invalidModel, "the model declares no opset for the default ONNX domain")
        }
        let opset = Int(opsetEntry.version)
        guard supportedOpsets.contains(opset) else {
            throw EdgePruneError(.unsupported, "opset \(opset) is not supported (supported: \(supportedOpsets.lowerBound) to \(supportedOpsets.upperBound))")
        }
        let gp = model.graph
        var g = Graph(name: gp.name.isEmpty ? "graph" : gp.name, opset: opset)
        g.metadata["producer"] = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        for p in model.metadataProps { g.metadata[p.key] = p.value }
        if !gp.sparseInitializer.isEmpty {
            throw EdgePruneError(.unsupported, "sparse initializers are not supported; store zeros densely")
        }
        for p in gp.initializer {
            guard !p.name.isEmpty else { throw EdgePruneError(.invalidModel, "an initializer has no name") }
            g.initializers[p.name] = try ONNXTensor.decode(p, limits: limits, what: "initializer")
        }
        g.inputs = try gp.input.map { try valueInfo($0, "input") }
        g.outputs = try gp.output.map { try valueInfo($0, "output") }
        g.nodes = try gp.node.enumerated().map { i, n in try node(n, index: i, limits: limits) }
        if g.outputs.isEmpty { throw EdgePruneError(.invalidModel, "the graph declares no outputs") }
        return g
    }

    private static func valueInfo(_ v: Onnx_ValueInfoProto, _ what: String) throws -> ValueInfo {
        guard case .tensorType(let tt)? = v.type.value else {
            throw EdgePruneError(.unsupported, "graph \(what) '\(v.name)' is not a tensor")
        }
        let dtype: DType
        do { dtype = try DType.fromONNX(tt.elemType) } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "graph \(what) '\(v.name)': \(e.message)")
        }
        let dims: [Dim] = tt.shape.dim.map { d in
            switch d.value {
            case .dimValue(let n)?: return n >= 0 ? .fixed(Int(n)) : .symbolic("?")
            case .dimParam(let s)?: return .symbolic(s)
            case nil: return .symbolic("?")
            }
        }
        return ValueInfo(name: v.name, dtype: dtype, dims: dims)
    }

    private static func node(_ n: Onnx_NodeProto, index: Int, limits: PlanLimits) throws -> Node {
        let label = n.name.isEmpty ? "node #\(index) (\(n.opType))" : "node '\(n.name)'"
        guard n.domain.isEmpty || n.domain == "ai.onnx" else {
            throw EdgePruneError(.unsupported, "op '\(n.opType)' of domain '\(n.domain)' used by \(label) is not supported")
        }
        guard OpRegistry.preparers[n.opType] != nil else {
            throw EdgePruneError(.unsupported, "op '\(n.opType)' used by \(label) is not supported")
        }
        var attrs: [String: Attribute] = [:]
        for a in n.attribute {
            let value: Attribute
            switch a.type {
            case .float: value = .float(a.f)
            case .int: value = .int(Int(a.i))
            case .string: value = .string(String(decoding: a.s, as: UTF8.self))
            case .tensor: value = .tensor(try ONNXTensor.decode(a.t, limits: limits, what: "attribute '\(a.name)' of \(label)"))
            case .floats: value = .floats(a.floats)
            case .ints: value = .ints(a.ints.map { Int($0) })
            case .strings: value = .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
            case .undefined where !a.refAttrName.isEmpty:
                throw EdgePruneError(.unsupported, "attribute references (function bodies) in \(label)")
            default:
                // Older writers leave `type` unset; infer it from the field that is filled.
                if a.hasF { value = .float(a.f) } else if a.hasI { value = .int(Int(a.i)) } else if a.hasS {
                    value = .string(String(decoding: a.s, as: UTF8.self))
                } else if !a.ints.isEmpty { value = .ints(a.ints.map { Int($0) }) } else if !a.floats.isEmpty {
                    value = .floats(a.floats)
                } else if a.hasT { value = .tensor(try ONNXTensor.decode(a.t, limits: limits, what: "attribute '\(a.name)' of \(label)")) } else {
                    throw EdgePruneError(.unsupported, "attribute '\(a.name)' of \(label) has unsupported type \(a.type)")
                }
            }
            attrs[a.name] = value
        }
        return Node(name: n.name.isEmpty ? "\(n.opType)_\(index)" : n.name, opType: n.opType,
                    inputs: n.input, outputs: n.output, attributes: attrs)
    }
}
