import CEdgeKernels

/// Post-training int8 quantisation of one Gemm/MatMul/Conv, as node attributes (so it survives in .epm
/// files and rides through `Graph.atLadderLevel`, which masks weights and keeps attributes):
///
///     ep_q_x_scale, ep_q_x_zero_point   uint8 input activation: x ≈ (q - zp) * scale
///     ep_q_y_scale, ep_q_y_zero_point   uint8 output activation (after a fused Relu)
///
/// The weight's per-output-channel symmetric int8 scales are not stored: they are a function of
/// the weight (`Int8Weights.quantize`, max |w| per channel / 127), computed at prepare from the
/// f32 weight the graph holds at the level being planned. A pruned weight quantises to exactly 0,
/// and every ladder level gets scales from its own masked weights; the exporter uses the same
/// function, so ONNX Runtime sees the int8 values the runtime runs.
public struct Int8LinearParams: Sendable, Equatable {
    public static let xScaleKey = "ep_q_x_scale"
    public static let xZeroPointKey = "ep_q_x_zero_point"
    public static let yScaleKey = "ep_q_y_scale"
    public static let yZeroPointKey = "ep_q_y_zero_point"
    public static let keys: [String] = [xScaleKey, xZeroPointKey, yScaleKey, yZeroPointKey]

    public var xScale: Float
    public var xZeroPoint: Int32
    public var yScale: Float
    public var yZeroPoint: Int32

    public init(xScale: Float, xZeroPoint: Int32, yScale: Float, yZeroPoint: Int32) {
        self.xScale = xScale
        self.xZeroPoint = xZeroPoint
        self.yScale = yScale
        self.yZeroPoint = yZeroPoint
    }

    /// The node's parameters; nil when it carries none, an error naming the node when they are
    /// partial or out of range (a scale must be positive and finite, a zero point in 0...255).
    public static func read(_ node: Node) throws -> Int8LinearParams? {
        let present = keys.filter { node.attributes[$0] != nil }
        if present.isEmpty { return nil }
        guard present.count == keys.count else {
            let missing = keys.filter { node.attributes[$0] == nil }
            throw EdgePruneError(.invalidModel, "\(node.label): int8 quantisation attributes incomplete (missing \(missing.joined(separator: ", ")))")
        }
        func scale(_ key: String) throws -> Float {
            guard case .float(let v)? = node.attributes[key], v.isFinite, v > 0 else {
                throw EdgePruneError(.invalidModel, "\(node.label): \(key) must be a positive finite float")
            }
            return v
        }
        func zeroPoint(_ key: String) throws -> Int32 {
            guard case .int(let v)? = node.attributes[key], (0...255).contains(v) else {
                throw EdgePruneError(.invalidModel, "\(node.label): \(key) must be an integer in 0...255 (uint8 activations)")
            }
            return Int32(v)
        }
        return Int8LinearParams(xScale: try scale(xScaleKey), xZeroPoint: try zeroPoint(xZeroPointKey),
                                yScale: try scale(yScaleKey), yZeroPoint: try zeroPoint(yZeroPointKey))
    }

    public func write(into node: inout Node) {
        node.attributes[Self.xScaleKey] = .float(xScale)
        node.attributes[Self.xZeroPointKey] = .int(Int(xZeroPoint))
        node.attributes[Self.yScaleKey] = .float(yScale)
        node.attributes[Self.yZeroPointKey] = .int(Int(yZeroPoint))
    }

    public static func remove(from node: inout Node) {
        for k in keys { node.attributes[k] = nil }
    }

    /// Asymmetric uint8 parameters covering [lo, hi] widened to include 0 (so 0 is exact, as
    /// ONNX requires for padding and Relu): scale = (hi - lo) / 255, zero point = round(-lo / scale).
    /// A range of only zeros gets scale 1 / 255, zero point 0.
    public static func activation(lo: Float, hi: Float) -> (scale: Float, zeroPoint: Int32) {
        let a = min(lo, 0), b = max(hi, 0)
        guard b > a else { return (1 / 255, 0) }
        let scale = (b - a) / 255
        let zp = Int32(max(0, min(255, (-a / scale).rounded(.toNearestOrEven))))
        return (scale, zp)
    }

    /// Quantises one f32 value as ONNX QuantizeLinear does (the runtime's C kernel, one element).
    public func quantizeInput(_ x: Float) -> UInt8 {
        var v = x, q: UInt8 = 0
        ep_f32_qu8_quantize_ukernel__scalar(1, &v, xScale, xZeroPoint, &q)
        return q
    }
}

/// A weight in the int8 Linear kernels' terms: W (rows = outputs x cols = inputs) quantised per
/// row (symmetric, zero point 0, by the C library's `ep_qs8_quantize_rows`), the f32 bias as
/// int32 at scale x_scale * w_scale[n] (zero point 0, as ONNX's QDQ convention for a bias), and
/// the requantisation multipliers (x_scale * w_scale[n]) / y_scale, computed in that order (as
/// ONNX Runtime computes its output scales).
public struct Int8Weights: Sendable {
    public let rows: Int
    public let cols: Int
    /// rows x cols, row-major: element (n, k) at values[n * cols + k].
    public let values: [Int8]
    public let scales: [Float]
    public let bias: [Int32]
    public let multipliers: [Float]

    /// W's element (n, k) at w[n*rs + k*cs]; bias: rows floats or nil.
    public static func quantize(rows: Int, cols: Int, w: UnsafePointer<Float>, rs: Int, cs: Int,
                                bias: UnsafePointer<Float>?, params: Int8LinearParams) -> Int8Weights {
        var q = [Int8](repeating: 0, count: rows * cols)
        var scales = [Float](repeating: 1, count: rows)
        ep_qs8_quantize_rows(rows, cols, w, rs, cs, &q, &scales)
        var b = [Int32](repeating: 0, count: rows)
        var m = [Float](repeating: 0, count: rows)
        for n in 0..<rows {
            let biasScale = params.xScale * scales[n]
            if let bias {
                // |bias| beyond 2^30 accumulator units would overflow the kernels' int32 sum.
                let v = (bias[n] / biasScale).rounded(.toNearestOrEven)
                b[n] = v.isFinite ? Int32(max(-1_073_741_824, min(1_073_741_824, v))) : 0
            }
            m[n] = biasScale / params.yScale
        }
        return Int8Weights(rows: rows, cols: cols, values: q, scales: scales, bias: b, multipliers: m)
    }
}
