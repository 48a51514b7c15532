import EdgePruneCore
import EdgePrunePruning
import Foundation
import XCTest
@testable import EdgePruneONNX

/// Pruned models leave EdgePrune as ordinary ONNX: an unstructured level with its zeros stored
/// densely, a structured level physically smaller. ONNX Runtime must compute what we compute.
final class PrunedExportTests: XCTestCase {
    static func fixture(_ relative: String) -> String {
        "\(#filePath)".components(separatedBy: "/Tests/").first! + "/Tests/Fixtures/" + relative
    }

    private var dir: URL!

    override func setUpWithError() throws {
        guard ORTRunner.available() != nil else { throw XCTSkip(ORTRunner.unavailableReason ?? "ONNX Runtime unavailable") }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-pruned-export-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    func maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    /// Exports `graph` at `level`, runs ours and ORT on `x`; returns (ours, ORT, the exported graph).
    func exportAndRun(_ graph: Graph, level: Int, x: Tensor) throws -> ([Float], [Float], Graph) {
        let levelGraph = try PrunedLevels.graph(graph, level: level)
        let path = dir.appendingPathComponent("level\(level).onnx").path
        try ONNXExporter.write(levelGraph, to: path)
        let reloaded = try ModelLoader.load(path)
        let ours = try InferenceSession(graph: reloaded).run([reloaded.runtimeInputs[0].name: x])[reloaded.outputs[0].name]!.floats
        let ort = try ORTRunner.run(model: path, input: x)[0].floats
        return (ours, ort, reloaded)
    }

    func testUnstructuredLevelsAgreeWithONNXRuntime() throws {
        let g = try ModelLoader.load(Self.fixture("models/digits_mlp1024.onnx"))
        let x = try NPY.read(Self.fixture("digits/test_x_mlp.npy"))
        let out = try Pruner.prune(g, options: PruneOptions(levels: [0.5, 0.9], protect: [], latencyRuns: 0), data: nil)
        for level in 1...2 {
            let (ours, ort, exported) = try exportAndRun(out.graph, level: level, x: x)
            XCTAssertLessThanOrEqual(maxDiff(ours, ort), 1e-4, "level \(level)")
            // The zeros travel densely in the ONNX initializers.
            let weights = PrunableLayers.find(exported).map { exported.initializers[$0.weight]!.floats }
            let zeros = weights.reduce(0) { $0 + $1.filter { $0 == 0 }.count }, total = weights.reduce(0) { $0 + $1.count }
            XCTAssertEqual(Double(zeros) / Double(total), out.graph.ladder!.levels[level].sparsity, accuracy: 1e-9)
        }
    }

    func testCompactedChannelLevelIsSmallerAndAgreesWithONNXRuntime() throws {
        let g = try ModelLoader.load(Self.fixture("models/digits_cnn.onnx"))
        let x = try NPY.read(Self.fixture("digits/test_x_cnn.npy"))
        let out = try Pruner.prune(g, options: PruneOptions(granularity: .channel, scope: .layer, levels: [0.5], latencyRuns: 0), data: nil)
        let (ours, ort, exported) = try exportAndRun(out.graph, level: 1, x: x)
        XCTAssertLessThanOrEqual(maxDiff(ours, ort), 1e-4)
        let masked = try InferenceSession(graph: try out.graph.atLadderLevel(1)).run(["input": x])["logits"]!.floats
        XCTAssertLessThanOrEqual(maxDiff(ours, masked), 1e-5, "compacted vs masked")
        let params = { (g: Graph) in g.initializers.values.filter { $0.dtype == .float32 }.reduce(0) { $0 + $1.count } }
        XCTAssertGreaterThanOrEqual(Double(params(g)) / Double(params(exported)), 1.8, "\(params(g)) -> \(params(exported))")
        let macs = { (g: Graph) in try InferenceSession(graph: g).plan(batch: 1).steps.reduce(0) { $0 + $1.macs } }
        XCTAssertGreaterThanOrEqual(Double(try macs(g)) / Double(try macs(exported)), 1.8)
    }
}
