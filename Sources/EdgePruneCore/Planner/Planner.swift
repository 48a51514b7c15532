/// Turns an (optimised) graph and concrete input shapes into an ExecutionPlan: prepares every
/// node, folds what is known at load (Shape chains, constant subgraphs), aliases views, plans the
/// arena, and binds every kernel's pointers.
public enum Planner {
    private enum Value {
        case constant(Tensor)
        case buffer(id: Int, type: TensorType)
    }

    private struct PendingStep {
        var kernel: Kernel
        var inputs: [String]
        var outputBuffers: [Int]
        var scratchBuffer: Int
        var info: ExecutionPlan.StepInfo
    }

    public static func plan(_ graph: Graph, inputShapes: [String: [Int]], limits: PlanLimits = PlanLimits(),
                            pool: WorkerPool? = nil, policy: KernelPolicy = KernelPolicy()) throws -> ExecutionPlan {
        let order = try GraphValidation.topologicalOrder(graph)
        var values: [String: Value] = [:]
        for (name, t) in graph.initializers { values[name] = .constant(t) }
        var requests: [MemoryPlan.Request] = []
        func newBuffer(_ bytes: Int, step: Int) -> Int {
            requests.append(.init(bytes: bytes, firstStep: step, lastStep: step))
            return requests.count - 1
        }

        // Graph inputs: bind symbolic dims from the given shapes, check fixed ones.
        var inputBuffers: [(String, TensorType, Int)] = []
        for info in graph.runtimeInputs {
            guard let shape = inputShapes[info.name] else {
                throw EdgePruneError(.input, "no shape given for model input '\(info.name)' \(info.shapeDescription)")
            }
            guard shape.count == info.dims.count else {
                throw EdgePruneError(.input, "input '\(info.name)' has rank \(info.dims.count) \(info.shapeDescription), got shape \(Shape.describe(shape))")
            }
            for (i, (d, s)) in zip(info.dims, shape).enumerated() {
                if case .fixed(let f) = d, f != s {
                    throw EdgePruneError(.input, "input '\(info.name)' dimension \(i) must be \(f) \(info.shapeDescription), got \(s)")
                }
                if s < 0 { throw EdgePruneError(.input, "input '\(info.name)' has a negative dimension") }
            }
            let type = TensorType(info.dtype, shape)
            guard let count = Shape.elementCount(shape),
                  case let (bytes, overflow) = count.multipliedReportingOverflow(by: info.dtype.byteSize),
                  !overflow, bytes <= limits.maxTensorBytes else {
                throw EdgePruneError(.limit, "input '\(info.name)' \(Shape.describe(shape)) exceeds the \(limits.maxTensorBytes)-byte tensor limit")
            }
            let id = newBuffer(type.byteCount, step: -1)
            values[info.name] = .buffer(id: id, type: type)
            inputBuffers.append((info.name, type, id))
        }

        var steps: [PendingStep] = []
        var retained: [Buffer] = []
        for node in order {
            let inputTypes: [TensorType?] = try node.inputs.map { name in
                if name.isEmpty { return nil }
                switch values[name] {
                case .constant(let t)?: return t.type
                case .buffer(_, let t)?: return t
                case nil: throw EdgePruneError(.invalidModel, "\(node.label) reads '\(name)' before it is produced")
                }
            }
            let constants: [Tensor?] = node.inputs.map { name in
                if case .constant(let t)? = values[name] { return t }
                return nil
            }
            let ctx = OpContext(node: node, opset: graph.opset, inputTypes: inputTypes, constants: constants, limits: limits, pool: pool,
                                policy: policy)
            let prepared = try OpRegistry.preparer(for: node)(ctx)
            let named = node.outputs.enumerated().filter { !$0.element.isEmpty }
            guard named.allSatisfy({ $0.offset < prepared.outputs.count }) else {
                throw ctx.error("declares \(node.outputs.count) outputs, the op produces \(prepared.outputs.count)", .unsupported)
            }
            let allConstant = zip(node.inputs, constants).allSatisfy { $0.0.isEmpty || $0.1 != nil }
            switch prepared.form {
            case .constants(let ts):
                for (i, name) in named { values[name] = .constant(ts[i]) }
            case .view(let i):
                switch values[node.inputs[i]]! {
                case .constant(let t):
                    values[node.outputs[0]] = .constant(Tensor(type: prepared.outputs[0], buffer: t.buffer, byteOffset: t.byteOffset))
                case .buffer(let id, _):
                    values[node.outputs[0]] = .buffer(id: id, type: prepared.outputs[0])
                }
            case .kernel where allConstant:
                let ts = try OpEvaluator.evaluate(node, opset: graph.opset, inputs: constants, limits: limits)
                for (i, name) in named { values[name] = .constant(ts[i]) }
            case .kernel(let kernel):
                let s = steps.count
                let outs = prepared.outputs.map { newBuffer($0.byteCount, step: s) }
                for (i, name) in named { values[name] = .buffer(id: outs[i], type: prepared.outputs[i]) }
                let scratch = newBuffer(prepared.scratchBytes, step: s)
                var params = 0, nonzeros = 0
                for c in constants.compactMap({ $0 }) where c.dtype == .float32 && c.count > 1 {
                    params += c.count
                    nonzeros += LinearFormats.countNonzeros(c.pointer(as: Float.self), c.count)
                }
                let info = ExecutionPlan.StepInfo(
                    node: node.name, opType: node.opType, kernel: prepared.kernelName, inputs: inputTypes,
                    outputs: prepared.outputs, macs: prepared.macs, parameters: params, nonzeros: nonzeros,
                    scratchBytes: prepared.scratchBytes)
                steps.append(PendingStep(kernel: kernel, inputs: node.inputs, outputBuffers: outs, scratchBuffer: scratch, info: info))
            }
        }

        // Lifetimes: a buffer lives until its last reader; graph outputs until the end.
        for (s, step) in steps.enumerated() {
            for name in step.inputs where !name.isEmpty {
                if case .buffer(let id, _)? = values[name] { requests[id].lastStep = max(requests[id].lastStep, s) }
            }
        }
        var outputValues: [(String, Value)] = []
        for out in graph.outputs {
            guard let v = values[out.name] else {
                throw EdgePruneError(.invalidModel, "graph output '\(out.name)' is never produced")
            }
            if case .buffer(let id, _) = v { requests[id].lastStep = steps.count }
            outputValues.append((out.name, v))
        }
        for (_, _, id) in inputBuffers { requests[id].firstStep = -1 }

        let memory = MemoryPlan(requests)
        let weightBytes = graph.initializers.values.reduce(0) { $0 + ($1.buffer.isBorrowed ? 0 : $1.byteCount) }
        guard memory.arenaBytes <= limits.maxTotalBytes - min(weightBytes, limits.maxTotalBytes) else {
            throw EdgePruneError(.limit, "the plan needs a \(memory.arenaBytes)-byte arena, over the \(limits.maxTotalBytes)-byte memory limit")
        }
        let arena = Buffer(byteCount: memory.arenaBytes)
        let placeholder = Buffer(byteCount: 64)
        retained.append(arena)
        retained.append(placeholder)
        func pointer(_ id: Int) -> UnsafeMutableRawPointer { arena.raw + memory.offsets[id] }
        func pointer(of value: Value) -> UnsafeMutableRawPointer {
            switch value {
            case .constant(let t):
                retained.append(t.buffer)
                return t.raw
            case .buffer(let id, _): return pointer(id)
            }
        }

        let inputPtrs = steps.map { step in
            step.inputs.map { name -> UnsafeRawPointer in
                name.isEmpty ? UnsafeRawPointer(placeholder.raw) : UnsafeRawPointer(pointer(of: values[name]!))
            }
        }
        let outputPtrs = steps.map { $0.outputBuffers.map(pointer) }
        let scratchPtrs = steps.map { pointer($0.scratchBuffer) }
        let inputs = inputBuffers.map { ExecutionPlan.Binding(name: $0.0, type: $0.1, pointer: pointer($0.2)) }
        let outputs = outputValues.map { name, v -> ExecutionPlan.Binding in
            switch v {
            case .constant(let t): return .init(name: name, type: t.type, pointer: pointer(of: v))
            case .buffer(_, let type): return .init(name: name, type: type, pointer: pointer(of: v))
            }
        }
        return ExecutionPlan(inputs: inputs, outputs: outputs, steps: steps.map(\.info), kernels: steps.map(\.kernel),
                             pointers: inputPtrs, outputPointers: outputPtrs, scratch: scratchPtrs,
                             arenaBytes: memory.arenaBytes, retained: retained)
    }
}
