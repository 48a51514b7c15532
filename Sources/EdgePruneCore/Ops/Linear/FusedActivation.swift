import CEdgeKernels

/// An activation the planner fused into the producing Conv/Gemm/MatMul. Stored as node attributes
/// (so it survives in .epm files): `ep_activation` names the function, `ep_alpha`, `ep_gamma`,
/// `ep_min`, `ep_max` carry its parameters.
public enum FusedActivation {
    public static let key = "ep_activation"

    public static func read(_ node: Node) -> UnaryFunction? {
        guard let name = node.string(key) else { return nil }
        let alpha = node.float("ep_alpha") ?? 0, gamma = node.float("ep_gamma") ?? 0
        switch name {
        case "relu": return .relu
        case "clip": return .clip(min: node.float("ep_min") ?? -.infinity, max: node.float("ep_max") ?? .infinity)
        case "leakyrelu": return .leakyRelu(alpha: alpha)
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "elu": return .elu(alpha: alpha)
        case "selu": return .selu(alpha: alpha, gamma: gamma)
        case "softplus": return .softplus
        default: return nil
        }
    }

    /// Whether `f` can be fused (pure activations; exp/neg/abs/sqrt stay separate ops).
    public static func isFusable(_ f: UnaryFunction) -> Bool {
        switch f {
        case .relu, .clip, .leakyRelu, .sigmoid, .tanh, .elu, .selu, .softplus: return true
        default: return false
        }
    }

    public static func write(_ f: UnaryFunction, into node: inout Node) {
        node.attributes[key] = .string(f.name)
        switch f {
        case .clip(let lo, let hi):
            node.attributes["ep_min"] = .float(lo)
            node.attributes["ep_max"] = .float(hi)
        case .leakyRelu(let a), .elu(let a):
            node.attributes["ep_alpha"] = .float(a)
        case .selu(let a, let g):
            node.attributes["ep_alpha"] = .float(a)
            node.attributes["ep_gamma"] = .float(g)
        default: break
        }
    }
}

/// The output stage of a GEMM-based kernel: the clamp the C kernel applies, plus any activation
/// that must run afterwards in place.
struct OutputStage {
    var params: ep_f32_minmax_params
    var post: UnaryFunction?
    /// "+relu", "+clip", ... for `inspect`; empty without an activation.
    let suffix: String

    init(_ f: UnaryFunction?) {
        suffix = f.map { "+" + $0.name } ?? ""
        if let f, let (lo, hi) = f.clampBounds {
            params = ep_f32_minmax_params(min: lo, max: hi)
            post = nil
        } else {
            params = ep_f32_minmax_params(min: -.infinity, max: .infinity)
            post = f
        }
    }
}
