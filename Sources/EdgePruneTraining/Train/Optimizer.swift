/// The update rule of fine-tuning.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// SGD with (heavy-ball) momentum; weight decay added to the gradient (L2).
    case sgd
    /// Adam (Kingma & Ba) with decoupled weight decay (AdamW, Loshchilov & Hutter).
    case adam
}

public struct OptimizerSettings: Sendable {
    public var kind: OptimizerKind
    public var learningRate: Double
    public var momentum: Double
    public var weightDecay: Double
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8

    public init(kind: OptimizerKind, learningRate: Double, momentum: Double = 0.9, weightDecay: Double = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }
}

/// Optimizer state for a list of parameters. Masked elements (mask false) never move: their
/// gradient is ignored and they are written back as exactly zero, so pruned weights stay pruned.
struct Optimizer {
    let settings: OptimizerSettings
    var first: [[Float]]
    var second: [[Float]]
    var steps = 0

    init(_ settings: OptimizerSettings, shapes: [Int]) {
        self.settings = settings
        first = shapes.map { [Float](repeating: 0, count: $0) }
        second = settings.kind == .adam ? shapes.map { [Float](repeating: 0, count: $0) } : []
    }

    /// One step on every parameter; `masks[i]` (nil: all trainable) keeps pruned elements at 0.
    mutating func step(_ params: inout [TrainTensor<Float>], _ grads: [TrainTensor<Float>], masks: [[Bool]?], learningRate: Double) {
        steps += 1
        let lr = Float(learningRate), wd = Float(settings.weightDecay)
        let b1 = Float(settings.beta1), b2 = Float(settings.beta2), eps = Float(settings.epsilon)
        let mu = Float(settings.momentum)
        let c1 = 1 - Float(integerPower(settings.beta1, steps)), c2 = 1 - Float(integerPower(settings.beta2, steps))
        for p in params.indices {
            let mask = masks[p]
            params[p].data.withUnsafeMutableBufferPointer { w in
                grads[p].data.withUnsafeBufferPointer { g in
                    first[p].withUnsafeMutableBufferPointer { m in
                        switch settings.kind {
                        case .sgd:
                            for i in 0..<w.count {
                                let d = g[i] + wd * w[i]
                                m[i] = mu * m[i] + d
                                w[i] -= lr * m[i]
                            }
                        case .adam:
                            second[p].withUnsafeMutableBufferPointer { v in
                                for i in 0..<w.count {
                                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                    w[i] -= lr * ((m[i] / c1) / ((v[i] / c2).squareRoot() + eps) + wd * w[i])
                                }
                            }
                        }
                    }
                }
                if let mask { for i in 0..<w.count where !mask[i] { w[i] = 0 } }
            }
        }
    }
}

/// x^n for a small integer n (bias corrections), without Foundation.
func integerPower(_ x: Double, _ n: Int) -> Double {
    var r = 1.0, b = x, e = n
    while e > 0 { if e & 1 == 1 { r *= b }; b *= b; e >>= 1 }
    return r
}
