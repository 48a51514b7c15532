import EdgePruneCore

/// What one node computes, with its attributes resolved when the training graph is built (constant
/// inputs such as Reshape's shape or Clip's bounds included), so forward and backward only see
/// float tensors. An enum rather than a protocol so the generic element type is specialised.
enum TrainOp {
    case gemm(alpha: Double, beta: Double, transA: Bool, transB: Bool)
    case matMul
    case conv(ConvAttributes)
    case relu
    case leakyRelu(alpha: Double)
    case clip(min: Double, max: Double)
    case sigmoid
    case tanh
    case maxPool(PoolAttributes)
    case averagePool(PoolAttributes, countIncludePad: Bool)
    case globalAveragePool
    case flatten(axis: Int)
    case reshape(shape: [Int], allowZero: Bool)
    case identity
    case add
    case concat(axis: Int)
    case softmax(axis: Int, legacy: Bool)
    case batchNorm(epsilon: Double)

    /// ONNX op types training supports.
    static let supported = ["Gemm", "MatMul", "Conv", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "MaxPool",
                            "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Identity", "Dropout", "Add",
                            "Concat", "Softmax", "BatchNormalization"]

    func forward<T: TrainScalar>(_ x: [TrainTensor<T>]) throws -> TrainTensor<T> {
        switch self {
        case .gemm(let alpha, let beta, let ta, let tb): return try LinearMath.gemm(x, alpha: T(alpha), beta: T(beta), transA: ta, transB: tb)
        case .matMul: return try LinearMath.matMul(x[0], x[1])
        case .conv(let a): return try ConvMath.forward(x, a)
        case .relu: return Pointwise.map(x[0]) { $0 > 0 ? $0 : 0 }
        case .leakyRelu(let alpha): let a = T(alpha); return Pointwise.map(x[0]) { $0 >= 0 ? $0 : a * $0 }
        case .clip(let lo, let hi): let l = T(lo), h = T(hi); return Pointwise.map(x[0]) { Swift.min(Swift.max($0, l), h) }
        case .sigmoid: return Pointwise.map(x[0]) { 1 / (1 + T.exp(-$0)) }
        case .tanh: return Pointwise.map(x[0]) { T.tanh($0) }
        case .maxPool(let a): return try PoolMath.maxForward(x[0], a)
        case .averagePool(let a, let cip): return try PoolMath.averageForward(x[0], a, countIncludePad: cip)
        case .globalAveragePool: return try PoolMath.globalAverageForward(x[0])
        case .flatten(let axis): return try ShapeMath.flatten(x[0], axis: axis)
        case .reshape(let shape, let allowZero): return try ShapeMath.reshape(x[0], shape, allowZero: allowZero)
        case .identity: return x[0]
        case .add: return try Broadcast.add(x[0], x[1])
        case .concat(let axis): return try ShapeMath.concat(x, axis: axis)
        case .softmax(let axis, let legacy): return try SoftmaxMath.forward(x[0], axis: axis, legacy: legacy)
        case .batchNorm(let eps): return try NormMath.forward(x, epsilon: T(eps))
        }
    }

    /// dL/dinput for each input, given dL/doutput `g`, the inputs and the output. `needs[i]` is false
    /// for inputs no gradient flows to (constants), which may then get nil.
    func backward<T: TrainScalar>(_ g: TrainTensor<T>, _ x: [TrainTensor<T>], _ y: TrainTensor<T>, needs: [Bool]) -> [TrainTensor<T>?] {
        switch self {
        case .gemm(let alpha, let beta, let ta, let tb):
            return LinearMath.gemmBackward(g, x, alpha: T(alpha), beta: T(beta), transA: ta, transB: tb, needs: needs)
        case .matMul: return LinearMath.matMulBackward(g, x[0], x[1], needs: needs)
        case .conv(let a): return ConvMath.backward(g, x, a, needs: needs)
        case .relu: return [Pointwise.zip(g, x[0]) { gv, xv in xv > 0 ? gv : 0 }]
        case .leakyRelu(let alpha): let a = T(alpha); return [Pointwise.zip(g, x[0]) { gv, xv in xv >= 0 ? gv : a * gv }]
        case .clip(let lo, let hi):
            let l = T(lo), h = T(hi)
            return [Pointwise.zip(g, x[0]) { gv, xv in xv >= l && xv <= h ? gv : 0 }]
        case .sigmoid: return [Pointwise.zip(g, y) { gv, yv in gv * yv * (1 - yv) }]
        case .tanh: return [Pointwise.zip(g, y) { gv, yv in gv * (1 - yv * yv) }]
        case .maxPool(let a): return [PoolMath.maxBackward(g, x[0], a)]
        case .averagePool(let a, let cip): return [PoolMath.averageBackward(g, x[0], a, countIncludePad: cip)]
        case .globalAveragePool: return [PoolMath.globalAverageBackward(g, x[0])]
        case .flatten, .reshape, .identity: return [g.reshaped(x[0].shape)]
        case .add: return Broadcast.addBackward(g, x[0].shape, x[1].shape)
        case .concat(let axis): return ShapeMath.concatBackward(g, x.map(\.shape), axis: axis)
        case .softmax(let axis, let legacy): return [SoftmaxMath.backward(g, y, axis: axis, legacy: legacy)]
        case .batchNorm(let eps): return NormMath.backward(g, x, epsilon: T(eps), needs: needs)
        }
    }
}

/// Elementwise helpers.
enum Pointwise {
    static func map<T: TrainScalar>(_ x: TrainTensor<T>, _ f: (T) -> T) -> TrainTensor<T> {
        TrainTensor(shape: x.shape, data: x.data.map(f))
    }

    static func zip<T: TrainScalar>(_ a: TrainTensor<T>, _ b: TrainTensor<T>, _ f: (T, T) -> T) -> TrainTensor<T> {
        var out = [T](repeating: 0, count: a.count)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                for i in 0..<out.count { out[i] = f(pa[i], pb[i]) }
            }
        }
        return TrainTensor(shape: a.shape, data: out)
    }
}

/// An error naming the op and shapes that training cannot handle.
func trainError(_ message: String) -> EdgePruneError { EdgePruneError(.unsupported, message) }
