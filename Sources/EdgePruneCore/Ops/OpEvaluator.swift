/// Runs one node on concrete tensors, outside any plan. The planner folds constants with it, and
/// tests use it to check an op against reference outputs.
public enum OpEvaluator {
    public static func evaluate(_ node: Node, opset: Int, inputs: [Tensor?],
                                limits: PlanLimits = PlanLimits()) throws -> [Tensor] {
        let ctx = OpContext(node: node, opset: opset, inputTypes: inputs.map { $0?.type },
                            constants: inputs, limits: limits)
        let prepared = try OpRegistry.preparer(for: node)(ctx)
        switch prepared.form {
        case .constants(let values):
            return values
        case .view(let i):
            guard let src = inputs[i] else { throw ctx.error("view of an absent input") }
            return [Tensor(type: prepared.outputs[0], buffer: src.buffer, byteOffset: src.byteOffset)]
        case .kernel(let kernel):
            let outs = prepared.outputs.map { Tensor(zeros: $0) }
            let scratch = Buffer(byteCount: prepared.scratchBytes)
            let placeholder = Buffer(byteCount: 64)
            let inPtrs = inputs.map { UnsafeRawPointer($0?.raw ?? placeholder.raw) }
            let outPtrs = outs.map(\.raw)
            inPtrs.withUnsafeBufferPointer { ip in
                outPtrs.withUnsafeBufferPointer { op in
                    kernel.run(inputs: ip.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                               outputs: op.baseAddress!, scratch: scratch.raw)
                }
            }
            return outs
        }
    }
}
