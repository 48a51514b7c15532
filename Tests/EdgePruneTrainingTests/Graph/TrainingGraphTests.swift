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
