import EdgePruneCore

/// A layer whose weight pruning may zero: a Conv, Gemm or MatMul with a constant f32 weight.
///
/// Pruning works on the weight as a matrix of `rows` output units (filters, neurons) by `cols`
/// inputs per unit (input channels x kernel positions for a Conv), whatever its storage order.
public struct PrunableLayer: Sendable, Equatable {
    /// Node name (or, for an unnamed node, its label).
    public let node: String
    public let opType: String
    /// The weight initializer.
    public let weight: String
    public let rows: Int
    public let cols: Int
    /// Weight stored [inputs, outputs] (Gemm transB=0, MatMul): element (r, c) at c * rows + r.
    public let transposed: Bool
    /// Elements of one input channel's slice of a row (kernel positions; 1 for Linear layers).
    public let kernelSize: Int
    /// Conv groups (1 for Linear layers): output unit r reads input channels of group r / (rows / groups).
    public let groups: Int
    /// The activation the layer reads.
    public let input: String

    public var count: Int { rows * cols }

    /// Element index in the weight tensor of row (output unit) r, column (input) c.
    @inline(__always)
    public func index(row r: Int, col c: Int) -> Int { transposed ? c * rows + r : r * cols + c }

    /// The input channel (or feature) that output unit r reads through column c.
    @inline(__always)
    public func inputChannel(row r: Int, col c: Int) -> Int { r / (rows / groups) * (cols / kernelSize) + c / kernelSize }
}

public enum PrunableLayers {
    /// Every prunable layer, in node order.
    public static func find(_ graph: Graph) -> [PrunableLayer] {
        var layers: [PrunableLayer] = []
        for node in graph.nodes {
            guard node.inputs.count >= 2, let w = graph.initializers[node.inputs[1]], w.dtype == .float32,
                  w.count > 0 else { continue }
            let name = node.name.isEmpty ? node.label : node.name
            switch node.opType {
            case "Conv" where w.rank >= 3 && w.shape[0] % max(node.int("group") ?? 1, 1) == 0:
                let cols = w.shape.dropFirst().reduce(1, *)
                layers.append(PrunableLayer(node: name, opType: node.opType, weight: node.inputs[1], rows: w.shape[0],
                                            cols: cols, transposed: false, kernelSize: w.shape.dropFirst(2).reduce(1, *),
                                            groups: max(node.int("group") ?? 1, 1), input: node.inputs[0]))
            case "Gemm" where w.rank == 2:
                let transB = (node.int("transB") ?? 0) != 0
                layers.append(PrunableLayer(node: name, opType: node.opType, weight: node.inputs[1],
                                            rows: transB ? w.shape[0] : w.shape[1], cols: transB ? w.shape[1] : w.shape[0],
                                            transposed: !transB, kernelSize: 1, groups: 1, input: node.inputs[0]))
            case "MatMul" where w.rank == 2:
                layers.append(PrunableLayer(node: name, opType: node.opType, weight: node.inputs[1], rows: w.shape[1],
                                            cols: w.shape[0], transposed: true, kernelSize: 1, groups: 1, input: node.inputs[0]))
            default: continue
            }
        }
        return layers
    }

    /// The layers pruning may touch: all but the protected ones. `protect` names layers by node
    /// or weight name; nil protects the first and last layer (the usual accuracy-critical ones);
    /// an empty list protects nothing. A name that matches no layer is an error.
    public static func unprotected(_ layers: [PrunableLayer], protect: [String]?) throws -> (pruned: [PrunableLayer], protected: [PrunableLayer]) {
        guard !layers.isEmpty else { throw EdgePruneError(.input, "the model has no prunable layer (Conv, Gemm or MatMul with a constant f32 weight)") }
        let protectedSet: Set<String>
        if let protect {
            for name in protect where !layers.contains(where: { $0.node == name || $0.weight == name }) {
                throw EdgePruneError(.input, "--protect names '\(name)', which is not a prunable layer (layers: \(layers.map(\.node).joined(separator: ", ")))")
            }
            protectedSet = Set(layers.filter { protect.contains($0.node) || protect.contains($0.weight) }.map(\.weight))
        } else {
            protectedSet = Set([layers.first!.weight, layers.last!.weight])
        }
        let pruned = layers.filter { !protectedSet.contains($0.weight) }
        guard !pruned.isEmpty else {
            throw EdgePruneError(.input, "every prunable layer is protected (\(layers.map(\.node).joined(separator: ", "))); protect fewer with --protect")
        }
        return (pruned, layers.filter { protectedSet.contains($0.weight) })
    }
}
