import EdgePruneCore

/// A model as a differentiable program: its nodes as `TrainOp`s in graph order, trainable
/// parameters (f32 initializers named at build time) held as training tensors, everything else
/// constant. Forward keeps every activation of the batch; backward walks the nodes in reverse and
/// returns the loss gradient of every parameter.
///
/// The loss is softmax cross-entropy on the model's first output. When that output is produced by
/// a final Softmax or LogSoftmax over the class axis, training reads its input (the logits) so the
/// loss is computed stably; the arg-max, and so the accuracy, is the same.
public struct TrainingGraph<T: TrainScalar> {
    enum Source { case value(String), parameter(Int), constant(String) }

    struct Step {
        let op: TrainOp
        let label: String
        let inputs: [Source]
        let output: String
        /// Per input: whether a gradient must flow to it (a parameter, or an activation that
        /// depends on one).
        let needs: [Bool]
    }

    let steps: [Step]
    let constants: [String: TrainTensor<T>]
    /// Trainable parameter names (sorted) and values, in the same order.
    public let parameterNames: [String]
    public var parameters: [TrainTensor<T>]
    public let inputName: String
    public let logitsName: String

    /// `trainable`: f32 initializers to train (others stay constant). Throws, naming the node, on an
    /// op training does not support.
    public init(_ graph: Graph, trainable: Set<String>) throws {
        let inputs = graph.runtimeInputs
        guard inputs.count == 1 else { throw EdgePruneError(.input, "training needs a single-input model; this one has \(inputs.count) inputs") }
        guard let output = graph.outputs.first?.name else { throw EdgePruneError(.input, "the model has no output") }
        inputName = inputs[0].name
        parameterNames = trainable.sorted()
        var index: [String: Int] = [:]
        var params: [TrainTensor<T>] = []
        for (i, name) in parameterNames.enumerated() {
            guard let t = graph.initializers[name], t.dtype == .float32 else {
                throw EdgePruneError(.input, "trainable '\(name)' is not an f32 initializer of the model")
            }
            index[name] = i
            params.append(TrainTensor(shape: t.shape, data: t.floats.map { T($0) }))
        }
        parameters = params
        var constants: [String: TrainTensor<T>] = [:]
        for (name, t) in graph.initializers where index[name] == nil && t.dtype == .float32 {
            constants[name] = TrainTensor(shape: t.shape, data: t.floats.map { T($0) })
        }
        var nodes = graph.nodes
        var logits = output
        if let i = nodes.lastIndex(where: { $0.outputs.first == output }), ["Softmax", "LogSoftmax"].contains(nodes[i].opType),
           TrainingGraph.classAxis(nodes[i], opset: graph.opset),
           !nodes.contains(where: { $0.inputs.contains(output) }) {
            logits = nodes[i].inputs[0]
            nodes.remove(at: i)
        }
        logitsName = logits
        var requires = Set(parameterNames)
        var steps: [Step] = []
        for node in nodes {
            if node.opType == "Constant" {
                guard let t = node.tensor("value"), t.dtype == .float32 || t.dtype == .int64 else {
                    throw EdgePruneError(.unsupported, "training supports Constant nodes with a float or int64 'value' (\(node.label))")
                }
                if t.dtype == .float32 { constants[node.outputs[0]] = TrainTensor(shape: t.shape, data: t.floats.map { T($0) }) }
                continue
            }
            // The planner's fused forms in .epm files become separate steps again: a MatMul's
            // third input (its bias) an Add, `ep_activation` the activation.
            let (op, made) = try OpBuilder.make(node, graph: graph)
            var dataInputs = made
            var stages: [(TrainOp, [String])] = []
            if node.opType == "MatMul", dataInputs.count == 3 {
                stages.append((.add, ["", dataInputs[2]]))
                dataInputs.removeLast()
            }
            if let activation = try OpBuilder.fusedActivation(node) { stages.append((activation, [""])) }
            stages.insert((op, dataInputs), at: 0)
            var previous = ""
            for (k, (stageOp, stageInputs)) in stages.enumerated() {
                let inputs = stageInputs.map { $0.isEmpty ? previous : $0 }
                let out = k == stages.count - 1 ? node.outputs[0] : "\(node.outputs[0])#stage\(k)"
                let sources: [Source] = inputs.map { name in
                    if let i = index[name] { return .parameter(i) }
                    if constants[name] != nil { return .constant(name) }
                    return .value(name)
                }
                let needs = inputs.map { requires.contains($0) }
                if needs.contains(true) { requires.insert(out) }
                steps.append(Step(op: stageOp, label: node.label, inputs: sources, output: out, needs: needs))
                previous = out
            }
        }
        guard steps.contains(where: { $0.output == logits }) else {
            throw EdgePruneError(.unsupported, "the model's output '\(logits)' is not computed by an op training supports")
        }
        self.steps = steps
        self.constants = constants
    }

