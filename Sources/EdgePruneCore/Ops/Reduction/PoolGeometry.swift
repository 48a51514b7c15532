/// Window geometry of one spatial axis of a pool, with per-output-position tap tables computed
/// at prepare so the kernel only loops over valid taps.
struct PoolAxis {
    let input: Int
    let output: Int
    let kernel: Int
    let stride: Int
    let dilation: Int
    let padHead: Int
    let padTail: Int
    /// Input coordinate of tap 0 for each output position (may be negative).
    let start: [Int]
    /// Valid taps (inside the input) are kernel indices tapLo[o] ..< tapHi[o].
    let tapLo: [Int]
    let tapHi: [Int]
    /// Taps inside [-padHead, input + padTail): the count_include_pad divisor for this axis.
    let padCount: [Int]

    /// A trivial axis (used to run 1-D pools as 2-D with H = 1).
    static let unit = PoolAxis(input: 1, output: 1, kernel: 1, stride: 1, dilation: 1, padHead: 0, padTail: 0)

    init(input: Int, output: Int, kernel: Int, stride: Int, dilation: Int, padHead: Int, padTail: Int) {
        self.input = input
        self.output = output
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.padHead = padHead
        self.padTail = padTail
        var s: [Int] = [], lo: [Int] = [], hi: [Int] = [], pc: [Int] = []
        for o in 0..<output {
            let first = o * stride - padHead
            let (l, h) = Self.taps(first: first, dilation: dilation, kernel: kernel, from: 0, to: input)
            let (pl, ph) = Self.taps(first: first, dilation: dilation, kernel: kernel, from: -padHead, to: input + padTail)
            s.append(first)
            lo.append(l)
            hi.append(h)
            pc.append(ph - pl)
        }
        start = s
        tapLo = lo
        tapHi = hi
        padCount = pc
    }

    /// Kernel indices k (as a range a ..< b) with from <= first + k * dilation < to.
    static func taps(first: Int, dilation: Int, kernel: Int, from lo: Int, to hi: Int) -> (Int, Int) {
        let a = first >= lo ? 0 : (lo - first + dilation - 1) / dilation
        let b = first >= hi ? 0 : (hi - 1 - first) / dilation + 1
        let a2 = min(max(a, 0), kernel), b2 = min(max(b, 0), kernel)
        return (a2, max(a2, b2))
    }

    /// ONNX output size for explicit (or zero) pads. With ceil_mode, a last window that would
    /// start past the input and the left padding is dropped (ONNX PR 5741, as ONNX Runtime).
    static func outputSize(input: Int, kernel: Int, stride: Int, dilation: Int, padHead: Int, padTail: Int,
                           ceilMode: Bool) -> Int? {
        let span = (kernel - 1) * dilation + 1
        let num = input + padHead + padTail - span
        guard num >= 0 else { return nil }
        var out = (ceilMode ? (num + stride - 1) / stride : num / stride) + 1
        if ceilMode && (out - 1) * stride >= input + padHead { out -= 1 }
        return out
    }
}

/// Parses the attributes shared by MaxPool and AveragePool and builds the spatial axes.
enum PoolGeometry {
    static func axes(_ ctx: OpContext, _ x: TensorType, dilationsAllowed: Bool) throws -> [PoolAxis] {
        guard x.rank >= 3 else {
            throw ctx.error("input must be N x C x spatial..., got \(Shape.describe(x.shape))", .shape)
        }
        let n = x.rank - 2
        guard n <= 2 else { throw ctx.error("3-D pooling is not supported", .unsupported) }
        guard let kernel = ctx.ints("kernel_shape") else { throw ctx.error("missing attribute 'kernel_shape'") }
        let strides = ctx.ints("strides") ?? [Int](repeating: 1, count: n)
        let dilations = (dilationsAllowed ? ctx.ints("dilations") : nil) ?? [Int](repeating: 1, count: n)
        var pads = ctx.ints("pads") ?? [Int](repeating: 0, count: 2 * n)
        guard kernel.count == n, strides.count == n, dilations.count == n, pads.count == 2 * n else {
            throw ctx.error("kernel_shape \(kernel), strides \(strides), dilations \(dilations) and pads \(pads) do not fit \(n) spatial dims")
        }
        let big = 1 << 24   // far beyond any real window; keeps the arithmetic below overflow-free
        guard kernel.allSatisfy({ $0 >= 1 && $0 <= big }), strides.allSatisfy({ $0 >= 1 && $0 <= big }),
              dilations.allSatisfy({ $0 >= 1 && $0 <= big }), pads.allSatisfy({ $0 >= 0 && $0 <= big }) else {
            throw ctx.error("kernel_shape \(kernel), strides \(strides) and dilations \(dilations) must be in 1...\(big) and pads \(pads) in 0...\(big)")
        }
        let autoPad = ctx.string("auto_pad", "NOTSET")
        let ceilMode = ctx.int("ceil_mode", 0) != 0
        var result: [PoolAxis] = []
        for i in 0..<n {
            let input = x.shape[2 + i]
            let span = (kernel[i] - 1) * dilations[i] + 1
            let output: Int
            switch autoPad {
            case "NOTSET", "VALID":
                if autoPad == "VALID" { pads[i] = 0; pads[i + n] = 0 }
                guard let o = PoolAxis.outputSize(input: input, kernel: kernel[i], stride: strides[i], dilation: dilations[i],
                                                  padHead: pads[i], padTail: pads[i + n], ceilMode: ceilMode), o >= 1 else {
                    throw ctx.error("window \(span) with pads \(pads[i]),\(pads[i + n]) does not fit spatial dim \(i) of size \(input)", .shape)
                }
                output = o
            case "SAME_UPPER", "SAME_LOWER":
                // Output ceil(in / stride); total padding split with the odd one at the end (UPPER)
                // or the beginning (LOWER).
                output = (input + strides[i] - 1) / strides[i]
                let total = max(0, (output - 1) * strides[i] + span - input)
                let head = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i] = head
                pads[i + n] = total - head
                guard output >= 1 else { throw ctx.error("spatial dim \(i) is empty", .shape) }
            default:
                throw ctx.error("unknown auto_pad '\(autoPad)'")
            }
            result.append(PoolAxis(input: input, output: output, kernel: kernel[i], stride: strides[i],
                                   dilation: dilations[i], padHead: pads[i], padTail: pads[i + n]))
        }
        return result
    }
}
