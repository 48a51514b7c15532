#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// BatchNormalization (inference) and InstanceNormalization, f32, channel axis 1, any rank >= 2.
/// The planner folds most BatchNormalizations into the preceding Conv/Gemm; this kernel runs the
/// rest. Parameters are read at run time so they may also be graph inputs.
final class ChannelNormKernel: Kernel {
    enum Mode { case batch(epsilon: Float), instance(epsilon: Float) }
    let mode: Mode
    let batch: Int, channels: Int, plane: Int

    init(mode: Mode, batch: Int, channels: Int, plane: Int) {
        self.mode = mode; self.batch = batch; self.channels = channels; self.plane = plane
    }

    func run(inputs: UnsafePointer<UnsafeRawPointer>, outputs: UnsafePointer<UnsafeMutableRawPointer>,
             scratch: UnsafeMutableRawPointer) {
        let x = inputs[0].assumingMemoryBound(to: Float.self)
        let scale = inputs[1].assumingMemoryBound(to: Float.self)
        let shift = inputs[2].assumingMemoryBound(to: Float.self)
        let y = outputs[0].assumingMemoryBound(to: Float.self)
        for n in 0..<batch {
            for c in 0..<channels {
                let base = (n * channels + c) * plane
                var s: Float, b: Float
                switch mode {
                case .batch(let eps):
                    let mean = inputs[3].assumingMemoryBound(to: Float.self)[c]
                    let variance = inputs[4].assumingMemoryBound(to: Float.self)[c]
                    s = scale[c] / sqrtf(variance + eps)
                    b = shift[c] - mean * s
                case .instance(let eps):
                    var sum: Double = 0, sq: Double = 0
                    for i in 0..<plane { let v = Double(x[base + i]); sum += v; sq += v * v }
                    let mean = sum / Double(max(plane, 1))
                    let variance = max(sq / Double(max(plane, 1)) - mean * mean, 0)
                    s = scale[c] / Float((variance + Double(eps)).squareRoot())
                    b = shift[c] - Float(mean) * s
                }
                for i in 0..<plane { y[base + i] = x[base + i] * s + b }
            }
        }
    }
}

enum NormalizationOps {
    static let preparers: [String: OpPreparer] = [
        "BatchNormalization": prepareBatchNorm, "InstanceNormalization": prepareInstanceNorm,
    ]

    static func prepareBatchNorm(_ ctx: OpContext) throws -> PreparedOp {
        if ctx.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw ctx.error("training-mode outputs (running mean/var) are not supported", .unsupported)
        }
        if ctx.int("training_mode", 0) != 0 { throw ctx.error("training_mode=1 is not supported", .unsupported) }
        if ctx.opset < 9 && ctx.int("spatial", 1) == 0 { throw ctx.error("spatial=0 is not supported", .unsupported) }
        let x = try prepareChannelParams(ctx, count: 5)
        let eps = ctx.float("epsilon", 1e-5)
        let plane = x.shape.dropFirst(2).reduce(1, *)
        return .kernel(ChannelNormKernel(mode: .batch(epsilon: eps), batch: x.shape[0], channels: x.shape[1], plane: plane), [x])
    }

    static func prepareInstanceNorm(_ ctx: OpContext) throws -> PreparedOp {
        let x = try prepareChannelParams(ctx, count: 3)
        let eps = ctx.float("epsilon", 1e-5)
        let plane = x.shape.dropFirst(2).reduce(1, *)
        return .kernel(ChannelNormKernel(mode: .instance(epsilon: eps), batch: x.shape[0], channels: x.shape[1], plane: plane), [x])
    }

    /// Checks X (rank >= 2) and `count - 1` per-channel f32 parameter vectors; returns X's type.
    private static func prepareChannelParams(_ ctx: OpContext, count: Int) throws -> TensorType {
        let x = try ctx.floatInput(0)
        guard x.rank >= 2 else { throw ctx.error("input must have rank >= 2, got \(Shape.describe(x.shape))", .shape) }
        for i in 1..<count {
            let p = try ctx.floatInput(i)
            guard p.count == x.shape[1], p.rank == 1 else {
                throw ctx.error("parameter #\(i) has shape \(Shape.describe(p.shape)), expected [\(x.shape[1])]", .shape)
            }
        }
        return x
    }
}