    /// Whether a final Softmax/LogSoftmax normalises over the class axis of a [batch, classes] output.
    static func classAxis(_ node: Node, opset: Int) -> Bool {
        let axis = node.int("axis") ?? (opset < 13 ? 1 : -1)
        return axis == -1 || axis == 1
    }

    func tensor(_ s: Source, _ values: [String: TrainTensor<T>]) throws -> TrainTensor<T> {
        switch s {
        case .parameter(let i): return parameters[i]
        case .constant(let name): return constants[name]!
        case .value(let name):
            if let v = values[name] { return v }
            throw EdgePruneError(.unsupported, "training needs value '\(name)', which no supported op computes")
        }
    }

    /// Classes of the logits (elements per sample), from one forward pass of `sample`.
    public func classCount(_ sample: TrainTensor<T>) throws -> Int {
        let logits = try forward(sample).logits
        return logits.count / max(sample.shape.first ?? 1, 1)
    }

    /// Runs the model on a batch; returns the logits and every activation (for backward).
    public func forward(_ x: TrainTensor<T>) throws -> (logits: TrainTensor<T>, values: [String: TrainTensor<T>]) {
        var values: [String: TrainTensor<T>] = [inputName: x]
        for step in steps {
            let xs = try step.inputs.map { try tensor($0, values) }
            do {
                values[step.output] = try step.op.forward(xs)
            } catch let e as EdgePruneError {
                throw EdgePruneError(e.kind, "\(step.label): \(e.message)")
            }
        }
        return (values[logitsName]!, values)
    }

    /// The gradient of every parameter (in `parameterNames` order) given dLoss/dlogits.
    public func backward(values: [String: TrainTensor<T>], logitsGradient: TrainTensor<T>) throws -> [TrainTensor<T>] {
        var grads: [String: TrainTensor<T>] = [logitsName: logitsGradient]
        var paramGrads = parameters.map { TrainTensor<T>(zeros: $0.shape) }
        for step in steps.reversed() {
            guard let g = grads.removeValue(forKey: step.output), step.needs.contains(true) else { continue }
            let xs = try step.inputs.map { try tensor($0, values) }
            let dx = step.op.backward(g, xs, values[step.output]!, needs: step.needs)
            for (i, source) in step.inputs.enumerated() where step.needs[i] {
                guard let d = dx[i] else { continue }
                switch source {
                case .parameter(let p): paramGrads[p].accumulate(d)
                case .value(let name):
                    if grads[name] == nil { grads[name] = d } else { grads[name]!.accumulate(d) }
                case .constant: break
                }
            }
        }
        return paramGrads
    }

    /// `graph` with its trainable initializers replaced by the current parameters (as f32).
    public func writing(into graph: Graph) -> Graph {
        var g = graph
        for (name, p) in zip(parameterNames, parameters) {
            g.initializers[name] = Tensor(p.data.map { Float($0) }, shape: p.shape)
        }
        return g
    }
}
