import EdgePruneCore

/// Turns one ONNX node into a `TrainOp` and the names of its float data inputs (constant
/// non-float inputs such as Reshape's shape and Clip's bounds are read here, once).
enum OpBuilder {
    static func make(_ node: Node, graph: Graph) throws -> (TrainOp, [String]) {
        let present = node.inputs.filter { !$0.isEmpty }
        func unsupported(_ why: String) -> EdgePruneError {
            EdgePruneError(.unsupported, "training cannot handle \(node.label): \(why)")
        }
        guard node.outputs.filter({ !$0.isEmpty }).count == 1 else {
            throw unsupported("only its first output is supported, and it has \(node.outputs.count)")
        }
        switch node.opType {
        case "Gemm":
            return (.gemm(alpha: Double(node.float("alpha") ?? 1), beta: Double(node.float("beta") ?? 1),
                          transA: (node.int("transA") ?? 0) != 0, transB: (node.int("transB") ?? 0) != 0), present)
        case "MatMul": return (.matMul, present)
        case "Conv":
            let spatial = try convSpatial(node, graph: graph)
            return (.conv(ConvAttributes(spatial: spatial, strides: pair(node.ints("strides"), spatial, 1),
                                         pads: quad(node.ints("pads"), spatial), dilations: pair(node.ints("dilations"), spatial, 1),
                                         group: max(node.int("group") ?? 1, 1), autoPad: node.string("auto_pad") ?? "NOTSET")), present)
        case "Relu": return (.relu, [node.inputs[0]])
        case "LeakyRelu": return (.leakyRelu(alpha: Double(node.float("alpha") ?? 0.01)), [node.inputs[0]])
        case "Clip":
            var lo = Double(node.float("min") ?? -.infinity), hi = Double(node.float("max") ?? .infinity)
            if node.inputs.count > 1, !node.inputs[1].isEmpty { lo = try scalar(node.inputs[1], graph, node) }
            if node.inputs.count > 2, !node.inputs[2].isEmpty { hi = try scalar(node.inputs[2], graph, node) }
            return (.clip(min: lo, max: hi), [node.inputs[0]])
        case "Sigmoid": return (.sigmoid, [node.inputs[0]])
        case "Tanh": return (.tanh, [node.inputs[0]])
        case "MaxPool", "AveragePool":
            guard let kernel = node.ints("kernel_shape"), kernel.count == 1 || kernel.count == 2 else {
                throw unsupported("training supports 1-D and 2-D pools with kernel_shape")
            }
            let s = kernel.count
            let a = PoolAttributes(spatial: s, kernel: pair(kernel, s, 1), strides: pair(node.ints("strides"), s, 1),
                                   pads: quad(node.ints("pads"), s), dilations: pair(node.ints("dilations"), s, 1),
                                   ceilMode: (node.int("ceil_mode") ?? 0) != 0, autoPad: node.string("auto_pad") ?? "NOTSET")
            if node.opType == "MaxPool" { return (.maxPool(a), [node.inputs[0]]) }
            return (.averagePool(a, countIncludePad: (node.int("count_include_pad") ?? 0) != 0), [node.inputs[0]])
        case "GlobalAveragePool": return (.globalAveragePool, [node.inputs[0]])
        case "Flatten": return (.flatten(axis: node.int("axis") ?? 1), [node.inputs[0]])
        case "Reshape":
            guard node.inputs.count > 1, let shape = constantInts(node.inputs[1], graph) else {
                throw unsupported("its shape must be a constant")
            }
            return (.reshape(shape: shape, allowZero: (node.int("allowzero") ?? 0) != 0), [node.inputs[0]])
        case "Identity", "Dropout": return (.identity, [node.inputs[0]])
        case "Add": return (.add, present)
        case "Concat": return (.concat(axis: node.int("axis") ?? 0), present)
        case "Softmax": return (.softmax(axis: node.int("axis") ?? (graph.opset < 13 ? 1 : -1), legacy: graph.opset < 13), [node.inputs[0]])
        case "BatchNormalization":
            guard (node.int("training_mode") ?? 0) == 0, present.count == 5 else { throw unsupported("only inference-mode BatchNormalization") }
            return (.batchNorm(epsilon: Double(node.float("epsilon") ?? 1e-5)), present)
        default:
            throw unsupported("no backward pass for \(node.opType) (training supports \(TrainOp.supported.joined(separator: ", ")))")
        }
    }

    /// The activation the planner fused into a Conv/Gemm/MatMul of an .epm (`ep_activation`), as
    /// its own training op; nil when there is none.
    static func fusedActivation(_ node: Node) throws -> TrainOp? {
        guard node.attributes[FusedActivation.key] != nil else { return nil }
        switch FusedActivation.read(node) {
        case .relu?: return .relu
        case .clip(let lo, let hi)?: return .clip(min: Double(lo), max: Double(hi))
        case .leakyRelu(let a)?: return .leakyRelu(alpha: Double(a))
        case .sigmoid?: return .sigmoid
        case .tanh?: return .tanh
        default:
            throw EdgePruneError(.unsupported, "training cannot handle \(node.label): no backward pass for its fused activation '\(node.string(FusedActivation.key) ?? "?")'")
        }
    }

    static func convSpatial(_ node: Node, graph: Graph) throws -> Int {
        let rank = node.ints("kernel_shape")?.count ?? graph.initializers[node.inputs[1]].map { $0.rank - 2 } ?? 0
        guard rank == 1 || rank == 2 else {
            throw EdgePruneError(.unsupported, "training cannot handle \(node.label): only 1-D and 2-D convolutions")
        }
        return rank
    }

    /// Per-axis values in 2-D form (a 1-D value becomes [default, v]).
    static func pair(_ v: [Int]?, _ spatial: Int, _ fallback: Int) -> [Int] {
        guard let v, v.count == spatial else { return [fallback, fallback] }
        return spatial == 2 ? v : [fallback, v[0]]
    }

    /// Pads in 2-D form [top, left, bottom, right] (1-D [begin, end] becomes [0, begin, 0, end]).
    static func quad(_ v: [Int]?, _ spatial: Int) -> [Int] {
        guard let v, v.count == 2 * spatial else { return [0, 0, 0, 0] }
        return spatial == 2 ? v : [0, v[0], 0, v[1]]
    }

    static func constantInts(_ name: String, _ graph: Graph) -> [Int]? {
        if let t = graph.initializers[name] { return t.asInts() }
        return graph.nodes.first { $0.opType == "Constant" && $0.outputs.first == name }?.tensor("value")?.asInts()
    }

    static func scalar(_ name: String, _ graph: Graph, _ node: Node) throws -> Double {
        let t = graph.initializers[name] ?? graph.nodes.first { $0.opType == "Constant" && $0.outputs.first == name }?.tensor("value")
        guard let t, t.count == 1 else {
            throw EdgePruneError(.unsupported, "training cannot handle \(node.label): its bound '\(name)' must be a constant scalar")
        }
        return Double(t.asFloats()[0])
    }
}
