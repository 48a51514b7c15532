/// Ops whose output is input 0's bytes under a new shape: Reshape, Flatten, Squeeze, Unsqueeze,
/// Identity, Dropout (inference).
enum ReshapeOps {
    static func view(_ ctx: OpContext, _ x: TensorType, _ shape: [Int]) throws -> PreparedOp {
        let y = try ctx.checked(TensorType(x.dtype, shape))
        guard y.count == x.count else {
            throw ctx.error("cannot view \(Shape.describe(x.shape)) as \(Shape.describe(shape)): element counts differ", .shape)
        }
        return PreparedOp(outputs: [y], form: .view(input: 0))
    }

    static func reshape(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let target: [Int]
        if ctx.opset < 5 {
            guard let s = ctx.ints("shape") else { throw ctx.error("missing attribute 'shape'") }
            target = s
        } else {
            target = try LayoutSupport.constInts(ctx, 1, "Reshape shape")
        }
        let allowZero = ctx.opset >= 14 && ctx.int("allowzero", 0) != 0
        return try view(ctx, x, resolveShape(ctx, input: x.shape, target: target, allowZero: allowZero))
    }

    /// ONNX Reshape rules: 0 copies the input dim at that index (unless allowzero), one -1 is inferred.
    static func resolveShape(_ ctx: OpContext, input: [Int], target: [Int], allowZero: Bool) throws -> [Int] {
        var out = target
        var inferAt: Int?
        for (i, d) in target.enumerated() {
            if d == -1 {
                if inferAt != nil { throw ctx.error("Reshape shape \(target) has more than one -1") }
                inferAt = i
            } else if d < -1 {
                throw ctx.error("Reshape shape \(target) has invalid dimension \(d)")
            } else if d == 0 && !allowZero {
                guard i < input.count else {
                    throw ctx.error("Reshape shape \(target) copies dim \(i) (0) but the input has rank \(input.count)", .shape)
                }
                out[i] = input[i]
            }
        }
        if allowZero && inferAt != nil && target.contains(0) {
            throw ctx.error("Reshape shape \(target) has both 0 and -1 with allowzero=1")
        }
        let total = try LayoutSupport.product(ctx, input[...])
        if let k = inferAt {
            var rest = out
            rest.remove(at: k)
            let known = try LayoutSupport.product(ctx, rest[...])
            guard known != 0, total % known == 0 else {
                throw ctx.error("cannot reshape \(Shape.describe(input)) to \(target): -1 cannot be inferred", .shape)
            }
            out[k] = total / known
        }
        guard let n = Shape.elementCount(out), n == total else {
            throw ctx.error("cannot reshape \(Shape.describe(input)) (\(total) elements) to \(target)", .shape)
        }
        return out
    }

    static func flatten(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let a = ctx.int("axis", 1)
        let axis = a < 0 ? a + x.rank : a
        guard axis >= 0 && axis <= x.rank else {
            throw ctx.error("axis \(a) is out of range for rank \(x.rank)", .shape)
        }
        let outer = try LayoutSupport.product(ctx, x.shape[..<axis])
        let inner = try LayoutSupport.product(ctx, x.shape[axis...])
        return try view(ctx, x, [outer, inner])
    }

    static func squeeze(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let axesList = try LayoutSupport.intsAttrOrInput(ctx, attr: "axes", input: 1, useInput: ctx.opset >= 13, "Squeeze axes")
        var drop = [Bool](repeating: false, count: x.rank)
        if let list = axesList, !list.isEmpty {   // an empty axes tensor means "not given"
            for a in try LayoutSupport.normalizeAxes(ctx, list, rank: x.rank) {
                guard x.shape[a] == 1 else {
                    throw ctx.error("cannot squeeze axis \(a) of \(Shape.describe(x.shape)): its size is not 1", .shape)
                }
                drop[a] = true
            }
        } else {
            for a in 0..<x.rank where x.shape[a] == 1 { drop[a] = true }
        }
        let shape = (0..<x.rank).filter { !drop[$0] }.map { x.shape[$0] }
        return try view(ctx, x, shape)
    }

    static func unsqueeze(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        guard let list = try LayoutSupport.intsAttrOrInput(ctx, attr: "axes", input: 1, useInput: ctx.opset >= 13, "Unsqueeze axes") else {
            throw ctx.error(ctx.opset >= 13 ? "missing required input #1 (axes)" : "missing attribute 'axes'")
        }
        let rank = x.rank + list.count
        let axes = try LayoutSupport.normalizeAxes(ctx, list, rank: rank)
        var isNew = [Bool](repeating: false, count: rank)
        for a in axes { isNew[a] = true }
        var shape: [Int] = []
        var next = 0
        for i in 0..<rank {
            if isNew[i] {
                shape.append(1)
            } else {
                shape.append(x.shape[next])
                next += 1
            }
        }
        return try view(ctx, x, shape)
    }

    static func identity(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        return PreparedOp(outputs: [x], form: .view(input: 0))
    }

    /// Inference-mode Dropout is the identity. The optional mask output is not supported, nor is
    /// training mode (opset 12+ `training_mode` input set to true).
    static func dropout(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let outs = ctx.node.outputs
        if outs.count > 1 && outs[1...].contains(where: { !$0.isEmpty }) {
            throw ctx.error("the mask output of Dropout is not supported", .unsupported)
        }
        if ctx.opset >= 12 && ctx.hasInput(2) {
            let t = try ctx.requireConstant(2, "Dropout training_mode")
            if t.count > 0 && t.asInts()[0] != 0 {
                throw ctx.error("Dropout in training mode is not supported", .unsupported)
            }
        }
        return PreparedOp(outputs: [x], form: .view(input: 0))
    }
}
