/// Output sizes and padding of a convolution or pooling window along each spatial axis, per
/// ONNX: explicit pads, or auto_pad VALID / SAME_UPPER / SAME_LOWER.
struct WindowGeometry {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padsBegin: [Int]
    var padsEnd: [Int]
    var output: [Int]

    /// `ceilMode` rounds the output size up (pools only); the last window must then start inside
    /// the input or the leading padding.
    init(ctx: OpContext, input: [Int], kernel: [Int], ceilMode: Bool = false) throws {
        let r = input.count
        self.kernel = kernel
        strides = ctx.ints("strides") ?? [Int](repeating: 1, count: r)
        dilations = ctx.ints("dilations") ?? [Int](repeating: 1, count: r)
        guard strides.count == r, dilations.count == r else {
            throw ctx.error("strides/dilations need \(r) values", .invalidModel)
        }
        guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }), kernel.allSatisfy({ $0 >= 1 }) else {
            throw ctx.error("kernel sizes, strides and dilations must be positive", .invalidModel)
        }
        let autoPad = ctx.string("auto_pad", "NOTSET")
        padsBegin = [Int](repeating: 0, count: r)
        padsEnd = padsBegin
        output = padsBegin
        for i in 0..<r {
            let effK = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                output[i] = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (output[i] - 1) * strides[i] + effK - input[i])
                let small = total / 2
                padsBegin[i] = autoPad == "SAME_UPPER" ? small : total - small
                padsEnd[i] = total - padsBegin[i]
            case "VALID", "NOTSET", "":
                if autoPad == "NOTSET" || autoPad.isEmpty, let pads = ctx.ints("pads") {
                    guard pads.count == 2 * r else { throw ctx.error("pads needs \(2 * r) values, got \(pads.count)", .invalidModel) }
                    guard pads.allSatisfy({ $0 >= 0 }) else { throw ctx.error("negative pads are not valid here", .invalidModel) }
                    padsBegin[i] = pads[i]
                    padsEnd[i] = pads[i + r]
                }
                let span = input[i] + padsBegin[i] + padsEnd[i] - effK
                guard span >= 0 else {
                    throw ctx.error("window \(effK) is larger than the padded input \(input[i] + padsBegin[i] + padsEnd[i]) on spatial axis \(i)", .shape)
                }
                if ceilMode {
                    var o = (span + strides[i] - 1) / strides[i] + 1
                    if (o - 1) * strides[i] >= input[i] + padsBegin[i] { o -= 1 }
                    output[i] = o
                } else {
                    output[i] = span / strides[i] + 1
                }
            default:
                throw ctx.error("unknown auto_pad '\(autoPad)'", .invalidModel)
            }
        }
    }
}
