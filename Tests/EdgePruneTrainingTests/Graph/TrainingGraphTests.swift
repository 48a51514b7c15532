import EdgePruneCore
import EdgePrunePruning
import XCTest
@testable import EdgePruneTraining

/// The training graph: its forward agrees with the inference runtime, its parameter gradients
/// through the whole model and the loss agree with finite differences, and what it cannot train is
/// named.
final class TrainingGraphTests: XCTestCase {
    func testParameterGradientsOfAWholeModelMatchFiniteDifferences() throws {
        let g = TrainingTestKit.tinyCNN()
        let trainable = LevelTraining.trainableTensors(g)
        XCTAssertEqual(trainable, ["w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4", "w5", "b5"])
        let model = try TrainingGraph<Double>(g, trainable: trainable.union(["bn_s", "bn_b"]))
        XCTAssertEqual(model.logitsName, "logits", "the final Softmax is folded into the loss")
        var rng = GradientCheck.Rng(state: 11)
        let x = rng.tensor([3, 1, 6, 6])
        let labels = [0, 2, 1]
        func loss(_ m: TrainingGraph<Double>) throws -> Double {
            CrossEntropy.loss(logits: try m.forward(x).logits, labels: labels[...]).loss
        }
        let (logits, values) = try model.forward(x)
        let grads = try model.backward(values: values, logitsGradient: CrossEntropy.loss(logits: logits, labels: labels[...]).gradient)
        let h = 1e-6
        for (p, name) in model.parameterNames.enumerated() {
            var worst = 0.0
            for i in 0..<model.parameters[p].count {
                var plus = model, minus = model
                plus.parameters[p].data[i] += h
                minus.parameters[p].data[i] -= h
                let numeric = (try loss(plus) - loss(minus)) / (2 * h)
                worst = max(worst, abs(numeric - grads[p].data[i]) / max(abs(numeric), abs(grads[p].data[i]), 1e-6))
            }
            XCTAssertLessThanOrEqual(worst, 1e-3, "\(name)")
        }
    }

    func testForwardAgreesWithTheInferenceRuntime() throws {
        for (name, kind) in [("digits_cnn", "cnn"), ("digits_mlp", "mlp")] {
            let g = try TrainingTestKit.model(name)
            let data = try TrainingTestKit.data(kind, limit: 16)
            let model = try TrainingGraph<Float>(g, trainable: LevelTraining.trainableTensors(g))
            let ours = try model.forward(data.inputs).logits
            let session = try InferenceSession(graph: g)
            let theirs = try session.run([session.inputs[0].name: Tensor(data.inputs.data, shape: data.inputs.shape)])
            let reference = theirs[g.outputs[0].name]!.floats
            XCTAssertEqual(ours.count, reference.count)
            let worst = zip(ours.data, reference).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-4, "\(name): largest logit difference \(worst)")
        }
    }

    /// Models as `convert` writes them (.epm): BatchNorm folded, activations fused into Conv/Gemm
    /// (`ep_activation`), biases into MatMul. Training splits the fused forms again.
    func testFusedFormsTrainLikeTheRuntimeRunsThem() throws {
        for (name, kind) in [("digits_cnn", "cnn"), ("digits_mlp", "mlp")] {
            let fused = try InferenceSession(graph: try TrainingTestKit.model(name)).graph
            XCTAssertTrue(fused.nodes.contains { $0.attributes[FusedActivation.key] != nil }, "\(name) has fused activations")
            let data = try TrainingTestKit.data(kind, limit: 16)
            let model = try TrainingGraph<Float>(fused, trainable: LevelTraining.trainableTensors(fused))
            let session = try InferenceSession(graph: fused)
            let reference = try session.run([session.inputs[0].name: Tensor(data.inputs.data, shape: data.inputs.shape)])[fused.outputs[0].name]!.floats
            let worst = zip(try model.forward(data.inputs).logits.data, reference).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-4, "\(name): largest logit difference \(worst)")
        }
        // A MatMul with its bias fused as a third input, then Relu fused: same as MatMul + Add + Relu.
        var g = Graph(name: "mm", opset: 13)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(3)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(2)])]
        g.initializers = ["w": Tensor([1, -2, 0.5, 1, -1, 2], shape: [3, 2]), "b": Tensor([0.25, -4], shape: [2])]
        var node = Node(name: "mm", opType: "MatMul", inputs: ["x", "w", "b"], outputs: ["y"])
        FusedActivation.write(.relu, into: &node)
        g.nodes = [node]
        XCTAssertEqual(LevelTraining.trainableTensors(g), ["w", "b"], "a fused MatMul's bias trains")
        let m = try TrainingGraph<Double>(g, trainable: ["w", "b"])
        let y = try m.forward(TrainTensor(shape: [1, 3], data: [1, 1, 1])).logits
        XCTAssertEqual(y.data, [0.75, 0])  // [0.5 + 0.25, 2 - 4 -> relu 0]
    }

    /// AveragePool with SAME padding counts the trailing pad like the runtime does.
    func testAveragePoolSamePaddingMatchesTheRuntime() throws {
        var g = Graph(name: "pool", opset: 13)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.fixed(1), .fixed(1), .fixed(5), .fixed(5)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [])]
        g.nodes = [Node(name: "p", opType: "AveragePool", inputs: ["x"], outputs: ["y"],
                        attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER"),
                                     "count_include_pad": .int(1)])]
        let x = (0..<25).map { Float($0) }
        let session = try InferenceSession(graph: g)
        let reference = try session.run(["x": Tensor(x, shape: [1, 1, 5, 5])])["y"]!.floats
        let op = try OpBuilder.make(g.nodes[0], graph: g).0
        let ours = try op.forward([TrainTensor(shape: [1, 1, 5, 5], data: x)])
        XCTAssertEqual(ours.data, reference)
    }

    func testAnOpWithoutABackwardPassIsNamed() throws {
        var g = TrainingTestKit.tinyCNN()
        g.nodes[5] = Node(name: "weird", opType: "Erf", inputs: ["c2"], outputs: ["s2"])
        XCTAssertThrowsError(try TrainingGraph<Float>(g, trainable: ["w1"])) {
            XCTAssertTrue("\($0)".contains("Erf 'weird'") && "\($0)".contains("no backward pass"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingGraph<Float>(TrainingTestKit.tinyCNN(), trainable: ["nosuch"])) {
            XCTAssertTrue("\($0)".contains("'nosuch'"), "\($0)")
        }
    }
}
