/// Ops whose result is known at prepare time: Shape, Size, Constant, ConstantOfShape.
enum ShapeOps {
    static func shape(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let r = x.rank
        var start = 0, end = r
        if ctx.opset >= 15 {
            start = ctx.int("start", 0)
            end = ctx.int("end", r)
            if start < 0 { start += r }
            if end < 0 { end += r }
            start = min(max(start, 0), r)
            end = min(max(end, 0), r)
        }
        let dims = start < end ? Array(x.shape[start..<end]) : []
        let t = LayoutSupport.int64Tensor(dims, shape: [dims.count])
        return PreparedOp(outputs: [t.type], form: .constants([t]))
    }

    static func size(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let t = LayoutSupport.int64Tensor([x.count], shape: [])
        return PreparedOp(outputs: [t.type], form: .constants([t]))
    }

    static func constant(_ ctx: OpContext) throws -> PreparedOp {
        let n = ctx.node
        let t: Tensor
        if let v = n.tensor("value") {
            t = v
        } else if case .float(let v)? = n.attributes["value_float"] {
            t = Tensor([v], shape: [])
        } else if let v = n.floats("value_floats"), n.attributes["value_floats"] != nil {
            t = Tensor(zeros: TensorType(.float32, [v.count]))
            for (i, f) in v.enumerated() { t.pointer(as: Float.self)[i] = f }
        } else if case .int(let v)? = n.attributes["value_int"] {
            t = LayoutSupport.int64Tensor([v], shape: [])
        } else if let v = n.ints("value_ints"), n.attributes["value_ints"] != nil {
            t = LayoutSupport.int64Tensor(v, shape: [v.count])
        } else if n.attributes["sparse_value"] != nil || n.attributes["value_string"] != nil
                    || n.attributes["value_strings"] != nil {
            throw ctx.error("sparse and string constants are not supported", .unsupported)
        } else {
            throw ctx.error("Constant has no value attribute")
        }
        _ = try ctx.checked(t.type)
        return PreparedOp(outputs: [t.type], form: .constants([t]))
    }

    static func constantOfShape(_ ctx: OpContext) throws -> PreparedOp {
        let shape = try LayoutSupport.constInts(ctx, 0, "ConstantOfShape shape")
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ctx.error("shape \(shape) has a negative entry", .shape)
        }
        var dtype = DType.float32
        var bits: UInt64 = 0
        if let v = ctx.node.tensor("value") {
            guard v.count == 1 else {
                throw ctx.error("value must hold exactly one element, got shape \(Shape.describe(v.shape))")
            }
            dtype = v.dtype
            bits = LayoutSupport.fillBits(v)
        }
        let y = try ctx.checked(TensorType(dtype, shape))
        let t = Tensor(zeros: y)
        if bits != 0 { LayoutSupport.fill(t.raw, y.count, bits: bits, elemSize: dtype.byteSize) }
        return PreparedOp(outputs: [y], form: .constants([t]))
    }
}
