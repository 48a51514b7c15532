/// MaxPool / AveragePool over N x C x H x W (1-D pools run with H = 1). Each output position
/// loops over its valid taps only, from tables computed at prepare.
final class Pool2DKernel: Kernel {
    enum Mode { case max, average(includePad: Bool) }

    let mode: Mode
    let planes: Int   // N * C
    let h: PoolAxis, w: PoolAxis

    init(mode: Mode, planes: Int, h: PoolAxis, w: PoolAxis) {
        self.mode = mode
        self.planes = planes
        self.h = h
        self.w = w
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        let inH = h.input, inW = w.input, outH = h.output, outW = w.output
        let dh = h.dilation, dw = w.dilation
        var isMax = false, includePad = false
        switch mode {
        case .max: isMax = true
        case .average(let p): includePad = p
        }
        for p in 0..<planes {
            let xp = x + p &* inH &* inW
            var yp = y + p &* outH &* outW
            for oh in 0..<outH {
                let h0 = h.start[oh], khLo = h.tapLo[oh], khHi = h.tapHi[oh], cntH = h.padCount[oh]
                for ow in 0..<outW {
                    let w0 = w.start[ow], kwLo = w.tapLo[ow], kwHi = w.tapHi[ow]
                    if isMax {
                        var m = -Float.greatestFiniteMagnitude
                        for kh in khLo..<khHi {
                            let row = xp + ((h0 &+ kh &* dh) &* inW &+ w0)
                            for kw in kwLo..<kwHi where row[kw &* dw] > m { m = row[kw &* dw] }
                        }
                        yp[ow] = m
                    } else {
                        var s: Float = 0
                        for kh in khLo..<khHi {
                            let row = xp + ((h0 &+ kh &* dh) &* inW &+ w0)
                            for kw in kwLo..<kwHi { s += row[kw &* dw] }
                        }
                        let n = includePad ? cntH &* w.padCount[ow] : (khHi &- khLo) &* (kwHi &- kwLo)
                        yp[ow] = n > 0 ? s / Float(n) : 0
                    }
                }
                yp += outW
            }
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
                       macs: o ? Int.max : macs)
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
