/// Slice with starts/ends/axes/steps (attributes before opset 10, constant inputs after).
enum SliceOp {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if ctx.opset < 10 {
            guard let s = ctx.ints("starts"), let e = ctx.ints("ends") else {
                throw ctx.error("missing attribute 'starts' or 'ends'")
            }
            starts = s
            ends = e
            axes = ctx.ints("axes")
            steps = nil
        } else {
            starts = try LayoutSupport.constInts(ctx, 1, "Slice starts")
            ends = try LayoutSupport.constInts(ctx, 2, "Slice ends")
            axes = ctx.hasInput(3) ? try LayoutSupport.constInts(ctx, 3, "Slice axes") : nil
            steps = ctx.hasInput(4) ? try LayoutSupport.constInts(ctx, 4, "Slice steps") : nil
        }
        guard starts.count == ends.count else {
            throw ctx.error("starts \(starts) and ends \(ends) differ in length")
        }
        let axisList = axes ?? Array(0..<starts.count)
        let stepList = steps ?? [Int](repeating: 1, count: starts.count)
        guard axisList.count == starts.count, stepList.count == starts.count else {
            throw ctx.error("starts, ends, axes and steps differ in length")
        }
        let normAxes = try LayoutSupport.normalizeAxes(ctx, axisList, rank: x.rank)

        var outDims = x.shape
        let inStrides = Shape.strides(x.shape)
        var strides = inStrides
        var base = 0
        for (i, axis) in normAxes.enumerated() {
            let (start, count, step) = try resolve(ctx, start: starts[i], end: ends[i], step: stepList[i], dim: x.shape[axis])
            outDims[axis] = count
            // With one element or none the step is irrelevant (and may be a huge sentinel).
            strides[axis] = count > 1 ? inStrides[axis] * step : 0
            if count > 0 { base += start * inStrides[axis] }
        }
        let y = try ctx.checked(TensorType(x.dtype, outDims))
        let plan = StridedCopyPlan(outDims: outDims, srcStrides: strides, baseOffset: y.count == 0 ? 0 : base,
                                   elemSize: x.dtype.byteSize)
        return .kernel(StridedCopyKernel(plan), [y])
    }

    /// ONNX clamping: negative start/end count from the end; positive steps clamp to [0, dim],
    /// negative steps clamp start to [0, dim-1] and end to [-1, dim-1]. Returns the first index,
    /// the element count and the step.
    static func resolve(_ ctx: OpContext, start s0: Int, end e0: Int, step: Int, dim: Int) throws -> (Int, Int, Int) {
        guard step != 0 else { throw ctx.error("Slice step cannot be 0") }
        // Int.min / Int.max sentinels stay in range: adding a non-negative dim to a negative
        // value cannot overflow.
        var s = s0 < 0 ? s0 + dim : s0
        var e = e0 < 0 ? e0 + dim : e0
        if step > 0 {
            s = min(max(s, 0), dim)
            e = min(max(e, 0), dim)
            let count = e > s ? (e - s - 1) / step + 1 : 0
            return (s, count, step)
        }
        s = min(max(s, 0), dim - 1)
        e = min(max(e, -1), dim - 1)
        let count = s > e ? (e - s + 1) / step + 1 : 0   // no negation: step may be Int.min
        return (s, count, step)
    }
}
