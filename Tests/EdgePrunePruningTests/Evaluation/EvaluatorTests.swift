import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import XCTest

final class EvaluatorTests: XCTestCase {
    typealias Kit = EvaluationTestKit

    func testStatsOfDigitsMLP() throws {
        let session = try ModelLoader.session(Kit.fixture("models/digits_mlp.onnx"))
        let s = try Evaluator.stats(session)
        XCTAssertEqual(s.parameters, 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10)
        XCTAssertEqual(s.macs, 64 * 128 + 128 * 64 + 64 * 10)
        XCTAssertLessThanOrEqual(s.nonzeros, s.parameters)
        XCTAssertGreaterThan(s.nonzeros, s.parameters * 99 / 100, "a trained dense model has (almost) no exact zeros")
        XCTAssertLessThanOrEqual(s.effectiveMacs, s.macs)
    }

    /// W [3, 4] with 6 of its 12 elements zero and a bias with one zero:
    /// parameters 12 + 3, non-zeros 6 + 2, MACs 12, effective MACs 12 · 6/12 = 6.
    func testStatsCountKnownZeros() throws {
        let w: [Float] = [1, 0, 2, 0,
                          0, 0, 3, 4,
                          5, 0, 0, 6]
        let s = try Evaluator.stats(try Kit.session(Kit.gemm(w, outputs: 3, inputs: 4, bias: [0.5, 0, -1])))
        XCTAssertEqual(s, ModelStats(parameters: 15, nonzeros: 8, macs: 12, effectiveMacs: 6))
    }

    /// Stats follow a ladder level: the level's zeros show in non-zeros and effective MACs.
    func testStatsFollowLadderLevels() throws {
        let graph = Kit.magnitudeLadder(try ModelLoader.load(Kit.fixture("models/digits_mlp.onnx")), sparsities: [0.5, 0.9])
        let dense = try Evaluator.stats(try Kit.session(try PrunedLevels.graph(graph, level: 0)))
        let half = try Evaluator.stats(try Kit.session(try PrunedLevels.graph(graph, level: 1)))
        let sparse = try Evaluator.stats(try Kit.session(try PrunedLevels.graph(graph, level: 2)))
        let weights = 64 * 128 + 128 * 64 + 64 * 10
        XCTAssertEqual(half.parameters, dense.parameters)
        XCTAssertEqual(dense.nonzeros - half.nonzeros, weights / 2, accuracy: 3)
        XCTAssertEqual(Double(half.effectiveMacs), Double(dense.macs) * 0.5, accuracy: 3)
        XCTAssertEqual(Double(sparse.effectiveMacs), Double(dense.macs) * 0.1, accuracy: 3)
        XCTAssertEqual(sparse.macs, dense.macs, "dense MACs do not depend on the zeros")
    }

    func testPredictMatchesArgmaxAndDigitsAccuracy() throws {
        // Identity-like Gemm: the prediction is the index of the largest input.
        let eye: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        let session = try Kit.session(Kit.gemm(eye, outputs: 3, inputs: 3, bias: [0, 0, 0]))
        let x = Tensor([0.1, 0.9, 0.2, 5, 1, 1, -1, -2, -0.5, 0.3, 0.3, 0.1, 0, 0, 7], shape: [5, 3])
        var calls: [(Int, Int)] = []
        XCTAssertEqual(try Evaluator.predict(session, data: x, batch: 2) { calls.append(($0, $1)) }, [1, 0, 2, 0, 2])
        XCTAssertEqual(calls.map(\.0), [0, 2, 4, 5], "progress after each batch")
        XCTAssertTrue(calls.allSatisfy { $0.1 == 5 })

        let cnn = try ModelLoader.session(Kit.fixture("models/digits_cnn.onnx"))
        let data = try NPY.read(Kit.fixture("digits/test_x_cnn.npy"))
        let labels = try NPY.read(Kit.fixture("digits/test_y.npy")).asInts()
        let predicted = try Evaluator.predict(cnn, data: data, batch: 50)
        let r = ClassificationMetrics.report(predicted: predicted, labels: labels, classes: 10)
        XCTAssertEqual(r.accuracy, 0.9889, accuracy: 5e-5, "test_accuracy_ort of Tests/Fixtures/digits/info.json")
        XCTAssertEqual(try Evaluator.predict(cnn, data: data, batch: 7), predicted, "batch size changes nothing")
    }

    func testPredictRejectsDataOfTheWrongShape() throws {
        let session = try Kit.session(Kit.gemm([1, 0, 0, 1], outputs: 2, inputs: 2, bias: [0, 0]))
        assertEvaluationError("expects [N,2]") { _ = try Evaluator.predict(session, data: Tensor([1, 2, 3], shape: [1, 3])) }
        assertEvaluationError("expects [N,2]") { _ = try Evaluator.predict(session, data: Tensor([1, 2], shape: [2])) }
        assertEvaluationError("no samples") { _ = try Evaluator.predict(session, data: Tensor([], shape: [0, 2])) }
        assertEvaluationError("batch must be at least 1") { _ = try Evaluator.predict(session, data: Tensor([1, 2], shape: [1, 2]), batch: 0) }
    }

    func testLatencyIsPositiveAndOrdered() throws {
        let session = try ModelLoader.session(Kit.fixture("models/digits_mlp.onnx"))
        let data = try NPY.read(Kit.fixture("digits/test_x_mlp.npy"))
        let l = try Evaluator.latency(session, sample: LevelEvaluator.firstSample(data), runs: 30, warmup: 3)
        XCTAssertEqual(l.runs, 30)
        XCTAssertGreaterThan(l.p50Micros, 0)
        XCTAssertLessThanOrEqual(l.p50Micros, l.p95Micros)
        assertEvaluationError("one sample") { _ = try Evaluator.latency(session, sample: data, runs: 1, warmup: 0) }
    }
}
