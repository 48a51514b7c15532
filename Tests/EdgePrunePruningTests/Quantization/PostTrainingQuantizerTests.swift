import EdgePruneCore
import EdgePruneONNX
import XCTest
@testable import EdgePrunePruning

/// Post-training int8 quantisation on the digits MLP: every Gemm quantised, accuracy next to f32
/// at every ladder level with pruned weights exactly zero in int8, percentile ranges inside the
/// minmax ones, and bad calibration data refused without touching the model.
final class PostTrainingQuantizerTests: XCTestCase {
    func testDigitsMLPQuantisesEveryGemmAndKeepsItsAccuracy() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: g, labels: false, limit: 300)
        let out = try PostTrainingQuantizer.quantize(g, data: data)
        XCTAssertEqual(out.layers.count, 3)
        XCTAssertEqual(out.levels, 1)
        XCTAssertTrue(out.skipped.isEmpty, out.skipped.description)
        let gemms = out.graph.nodes.filter { $0.opType == "Gemm" }
        XCTAssertEqual(try gemms.compactMap(Int8LinearParams.read).count, 3)
        for l in out.layers {
            XCTAssertLessThanOrEqual(l.inputLo, 0); XCTAssertGreaterThan(l.inputHi, 0)
            XCTAssertEqual(l.xScale, (max(l.inputHi, 0) - min(l.inputLo, 0)) / 255, accuracy: 1e-6)
        }
        // Relu layers: outputs start at 0, zero point 0 (Relu is the kernels' lower clamp).
        XCTAssertEqual(out.layers.prefix(2).map(\.yZeroPoint), [0, 0])
        XCTAssertEqual(out.layers[1].xScale, out.layers[0].yScale, "a layer's input range is the previous layer's output range")
        let session = try InferenceSession(graph: out.graph)
        XCTAssertTrue(try session.plan(batch: 1).steps.allSatisfy { $0.kernel.hasPrefix("ep_qs8_linear_") })
        let f32 = try PruningTestKit.accuracy(g, level: 0, kind: "mlp")
        let int8 = try PruningTestKit.accuracy(out.graph, level: 0, kind: "mlp")
        XCTAssertEqual(int8, f32, accuracy: 0.01, "int8 \(int8) vs f32 \(f32)")
    }

    func testEveryLadderLevelRunsInt8WithPrunedWeightsExactlyZero() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: g, limit: 300)
        let pruned = try Pruner.prune(g, options: PruningTestKit.options([0.5, 0.9], granularity: .block(rows: 4, cols: 4)), data: data).graph
        let out = try PostTrainingQuantizer.quantize(pruned, data: data)
        XCTAssertEqual(out.levels, 3)
        XCTAssertNotNil(out.graph.ladder, "the ladder is kept")
        for level in 0...2 {
            let lg = try PrunedLevels.graph(out.graph, level: level)
            for node in lg.nodes where node.opType == "Gemm" {
                let w = lg.initializers[node.inputs[1]]!
                let rows = w.shape[0], cols = w.shape[1]
                let q = Int8Weights.quantize(rows: rows, cols: cols, w: w.pointer(as: Float.self), rs: cols, cs: 1, bias: nil,
                                             params: try Int8LinearParams.read(node)!)
                let fw = w.floats
                for i in fw.indices where fw[i] == 0 { XCTAssertEqual(q.values[i], 0) }
            }
            let f32 = try PruningTestKit.accuracy(pruned, level: level, kind: "mlp")
            let int8 = try PruningTestKit.accuracy(out.graph, level: level, kind: "mlp")
            XCTAssertEqual(int8, f32, accuracy: 0.015, "level \(level): int8 \(int8) vs f32 \(f32)")
            let plan = try InferenceSession(graph: lg).plan(batch: 1)
            XCTAssertEqual(plan.steps.filter { $0.kernel.hasPrefix("ep_qs8_linear_") }.count, 3, "level \(level)")
        }
    }

    func testQuantizationCheckComparesEveryLevel() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: g, limit: 300)
        let pruned = try Pruner.prune(g, options: PruningTestKit.options([0.6]), data: data).graph
        let out = try PostTrainingQuantizer.quantize(pruned, data: data)
        let check = try QuantizationCheck.compare(f32: pruned, int8: out.graph, data: data, levels: out.levels)
        XCTAssertEqual(check.map(\.level), [0, 1])
        for l in check {
            XCTAssertEqual(l.int8Accuracy, l.f32Accuracy, accuracy: 0.02, "level \(l.level)")
            XCTAssertGreaterThan(l.agreement, 0.97)
        }
        // Against itself: the same predictions.
        XCTAssertEqual(try QuantizationCheck.compare(f32: pruned, int8: pruned, data: data, levels: 2).map(\.agreement), [1, 1])
        let unlabelled = try PruningTestKit.calib("mlp", graph: g, labels: false, limit: 10)
        XCTAssertThrowsError(try QuantizationCheck.compare(f32: g, int8: g, data: unlabelled, levels: 1))
    }

    func testDigitsCNNQuantisesConvAndGemmAndKeepsItsAccuracy() throws {
        let g = try PruningTestKit.model("digits_cnn")
        let data = try PruningTestKit.calib("cnn", graph: g, labels: false, limit: 300)
        let gemmOnly = try PostTrainingQuantizer.quantize(g, data: data)
        XCTAssertEqual(gemmOnly.layers.map(\.opType), ["Gemm", "Gemm"], "Conv only when asked for")
        XCTAssertEqual(gemmOnly.skipped.count, 2)
        XCTAssertTrue(gemmOnly.skipped.allSatisfy { $0.contains("Conv stays f32 unless") }, gemmOnly.skipped.description)
        let out = try PostTrainingQuantizer.quantize(g, data: data, options: .init(includeConv: true))
        XCTAssertEqual(out.layers.map(\.opType), ["Conv", "Conv", "Gemm", "Gemm"])
        let plan = try InferenceSession(graph: out.graph).plan(batch: 1)
        XCTAssertEqual(plan.steps.filter { $0.kernel.contains("ep_qs8_linear_") }.map(\.opType), ["Conv", "Conv", "Gemm", "Gemm"])
        let f32 = try PruningTestKit.accuracy(g, level: 0, kind: "cnn")
        let int8 = try PruningTestKit.accuracy(out.graph, level: 0, kind: "cnn")
        XCTAssertEqual(int8, f32, accuracy: 0.01, "int8 \(int8) vs f32 \(f32)")
    }

    /// The CNN's BatchNormalizations fold into its Convs when a level is prepared, which renames
    /// the weights the ladder codes: calibration masks first and optimises after, and the
    /// parameters go on the model's own nodes (the stored graph is the pruned model unchanged).
    func testCNNLadderWithFoldedBatchNormsRunsInt8AtEveryLevel() throws {
        let g = try PruningTestKit.model("digits_cnn")
        let data = try PruningTestKit.calib("cnn", graph: g, limit: 300)
        let pruned = try Pruner.prune(g, options: PruningTestKit.options([0.5, 0.8], protect: []), data: data).graph
        let out = try PostTrainingQuantizer.quantize(pruned, data: data, options: .init(includeConv: true))
        XCTAssertEqual(out.levels, 3)
        XCTAssertEqual(out.graph.nodes.map(\.opType), pruned.nodes.map(\.opType), "the model's graph, not the optimised one")
        XCTAssertEqual(out.graph.ladder, pruned.ladder)
        XCTAssertEqual(out.layers.map(\.opType), ["Conv", "Conv", "Gemm", "Gemm"])
        for level in 0...2 {
            let plan = try InferenceSession(graph: try PrunedLevels.graph(out.graph, level: level)).plan(batch: 1)
            XCTAssertEqual(plan.steps.filter { $0.kernel.contains("ep_qs8_linear_") }.count, 4, "level \(level)")
            let f32 = try PruningTestKit.accuracy(pruned, level: level, kind: "cnn")
            let int8 = try PruningTestKit.accuracy(out.graph, level: level, kind: "cnn")
            XCTAssertEqual(int8, f32, accuracy: 0.015, "level \(level): int8 \(int8) vs f32 \(f32)")
        }
    }

    func testPercentileRangesLieInsideTheMinMaxRanges() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: g, labels: false, limit: 200)
        let minmax = try PostTrainingQuantizer.quantize(g, data: data)
        let pct = try PostTrainingQuantizer.quantize(g, data: data, options: .init(method: .percentile(99)))
        var narrower = 0
        for (a, b) in zip(minmax.layers, pct.layers) {
            XCTAssertGreaterThanOrEqual(b.inputLo, a.inputLo); XCTAssertLessThanOrEqual(b.inputHi, a.inputHi)
            XCTAssertGreaterThanOrEqual(b.outputLo, a.outputLo); XCTAssertLessThanOrEqual(b.outputHi, a.outputHi)
            if b.outputHi < a.outputHi { narrower += 1 }
        }
        XCTAssertGreaterThan(narrower, 0, "the 99th percentile cuts some outliers")
        XCTAssertTrue(pct.graph.metadata["edgeprune.quantization"]!.contains("percentile 99"))
    }

    func testActivationRangePercentileOnKnownValues() {
        var r = ActivationRange(method: .percentile(90))
        let v = (1...100).map(Float.init)
        v.withUnsafeBufferPointer { r.add($0.baseAddress!, $0.count) }
        let (lo, hi) = r.range()!
        XCTAssertEqual(lo, 11)
        XCTAssertEqual(hi, 90)
        var m = ActivationRange(method: .minMax)
        XCTAssertNil(m.range())
        v.withUnsafeBufferPointer { m.add($0.baseAddress!, $0.count) }
        XCTAssertEqual(m.range()!.lo, 1); XCTAssertEqual(m.range()!.hi, 100)
    }

    func testBadCalibrationDataIsRefused() throws {
        let g = try PruningTestKit.model("digits_mlp")
        // NaN in the data: CalibrationData refuses it, naming sample and element.
        var x = [Float](repeating: 0.5, count: 4 * 64)
        x[2 * 64 + 5] = .nan
        XCTAssertThrowsError(try CalibrationData(inputs: Tensor(x, shape: [4, 64]), labels: nil, for: g)) {
            XCTAssertTrue("\($0)".contains("calibration sample 2, element 5 is nan"), "\($0)")
        }
        // Empty data.
        XCTAssertThrowsError(try CalibrationData(inputs: Tensor([], shape: [0, 64]), labels: nil, for: g))
        let data = try PruningTestKit.calib("mlp", graph: g, labels: false, limit: 10)
        XCTAssertThrowsError(try PostTrainingQuantizer.quantize(g, data: data, options: .init(method: .percentile(30)))) {
            XCTAssertTrue("\($0)".contains("percentile must be in (50, 100]"), "\($0)")
        }
        // A model without quantisable layers: a depthwise Conv stays f32.
        let conv = Graph(nodes: [Node(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"], attributes: ["group": .int(2)])],
                         inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(2), .fixed(4), .fixed(4)])],
                         outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                         initializers: ["w": Tensor([Float](repeating: 1, count: 18), shape: [2, 1, 3, 3])])
        let cdata = try CalibrationData(inputs: Tensor([Float](repeating: 1, count: 64), shape: [2, 2, 4, 4]), labels: nil, for: conv)
        XCTAssertThrowsError(try PostTrainingQuantizer.quantize(conv, data: cdata)) {
            XCTAssertTrue("\($0)".contains("no Gemm/MatMul/Conv layer int8 quantisation supports (c: group 2"), "\($0)")
        }
    }
}
