import Foundation
import XCTest
@testable import EdgePruneCore

/// int8 quantisation parameters in .epm files: written as node attributes, read back identical,
/// the loaded model computes the same bits, and the header's minor version says which files
/// may carry them.
final class EPMInt8Tests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-epm-int8-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testParametersRoundTripAndTheModelComputesTheSame() throws {
        var rng = TestRandom(seed: 9)
        var fc1 = Node(name: "fc1", opType: "Gemm", inputs: ["x", "w1", "b1"], outputs: ["h"], attributes: ["transB": .int(1)])
        FusedActivation.write(.relu, into: &fc1)
        let p1 = Int8LinearParams(xScale: 0.0078125, xZeroPoint: 127, yScale: 0.0313, yZeroPoint: 0)
        p1.write(into: &fc1)
        var fc2 = Node(name: "fc2", opType: "MatMul", inputs: ["h", "w2", "b2"], outputs: ["y"])
        let p2 = Int8LinearParams(xScale: 0.0313, xZeroPoint: 0, yScale: 0.11, yZeroPoint: 131)
        p2.write(into: &fc2)
        let g = Graph(nodes: [fc1, fc2], inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(24)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                      initializers: ["w1": rng.tensor([32, 24]), "b1": rng.tensor([32]), "w2": rng.tensor([32, 7]), "b2": rng.tensor([7])])
        let path = dir.appendingPathComponent("q.epm").path
        try EPMWriter.write(g, to: path)
        let bytes = try FileIO.read(path, maxBytes: 1 << 20)
        XCTAssertEqual(UInt16(bytes[10]) | UInt16(bytes[11]) << 8, EPMFormat.minorVersion)
        XCTAssertGreaterThanOrEqual(EPMFormat.minorVersion, 3, "minor 3 introduced the ep_q_* attributes")
        let loaded = try EPMReader.load(path)
        XCTAssertEqual(try Int8LinearParams.read(loaded.nodes.first { $0.name == "fc1" }!), p1)
        XCTAssertEqual(try Int8LinearParams.read(loaded.nodes.first { $0.name == "fc2" }!), p2)
        let x = rng.tensor([3, 24])
        let before = try InferenceSession(graph: g).run(["x": x])["y"]!
        let after = try InferenceSession(graph: loaded).run(["x": x])["y"]!
        XCTAssertEqual(before.floats, after.floats)
        let plan = try InferenceSession(graph: loaded).plan(batch: 1)
        XCTAssertEqual(plan.steps.map { $0.kernel.hasPrefix("ep_qs8_linear_") }, [true, true])
    }
}
