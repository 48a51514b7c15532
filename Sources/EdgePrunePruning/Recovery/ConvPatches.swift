import EdgePruneCore

/// A 2-D convolution's window, read from its node: what im2col needs.
struct ConvWindow {
    let kernel: (h: Int, w: Int)
    let strides: (h: Int, w: Int)
    let dilations: (h: Int, w: Int)
    /// Leading (top, left) and trailing (bottom, right) padding.
    let padsBegin: (h: Int, w: Int)
    let padsEnd: (h: Int, w: Int)

    struct Reason: Error { let message: String }

    /// Explicit pads (or VALID) only: SAME_* padding depends on the input size and is skipped.
    static func make(_ node: Node, weightShape: [Int]) -> Result<ConvWindow, Reason> {
        guard weightShape.count == 4 else {
            return .failure(Reason(message: "only 2-D Conv is reconstructed (weight \(Shape.describe(weightShape)))"))
        }
        let autoPad = node.string("auto_pad") ?? "NOTSET"
        guard ["NOTSET", "", "VALID"].contains(autoPad) else {
            return .failure(Reason(message: "Conv with auto_pad \(autoPad) is not reconstructed (explicit pads only)"))
        }
        let strides = node.ints("strides") ?? [1, 1], dilations = node.ints("dilations") ?? [1, 1]
        let pads = autoPad == "VALID" ? [0, 0, 0, 0] : (node.ints("pads") ?? [0, 0, 0, 0])
        guard strides.count == 2, dilations.count == 2, pads.count == 4, strides.allSatisfy({ $0 >= 1 }),
              dilations.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }) else {
            return .failure(Reason(message: "Conv strides \(strides), dilations \(dilations) or pads \(pads) are not a 2-D window"))
        }
        return .success(ConvWindow(kernel: (weightShape[2], weightShape[3]), strides: (strides[0], strides[1]),
                                   dilations: (dilations[0], dilations[1]), padsBegin: (pads[0], pads[1]), padsEnd: (pads[2], pads[3])))
    }

    /// Output size along one axis.
    static func outputSize(_ input: Int, kernel: Int, stride: Int, dilation: Int, pads: Int) -> Int {
        let span = input + pads - ((kernel - 1) * dilation + 1)
        return span < 0 ? 0 : span / stride + 1
    }
}

/// im2col over the calibration data: per group, every output position of every sample is one
/// calibration row whose columns are the group's input channels x kernel positions (the order
/// of a PrunableLayer's columns); the targets are the group's output channels at that position.
struct ConvPatches {
    let window: ConvWindow
    let layer: PrunableLayer
    let input: LayerActivations.Matrix
    let output: LayerActivations.Matrix
    let samples: Int, channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
    /// Calibration rows per group: samples x output positions.
    var positions: Int { samples * outHeight * outWidth }

    init(_ window: ConvWindow, layer: PrunableLayer, input: LayerActivations.Matrix, output: LayerActivations.Matrix, output name: String) throws {
        guard input.shape.count == 4, output.shape.count == 4 else {
            throw EdgePruneError(.unsupported, "layer '\(layer.node)': Conv input \(Shape.describe(input.shape)) or output \(Shape.describe(output.shape)) is not [N, C, H, W]")
        }
        self.window = window
        self.layer = layer
        self.input = input
        self.output = output
        samples = input.shape[0]
        channels = input.shape[1]
        height = input.shape[2]
        width = input.shape[3]
        outHeight = ConvWindow.outputSize(height, kernel: window.kernel.h, stride: window.strides.h, dilation: window.dilations.h,
                                          pads: window.padsBegin.h + window.padsEnd.h)
        outWidth = ConvWindow.outputSize(width, kernel: window.kernel.w, stride: window.strides.w, dilation: window.dilations.w,
                                         pads: window.padsBegin.w + window.padsEnd.w)
        let perGroup = layer.cols / (window.kernel.h * window.kernel.w)
        guard channels == perGroup * layer.groups, output.shape == [samples, layer.rows, outHeight, outWidth] else {
            throw EdgePruneError(.unsupported, "layer '\(layer.node)': Conv input \(Shape.describe(input.shape)) and output '\(name)' \(Shape.describe(output.shape)) do not fit its weight and window")
        }
    }

    /// Group g's patches (positions x layer.cols) and targets (positions x outputs per group).
    func group(_ g: Int) -> (x: ColumnMatrix, y: ColumnMatrix) {
        let kh = window.kernel.h, kw = window.kernel.w, cpg = layer.cols / (kh * kw), opg = layer.rows / layer.groups
        let rows = positions, plane = height * width, outPlane = outHeight * outWidth
        var x = [Double](repeating: 0, count: rows * layer.cols)
        var y = [Double](repeating: 0, count: rows * opg)
        input.values.withUnsafeBufferPointer { inp in
            x.withUnsafeMutableBufferPointer { xb in
                for ci in 0..<cpg {
                    let channel = g * cpg + ci
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let col = (ci * kh + ky) * kw + kx
                            let dst = col * rows
                            for n in 0..<samples {
                                let src = (n * channels + channel) * plane
                                for oy in 0..<outHeight {
                                    let iy = oy * window.strides.h - window.padsBegin.h + ky * window.dilations.h
                                    let rowBase = dst + n * outPlane + oy * outWidth
                                    guard iy >= 0, iy < height else { continue }
                                    for ox in 0..<outWidth {
                                        let ix = ox * window.strides.w - window.padsBegin.w + kx * window.dilations.w
                                        if ix >= 0, ix < width { xb[rowBase + ox] = Double(inp[src + iy * width + ix]) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        output.values.withUnsafeBufferPointer { out in
            y.withUnsafeMutableBufferPointer { yb in
                for o in 0..<opg {
                    for n in 0..<samples {
                        let src = (n * layer.rows + g * opg + o) * outPlane
                        let dst = o * rows + n * outPlane
                        for p in 0..<outPlane { yb[dst + p] = Double(out[src + p]) }
                    }
                }
            }
        }
        return (ColumnMatrix(rows: rows, cols: layer.cols, data: x), ColumnMatrix(rows: rows, cols: opg, data: y))
    }
}
