import XCTest
@testable import EdgePruneTraining

/// Every op with a backward pass against finite differences (relative error <= 1e-3).
final class OpGradientTests: XCTestCase {
    var rng = GradientCheck.Rng(state: 42)

    func testGemmAllTransposesAndBiasShapes() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rng.tensor(ta ? [4, 3] : [3, 4]), b = rng.tensor(tb ? [5, 4] : [4, 5])
                for c in [[5], [1, 5], [3, 5], [3, 1]] {
                    GradientCheck.assertChecks(.gemm(alpha: 0.7, beta: 1.3, transA: ta, transB: tb), [a, b, rng.tensor(c)],
                                               "Gemm transA \(ta) transB \(tb) C \(c)")
                }
                GradientCheck.assertChecks(.gemm(alpha: 1, beta: 1, transA: ta, transB: tb), [a, b], "Gemm without C")
            }
        }
    }

    func testMatMul() {
        GradientCheck.assertChecks(.matMul, [rng.tensor([3, 4]), rng.tensor([4, 2])], "MatMul 2-D")
        GradientCheck.assertChecks(.matMul, [rng.tensor([2, 3, 4]), rng.tensor([4, 2])], "MatMul batched A")
    }

    func conv(_ spatial: Int, strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1], group: Int = 1,
              autoPad: String = "NOTSET") -> TrainOp {
        .conv(ConvAttributes(spatial: spatial, strides: strides, pads: pads, dilations: dilations, group: group, autoPad: autoPad))
    }

    func testConv2D() {
        GradientCheck.assertChecks(conv(2), [rng.tensor([2, 3, 5, 5]), rng.tensor([4, 3, 3, 3]), rng.tensor([4])], "Conv 2-D plain")
        GradientCheck.assertChecks(conv(2, strides: [2, 1], pads: [1, 0, 1, 2], dilations: [1, 2]),
                                   [rng.tensor([1, 2, 6, 7]), rng.tensor([3, 2, 3, 2]), rng.tensor([3])], "Conv 2-D stride/pad/dilation")
        GradientCheck.assertChecks(conv(2, group: 2), [rng.tensor([1, 4, 4, 4]), rng.tensor([6, 2, 2, 2])], "Conv 2-D groups")
        GradientCheck.assertChecks(conv(2, pads: [1, 1, 1, 1], group: 3), [rng.tensor([2, 3, 4, 4]), rng.tensor([3, 1, 3, 3]), rng.tensor([3])],
                                   "Conv 2-D depthwise")
        GradientCheck.assertChecks(conv(2, strides: [2, 2], autoPad: "SAME_UPPER"), [rng.tensor([1, 2, 5, 5]), rng.tensor([2, 2, 3, 3])],
                                   "Conv 2-D SAME_UPPER")
    }

    func testConv1D() {
        GradientCheck.assertChecks(conv(1, strides: [1, 2], pads: [0, 1, 0, 1]), [rng.tensor([2, 3, 9]), rng.tensor([4, 3, 3]), rng.tensor([4])],
                                   "Conv 1-D")
        GradientCheck.assertChecks(conv(1, dilations: [1, 2], group: 2), [rng.tensor([1, 4, 8]), rng.tensor([2, 2, 2])], "Conv 1-D dilated groups")
    }

    func testActivations() {
        // Inputs kept 0.05 away from the kinks (0 for Relu/LeakyRelu, the bounds for Clip).
        let x = rng.tensor([3, 7], awayFromZero: 0.05)
        GradientCheck.assertChecks(.relu, [x], "Relu")
        GradientCheck.assertChecks(.leakyRelu(alpha: 0.1), [x], "LeakyRelu")
        let clipped = TrainTensor(shape: [2, 5], data: [-0.9, -0.3, 0.2, 0.45, 0.8, -0.65, 0.1, 0.7, -0.1, 0.3])
        GradientCheck.assertChecks(.clip(min: -0.5, max: 0.5), [clipped], "Clip")
        GradientCheck.assertChecks(.sigmoid, [rng.tensor([4, 5])], "Sigmoid")
        GradientCheck.assertChecks(.tanh, [rng.tensor([4, 5])], "Tanh")
    }

    /// Distinct values so the arg-max of every window is unique (finite differences of a max
    /// over ties are not a gradient).
    func distinct(_ shape: [Int]) -> TrainTensor<Double> {
        let n = shape.reduce(1, *)
        var values = (0..<n).map { Double($0) / Double(n) - 0.5 }
        var r = GradientCheck.Rng(state: 3)
        for i in stride(from: n - 1, to: 0, by: -1) { values.swapAt(i, Int((r.next() + 1) / 2 * Double(i))) }
        return TrainTensor(shape: shape, data: values)
    }

    func pool(_ spatial: Int, kernel: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], ceil: Bool = false) -> PoolAttributes {
        PoolAttributes(spatial: spatial, kernel: kernel, strides: strides, pads: pads, dilations: [1, 1], ceilMode: ceil, autoPad: "NOTSET")
    }

    func testPools() {
        GradientCheck.assertChecks(.maxPool(pool(2, kernel: [2, 2], strides: [2, 2])), [distinct([2, 3, 4, 4])], "MaxPool 2x2")
        GradientCheck.assertChecks(.maxPool(pool(2, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil: true)), [distinct([1, 2, 6, 5])],
                                   "MaxPool 3x3 padded ceil")
        GradientCheck.assertChecks(.maxPool(pool(1, kernel: [1, 3], strides: [1, 2])), [distinct([2, 2, 9])], "MaxPool 1-D")
        for cip in [false, true] {
            GradientCheck.assertChecks(.averagePool(pool(2, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), countIncludePad: cip),
                                       [rng.tensor([1, 2, 5, 5])], "AveragePool padded count_include_pad \(cip)")
        }
        GradientCheck.assertChecks(.averagePool(pool(1, kernel: [1, 2], strides: [1, 2]), countIncludePad: false), [rng.tensor([2, 3, 8])],
                                   "AveragePool 1-D")
        GradientCheck.assertChecks(.globalAveragePool, [rng.tensor([2, 3, 4, 4])], "GlobalAveragePool")
    }

    func testShapesAddConcat() {
        GradientCheck.assertChecks(.flatten(axis: 1), [rng.tensor([2, 3, 2, 2])], "Flatten")
        GradientCheck.assertChecks(.reshape(shape: [0, -1], allowZero: false), [rng.tensor([2, 3, 4])], "Reshape")
        GradientCheck.assertChecks(.identity, [rng.tensor([3, 3])], "Identity")
        GradientCheck.assertChecks(.add, [rng.tensor([2, 3, 4]), rng.tensor([3, 1])], "Add broadcast")
        GradientCheck.assertChecks(.add, [rng.tensor([2, 3]), rng.tensor([2, 3])], "Add same shape")
        GradientCheck.assertChecks(.concat(axis: 1), [rng.tensor([2, 3, 2]), rng.tensor([2, 1, 2]), rng.tensor([2, 2, 2])], "Concat axis 1")
        GradientCheck.assertChecks(.concat(axis: -1), [rng.tensor([2, 3]), rng.tensor([2, 4])], "Concat last axis")
    }

    func testSoftmaxAndBatchNorm() {
        GradientCheck.assertChecks(.softmax(axis: -1, legacy: false), [rng.tensor([3, 5])], "Softmax last axis")
        GradientCheck.assertChecks(.softmax(axis: 1, legacy: false), [rng.tensor([2, 3, 4])], "Softmax middle axis")
        GradientCheck.assertChecks(.softmax(axis: 1, legacy: true), [rng.tensor([2, 3, 4])], "Softmax opset < 13")
        let variance = TrainTensor(shape: [3], data: [0.5, 1.2, 2.0])
        GradientCheck.assertChecks(.batchNorm(epsilon: 1e-5), [rng.tensor([2, 3, 2, 2]), rng.tensor([3]), rng.tensor([3]), rng.tensor([3]), variance],
                                   needs: [true, true, true, false, false], "BatchNormalization")
    }

    func testSoftmaxCrossEntropy() {
        let logits = rng.tensor([4, 6])
        let labels = [0, 5, 2, 2]
        let (_, g) = CrossEntropy.loss(logits: logits, labels: labels[...])
        let h = 1e-6
        var worst = 0.0
        for j in 0..<logits.count {
            var p = logits, m = logits
            p.data[j] += h
            m.data[j] -= h
            let numeric = (CrossEntropy.loss(logits: p, labels: labels[...]).loss - CrossEntropy.loss(logits: m, labels: labels[...]).loss) / (2 * h)
            worst = max(worst, abs(numeric - g.data[j]) / max(abs(numeric), abs(g.data[j]), 1e-6))
        }
        XCTAssertLessThanOrEqual(worst, 1e-3)
    }

    /// A wrong backward must fail the check (the check can fail).
    func testTheCheckCatchesAWrongGradient() throws {
        let x = rng.tensor([3, 4], awayFromZero: 0.05)
        // Sigmoid's backward applied to Tanh's output is wrong for Tanh: feed it through the checker's maths.
        let y = try TrainOp.tanh.forward([x])
        let wrong = TrainOp.sigmoid.backward(y, [x], y, needs: [true])[0]!
        let right = TrainOp.tanh.backward(y, [x], y, needs: [true])[0]!
        XCTAssertGreaterThan(zip(wrong.data, right.data).map { abs($0 - $1) }.max()!, 1e-2)
        XCTAssertGreaterThan(try GradientCheck.errors(.relu, [TrainTensor(shape: [1], data: [0])])[0], 0.1, "a kink is visible")
    }
}
