import CEdgeKernels

/// MaxPool / AveragePool over N x C x H x W (1-D pools run with H = 1), on the C pool kernels.
/// Each output position loops over its valid taps only, from tables computed at prepare.
final class Pool2DKernel: Kernel {
    enum Mode { case max, average(includePad: Bool) }

    let mode: Mode
    let planes: Int   // N * C
    /// The tables of both axes in one block the C descriptors point into (owned, freed in deinit).
    private let tables: UnsafeMutableRawPointer
    private var h = ep_pool_axis(), w = ep_pool_axis()

    init(mode: Mode, planes: Int, h hAxis: PoolAxis, w wAxis: PoolAxis) {
        self.mode = mode
        self.planes = planes
        let words = 4 * (hAxis.output + wAxis.output)
        tables = .allocate(byteCount: max(words, 1) * 8, alignment: 8)
        var cursor = tables
        func table(_ values: [Int]) -> UnsafeMutableRawPointer {
            let start = cursor
            for (i, v) in values.enumerated() { start.storeBytes(of: v, toByteOffset: i * 8, as: Int.self) }
            cursor += values.count * 8
            return start
        }
        func descriptor(_ a: PoolAxis) -> ep_pool_axis {
            ep_pool_axis(input: a.input, output: a.output, dilation: a.dilation,
                         start: UnsafePointer(table(a.start).assumingMemoryBound(to: Int.self)),
                         tap_lo: UnsafePointer(table(a.tapLo).assumingMemoryBound(to: Int.self)),
                         tap_hi: UnsafePointer(table(a.tapHi).assumingMemoryBound(to: Int.self)),
                         pad_count: UnsafePointer(table(a.padCount).assumingMemoryBound(to: Int.self)))
        }
        h = descriptor(hAxis)
        w = descriptor(wAxis)
    }

    deinit { tables.deallocate() }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        switch mode {
        case .max: ep_f32_maxpool2d__scalar(&h, &w, planes, x, y)
        case .average(let includePad): ep_f32_avgpool2d__scalar(&h, &w, planes, includePad ? 1 : 0, x, y)
        }
    }
}

enum PoolOps {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.input(ctx, 0)
        let isMax = ctx.node.opType == "MaxPool"
        guard x.dtype == .float32 else { throw ctx.error("input must be f32, got \(x.dtype)", .unsupported) }
        if isMax && ctx.node.outputs.count > 1 && ctx.node.outputs[1...].contains(where: { !$0.isEmpty }) {
            throw ctx.error("the Indices output of MaxPool is not supported", .unsupported)
        }
        // MaxPool has dilations from opset 10, AveragePool from 19.
        let axes = try PoolGeometry.axes(ctx, x, dilationsAllowed: isMax ? ctx.opset >= 10 : ctx.opset >= 19)
        let (h, w) = axes.count == 1 ? (PoolAxis.unit, axes[0]) : (axes[0], axes[1])
        let y = try ctx.checked(TensorType(.float32, Array(x.shape[..<2]) + axes.map(\.output)))
        let mode: Pool2DKernel.Mode = isMax ? .max : .average(includePad: ctx.int("count_include_pad", 0) != 0)
        let window = h.kernel * w.kernel
        let (macs, o) = y.count.multipliedReportingOverflow(by: window)
        return .kernel(Pool2DKernel(mode: mode, planes: x.shape[0] * x.shape[1], h: h, w: w), [y],
                       name: isMax ? "ep_f32_maxpool2d__scalar" : "ep_f32_avgpool2d__scalar", macs: o ? Int.max : macs)
    }
}

/// GlobalAveragePool / GlobalMaxPool over all spatial dims of an N x C x ... input.
final class GlobalPoolKernel: Kernel {
    let planes: Int, size: Int
    let isMax: Bool

    init(planes: Int, size: Int, isMax: Bool) {
        self.planes = planes
        self.size = size
        self.isMax = isMax
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        let n = size
        for p in 0..<planes {
            let xp = x + p &* n
            if isMax {
                var m = -Float.infinity
                for i in 0..<n where xp[i] > m { m = xp[i] }
                y[p] = m
            } else {
                var s: Float = 0
                for i in 0..<n { s += xp[i] }
                y[p] = n > 0 ? s / Float(n) : 0
            }
        }
    }
}

enum GlobalPoolOps {
    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try LayoutSupport.floatInput(ctx, 0)
        guard x.rank >= 3 else {
            throw ctx.error("input must be N x C x spatial..., got \(Shape.describe(x.shape))", .shape)
        }
        let y = try ctx.checked(TensorType(.float32, Array(x.shape[..<2]) + [Int](repeating: 1, count: x.rank - 2)))
        let size = try LayoutSupport.product(ctx, x.shape[2...])
        return .kernel(GlobalPoolKernel(planes: x.shape[0] * x.shape[1], size: size,
                                        isMax: ctx.node.opType == "GlobalMaxPool"), [y], macs: x.count)
    }
}
