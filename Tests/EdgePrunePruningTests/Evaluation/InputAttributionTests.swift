import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import XCTest

final class InputAttributionTests: XCTestCase {
    typealias Kit = EvaluationTestKit

    /// Input feature 2 has a zero weight column: occluding it changes nothing, importance 0.
    /// Feature 0 has weights twice those of feature 1 over the same data spread: the linear
    /// model's importance is Σ_o |W[o,f]| · mean_s |x_sf − mean_f| / O, so it ranks first.
    func testZeroWeightColumnHasZeroImportance() throws {
        let w: [Float] = [2, 1, 0, 0.5,
                          -2, 1, 0, 0.5]
        let session = try Kit.session(Kit.gemm(w, outputs: 2, inputs: 4, bias: [0.1, -0.1]))
        let x = Tensor(Kit.values(40 * 4, seed: 3), shape: [40, 4])
        let a = try InputAttribution.occlusion(session, data: x)
        XCTAssertEqual(a.unit, "feature")
        XCTAssertEqual(a.unitShape, [4])
        XCTAssertEqual(a.samples, 40)
        XCTAssertEqual(a.importance[2], 0)
        XCTAssertTrue(a.importance.enumerated().allSatisfy { $0.offset == 2 || $0.element > 0 })
        // Exact value for the linear model, feature 3: 0.5 · mean_s |x_s3 − mean_3|.
        let v = x.floats
        let col3 = (0..<40).map { Double(v[$0 * 4 + 3]) }
        let mean3 = Double(Float(col3.reduce(0, +) / 40))
        let expected = 0.5 * col3.map { abs($0 - mean3) }.reduce(0, +) / 40
        XCTAssertEqual(a.importance[3], expected, accuracy: 1e-5)
        XCTAssertEqual(try InputAttribution.occlusion(session, data: x), a, "deterministic")
        // With fewer samples it uses an evenly spread subset.
        XCTAssertEqual(try InputAttribution.occlusion(session, data: x, maxSamples: 8).samples, 8)
    }

    /// Inputs with more than 256 features per sample are attributed per channel (axis 1).
    func testChannelUnitsForLargeInputs() throws {
        // 1×1 Conv from 2 channels to 1 with weights [1, 0]: channel 1 is ignored.
        let graph = Graph(
            name: "conv",
            nodes: [Node(name: "c", opType: "Conv", inputs: ["x", "W"], outputs: ["y"], attributes: ["kernel_shape": .ints([1, 1])])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(2), .fixed(12), .fixed(12)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(1), .fixed(12), .fixed(12)])],
            initializers: ["W": Tensor([1, 0], shape: [1, 2, 1, 1])])
        let x = Tensor(Kit.values(6 * 2 * 144, seed: 9), shape: [6, 2, 12, 12])
        var last = (0, 0)
        let a = try InputAttribution.occlusion(try Kit.session(graph), data: x) { last = ($0, $1) }
        XCTAssertEqual(a.unit, "channel")
        XCTAssertEqual(a.unitShape, [2])
        XCTAssertGreaterThan(a.importance[0], 0.1)
        XCTAssertEqual(a.importance[1], 0)
        XCTAssertEqual(last.0, last.1, "progress ends at its total")
    }

    func testDropsRankLargestFirst() throws {
        let before = AttributionResult(unit: "feature", unitShape: [5], importance: [1, 2, 0.5, 3, 0.1], samples: 4)
        let after = AttributionResult(unit: "feature", unitShape: [5], importance: [0.2, 2.5, 0.1, 1, 0.1], samples: 4)
        let d = try InputAttribution.drops(from: before, to: after, top: 2)
        XCTAssertEqual(d.map(\.index), [3, 0])
        XCTAssertEqual(d[0].before, 3)
        XCTAssertEqual(d[0].after, 1)
        XCTAssertEqual(d[0].drop, 2)
        XCTAssertEqual(try InputAttribution.drops(from: before, to: after, top: 10).map(\.index), [3, 0, 2],
                       "only units that lost importance")
        let other = AttributionResult(unit: "channel", unitShape: [5], importance: [0, 0, 0, 0, 0], samples: 4)
        assertEvaluationError("attributions differ") { _ = try InputAttribution.drops(from: before, to: other) }
    }

    /// On the digits MLP pruned to 90 %, the features whose first-layer weights were all pruned
    /// lose their importance completely (pixels at the border of the 8×8 digits are constant 0
    /// in the data and have importance 0 at every level).
    func testPrunedDigitsMLPLosesImportance() throws {
        let graph = Kit.magnitudeLadder(try ModelLoader.load(Kit.fixture("models/digits_mlp.onnx")), sparsities: [0.9])
        let data = try NPY.read(Kit.fixture("digits/test_x_mlp.npy"))
        let a0 = try InputAttribution.occlusion(try Kit.session(try PrunedLevels.graph(graph, level: 0)), data: data, maxSamples: 64)
        let a1 = try InputAttribution.occlusion(try Kit.session(try PrunedLevels.graph(graph, level: 1)), data: data, maxSamples: 64)
        XCTAssertEqual(a0.unit, "feature")
        XCTAssertEqual(a0.importance.count, 64)
        let v = data.floats
        let constant = (0..<64).filter { f in (0..<360).allSatisfy { v[$0 * 64 + f] == v[f] } }
        XCTAssertFalse(constant.isEmpty)
        for f in constant { XCTAssertEqual(a0.importance[f], 0, "feature \(f) is constant") }
        let drops = try InputAttribution.drops(from: a0, to: a1, top: 5)
        XCTAssertEqual(drops.count, 5)
        XCTAssertTrue(drops.allSatisfy { $0.drop > 0 && $0.after < $0.before })
    }
}
