#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise f32 functions. Also used for activations fused into Conv/Gemm outputs.
public enum UnaryFunction: Equatable, Sendable {
    case relu
    case leakyRelu(alpha: Float)
    case sigmoid
    case tanh
    case elu(alpha: Float)
    case selu(alpha: Float, gamma: Float)
    case softplus
    case exp
    case neg
    case abs
    case sqrt
    case clip(min: Float, max: Float)

    /// y[i] = f(x[i]); x and y may be the same buffer.
    public func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .relu: for i in 0..<n { y[i] = Swift.max(x[i], 0) }
        case .leakyRelu(let a): for i in 0..<n { let v = x[i]; y[i] = v < 0 ? a * v : v }
        case .sigmoid: for i in 0..<n { y[i] = 1 / (1 + expf(-x[i])) }
        case .tanh: for i in 0..<n { y[i] = tanhf(x[i]) }
        case .elu(let a): for i in 0..<n { let v = x[i]; y[i] = v >= 0 ? v : a * (expf(v) - 1) }
        case .selu(let a, let g): for i in 0..<n { let v = x[i]; y[i] = v > 0 ? g * v : g * (a * expf(v) - a) }
        case .softplus:
            for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v + log1pf(expf(-v)) : log1pf(expf(v)) }
        case .exp: for i in 0..<n { y[i] = expf(x[i]) }
        case .neg: for i in 0..<n { y[i] = -x[i] }
        case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .sqrt: for i in 0..<n { y[i] = sqrtf(x[i]) }
        case .clip(let lo, let hi): for i in 0..<n { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
        }
    }

    /// The clamp bounds when this function is a pure clamp the GEMM kernels can fuse.
    public var clampBounds: (Float, Float)? {
        switch self {
        case .relu: return (0, .infinity)
        case .clip(let lo, let hi): return (lo, hi)
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .relu: return "relu"
        case .leakyRelu: return "leakyrelu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .elu: return "elu"
        case .selu: return "selu"
        case .softplus: return "softplus"
        case .exp: return "exp"
        case .neg: return "neg"
        case .abs: return "abs"
        case .sqrt: return "sqrt"
        case .clip: return "clip"
        }
    }
}

final class UnaryKernel: Kernel {
    let function: UnaryFunction
    let count: Int

    init(_ function: UnaryFunction, count: Int) {
        self.function = function
        self.count = count
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        function.apply(inputs[0].assumingMemoryBound(to: Float.self),
                       outputs[0].assumingMemoryBound(to: Float.self), count)
    }
}

enum UnaryOps {
    /// The unary function a node computes (shared with activation fusion).
    static func function(of ctx: OpContext) throws -> UnaryFunction {
        let n = ctx.node
        switch n.opType {
        case "Relu": return .relu
        case "LeakyRelu": return .leakyRelu(alpha: ctx.float("alpha", 0.01))
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "Elu": return .elu(alpha: ctx.float("alpha", 1.0))
        case "Selu": return .selu(alpha: ctx.float("alpha", 1.67326319217681884765625),
                                  gamma: ctx.float("gamma", 1.05070102214813232421875))
        case "Softplus": return .softplus
        case "Exp": return .exp
        case "Neg": return .neg
        case "Abs": return .abs
        case "Sqrt": return .sqrt
        case "Clip": return try clipBounds(ctx)
        default: throw ctx.error("not a unary op", .unsupported)
        }
    }

    /// Clip bounds: attributes before opset 11, optional constant inputs from 11 on.
    static func clipBounds(_ ctx: OpContext) throws -> UnaryFunction {
        var lo = -Float.infinity, hi = Float.infinity
        if ctx.opset < 11 {
            lo = ctx.float("min", lo)
            hi = ctx.float("max", hi)
        } else {
            for (i, isMin) in [(1, true), (2, false)] where ctx.hasInput(i) {
                let c = try ctx.requireConstant(i, isMin ? "Clip min" : "Clip max")
                guard c.count == 1 else { throw ctx.error("Clip bound must be a scalar, got shape \(Shape.describe(c.shape))", .shape) }
                if isMin { lo = c.asFloats()[0] } else { hi = c.asFloats()[0] }
            }
        }
        return .clip(min: lo, max: hi)
    }

    static func prepare(_ ctx: OpContext) throws -> PreparedOp {
        let x = try ctx.floatInput(0)
        let f = try function(of: ctx)
        return .kernel(UnaryKernel(f, count: x.count), [x])
    }

    static let preparers: [String: OpPreparer] = Dictionary(uniqueKeysWithValues:
        ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Softplus", "Exp", "Neg", "Abs", "Sqrt", "Clip"]
            .map { ($0, prepare) })
}
