import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import XCTest

/// The `profile` measurements on an in-memory ladder (and the same ladder through an .epm).
final class LevelEvaluationTests: XCTestCase {
    typealias Kit = EvaluationTestKit

    func testEveryLevelOfAMagnitudeLadder() throws {
        let graph = Kit.magnitudeLadder(try ModelLoader.load(Kit.fixture("models/digits_mlp.onnx")), sparsities: [0.5, 0.8, 0.95])
        let data = try NPY.read(Kit.fixture("digits/test_x_mlp.npy"))
        let labels = try NPY.read(Kit.fixture("digits/test_y.npy")).asInts()
        let options = LevelEvaluator.Options(batch: 64, latencyRuns: 10, warmupRuns: 2, attributionSamples: 32)
        var stages = Set<String>()
        let reports = try (0...3).map { level in
            try LevelEvaluator.evaluate(graph, level: level, data: data, labels: labels, options: options,
                                        makeSession: Kit.session) { stage, _, _ in stages.insert(stage) }
        }
        XCTAssertEqual(stages, ["predict", "latency", "attribution"])
        XCTAssertEqual(reports.map(\.sparsity), [0, 0.5, 0.8, 0.95])
        XCTAssertEqual(reports[0].classification?.accuracy ?? 0, 0.9694, accuracy: 5e-5, "info.json test_accuracy_ort")
        for (a, b) in zip(reports, reports.dropFirst()) {
            XCTAssertLessThan(b.stats.nonzeros, a.stats.nonzeros)
            XCTAssertLessThan(b.stats.effectiveMacs, a.stats.effectiveMacs)
            XCTAssertEqual(b.stats.parameters, a.stats.parameters)
        }
        XCTAssertLessThan(reports[3].epmBytes, reports[0].epmBytes / 3, "a 95 % sparse level is stored as csr")
        XCTAssertLessThan(reports[3].classification!.accuracy, reports[0].classification!.accuracy)
        XCTAssertTrue(reports.allSatisfy { $0.kernels.count == 3 && $0.kernels.allSatisfy { $0.opType == "Gemm" } })
        XCTAssertTrue(reports.allSatisfy { ($0.latency?.p50Micros ?? 0) > 0 && $0.attribution?.samples == 32 })

        // The same ladder stored in an .epm and read back measures the same.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eval-ladder-\(UUID().uuidString).epm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try EPMWriter.write(graph, to: path)
        let loaded = try ModelLoader.load(path)
        XCTAssertEqual(loaded.ladder?.topLevel, 3)
        let again = try LevelEvaluator.evaluate(loaded, level: 2, data: data, labels: labels,
                                                options: .init(latencyRuns: 0), makeSession: Kit.session)
        XCTAssertEqual(again.classification, reports[2].classification)
        XCTAssertEqual(again.stats, reports[2].stats)
        XCTAssertNil(again.latency)
        XCTAssertNil(again.attribution)
    }

    func testBadLabelsAndLevels() throws {
        let graph = try ModelLoader.load(Kit.fixture("models/digits_mlp.onnx"))
        let data = try NPY.read(Kit.fixture("digits/test_x_mlp.npy"))
        var labels = try NPY.read(Kit.fixture("digits/test_y.npy")).asInts()
        labels[17] = 10
        assertEvaluationError("label 17 is 10") {
            _ = try LevelEvaluator.evaluate(graph, level: 0, data: data, labels: labels, makeSession: Kit.session)
        }
        assertEvaluationError("359 labels for 360 samples") {
            _ = try LevelEvaluator.evaluate(graph, level: 0, data: data, labels: Array(labels.prefix(359)), makeSession: Kit.session)
        }
        assertEvaluationError("no sparsity ladder") {
            _ = try LevelEvaluator.evaluate(graph, level: 1, data: data, labels: nil, makeSession: Kit.session)
        }
        let noLabels = try LevelEvaluator.evaluate(graph, level: 0, data: data, labels: nil,
                                                   options: .init(latencyRuns: 0), makeSession: Kit.session)
        XCTAssertNil(noLabels.classification)
        XCTAssertEqual(noLabels.sparsity, 1 - Double(noLabels.stats.nonzeros) / Double(noLabels.stats.parameters))
    }
}
