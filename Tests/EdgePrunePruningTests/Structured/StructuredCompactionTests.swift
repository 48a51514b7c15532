import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

/// Masking then compacting: same outputs as the masked model, fewer parameters and MACs.
final class StructuredCompactionTests: XCTestCase {
    /// Masks half the channels of every prunable group, compacts, and checks the compacted model
    /// against the masked one on the fixture input. Returns (parameter ratio, MAC ratio).
    @discardableResult
    func checkHalfMaskedCompaction(_ model: String, input: String, tolerance: Float = 1e-5,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> (Double, Double) {
        let graph = try StructuredKit.load(model)
        let x = try StructuredKit.npy(input)
        let groups = try ChannelGroups.analyze(graph)
        let masked = try StructuredKit.maskHalf(graph, groups)
        let result = try StructuredCompaction.compact(masked)
        for group in groups where group.prunable {
            XCTAssertEqual(result.removed[group.id], Array(stride(from: 1, to: group.channels, by: 2)),
                           "group \(group.id) \(group.producers)", file: file, line: line)
        }
        XCTAssertEqual(Set(result.removed.keys), Set(groups.filter { $0.prunable && $0.channels > 1 }.map(\.id)), file: file, line: line)
        let original = try StructuredKit.run(graph, x)
        let maskedOut = try StructuredKit.run(masked, x)
        let compactOut = try StructuredKit.run(result.graph, x)
        XCTAssertGreaterThan(StructuredKit.maxAbsDiff(original, maskedOut), 1e-4, "masking changed nothing", file: file, line: line)
        let scale = max(1, maskedOut.floats.map(abs).max() ?? 0)
        XCTAssertLessThanOrEqual(StructuredKit.maxAbsDiff(maskedOut, compactOut), tolerance * scale, file: file, line: line)
        // Compacting again finds nothing more: every remaining channel is live.
        XCTAssertTrue(try StructuredCompaction.compact(result.graph).removed.isEmpty, file: file, line: line)
        let paramRatio = Double(StructuredKit.parameters(graph)) / Double(StructuredKit.parameters(result.graph))
        let macRatio = Double(try StructuredKit.macs(graph)) / Double(try StructuredKit.macs(result.graph))
        XCTAssertGreaterThan(paramRatio, 1.05, file: file, line: line)
        XCTAssertGreaterThan(macRatio, 1.05, file: file, line: line)
        print("structured half-channel compaction of \(model): parameters \(StructuredKit.parameters(graph)) -> \(StructuredKit.parameters(result.graph)) (\(String(format: "%.2f", paramRatio))x), MACs \(try StructuredKit.macs(graph)) -> \(try StructuredKit.macs(result.graph)) (\(String(format: "%.2f", macRatio))x)")
        return (paramRatio, macRatio)
    }

    func testDigitsCNNHalfChannelsCompactsExactlyAndCutsCost() throws {
        let (params, macs) = try checkHalfMaskedCompaction("models/digits_cnn.onnx", input: "digits/test_x_cnn.npy")
        XCTAssertGreaterThanOrEqual(params, 1.8)
        XCTAssertGreaterThanOrEqual(macs, 1.8)
        let compacted = try StructuredCompaction.compact(
            StructuredKit.maskHalf(StructuredKit.load("models/digits_cnn.onnx"),
                                   ChannelGroups.analyze(StructuredKit.load("models/digits_cnn.onnx")))).graph
        XCTAssertEqual(compacted.initializers["features.3.weight"]?.shape, [16, 8, 3, 3])
        XCTAssertEqual(compacted.initializers["features.4.running_var"]?.shape, [16])
        XCTAssertEqual(compacted.initializers["classifier.1.weight"]?.shape, [32, 256])
        XCTAssertEqual(compacted.initializers["classifier.4.weight"]?.shape, [10, 32])
    }

    func testResidualAddCompaction() throws {
        try checkHalfMaskedCompaction("zoo/tiny_resnet_op17/model.onnx", input: "zoo/tiny_resnet_op17/input.npy")
    }

    func testConcatCompaction() throws {
        try checkHalfMaskedCompaction("zoo/squeezenet1_1_op11/model.onnx", input: "zoo/squeezenet1_1_op11/input.npy")
        try checkHalfMaskedCompaction("zoo/inception_block_op15/model.onnx", input: "zoo/inception_block_op15/input.npy")
    }

    func testDepthwiseCompactionFixesConvGroups() throws {
        try checkHalfMaskedCompaction("zoo/mobilenet_v2_w050_op13/model.onnx", input: "zoo/mobilenet_v2_w050_op13/input.npy")
        try checkHalfMaskedCompaction("zoo/dwsep_residual_op17/model.onnx", input: "zoo/dwsep_residual_op17/input.npy")
        let graph = try StructuredKit.load("zoo/mobilenet_v2_w050_op13/model.onnx")
        let compacted = try StructuredCompaction.compact(StructuredKit.maskHalf(graph, ChannelGroups.analyze(graph))).graph
        var depthwise = 0
        for node in compacted.nodes where node.opType == "Conv" && (node.int("group") ?? 1) > 1 {
            let w = compacted.initializers[node.inputs[1]]!
            XCTAssertEqual(node.int("group"), w.shape[0], node.name)
            depthwise += 1
        }
        XCTAssertGreaterThan(depthwise, 5)
    }

    func testRank3FlattenAndMatMulCompaction() throws {
        try checkHalfMaskedCompaction("zoo/conv1d_net_bn_op15/model.onnx", input: "zoo/conv1d_net_bn_op15/input.npy")
        try checkHalfMaskedCompaction("zoo/mlp_gemm_op13/model.onnx", input: "zoo/mlp_gemm_op13/input.npy")
    }

    func testUnmaskedModelsAreReturnedUnchanged() throws {
        for model in ["models/digits_cnn.onnx", "zoo/tiny_resnet_op17/model.onnx", "zoo/squeezenet1_1_op11/model.onnx",
                      "zoo/mobilenet_v2_w050_op13/model.onnx", "zoo/mlp_gemm_op13/model.onnx"] {
            let graph = try StructuredKit.load(model)
            let result = try StructuredCompaction.compact(graph)
            XCTAssertTrue(result.removed.isEmpty, model)
            XCTAssertEqual(result.graph.nodes.count, graph.nodes.count, model)
            XCTAssertEqual(Set(result.graph.initializers.keys), Set(graph.initializers.keys), model)
            for (name, t) in graph.initializers {
                XCTAssertEqual(result.graph.initializers[name]?.raw, t.raw, "\(model): '\(name)' was rewritten")
            }
        }
    }

    func testZeroWeightsWithLiveBiasOrBNShiftAreKept() throws {
        let graph = try StructuredKit.load("models/digits_cnn.onnx")
        let groups = try ChannelGroups.analyze(graph)
        var g = try ChannelMasking.mask(graph, group: groups[2], channels: [3, 5])
        // Channel 5 of the hidden Gemm gets its bias back: it outputs relu(0.5), not 0.
        let bias = g.initializers["classifier.1.bias"]!.copy()
        bias.pointer(as: Float.self)[5] = 0.5
        g.initializers["classifier.1.bias"] = bias
        // Conv channel 2: filter and bias zero, but BN's beta still shifts it.
        let w = g.initializers["features.0.weight"]!.copy()
        for i in 18..<27 { w.pointer(as: Float.self)[i] = 0 }
        g.initializers["features.0.weight"] = w
        let b = g.initializers["features.0.bias"]!.copy()
        b.pointer(as: Float.self)[2] = 0
        g.initializers["features.0.bias"] = b
        let result = try StructuredCompaction.compact(g)
        XCTAssertEqual(result.removed, [2: [3]])
        let x = try StructuredKit.npy("digits/test_x_cnn.npy")
        XCTAssertLessThanOrEqual(StructuredKit.maxAbsDiff(try StructuredKit.run(g, x), try StructuredKit.run(result.graph, x)), 1e-5)
    }

    func testChannelsThroughSigmoidNeedZeroConsumerWeights() throws {
        // MatMul -> Sigmoid -> Gemm: a zeroed MatMul column still feeds sigmoid(0) = 0.5 onward.
        let graph = try StructuredKit.load("zoo/mlp_gemm_op13/model.onnx")
        let groups = try ChannelGroups.analyze(graph)
        let mm = try StructuredKit.group(groups, producer: "/l2/MatMul")
        XCTAssertTrue(mm.prunable)
        var g = graph
        let w = g.initializers["onnx::MatMul_12"]!.copy()
        for r in 0..<32 { w.pointer(as: Float.self)[r * 16 + 4] = 0 }
        g.initializers["onnx::MatMul_12"] = w
        XCTAssertTrue(try StructuredCompaction.compact(g).removed.isEmpty)
        let masked = try ChannelMasking.mask(graph, group: mm, channels: [4])
        XCTAssertEqual(try StructuredCompaction.compact(masked).removed, [mm.id: [4]])
    }

    func testMaskingRejectsBadRequestsAndLeavesTheInputAlone() throws {
        let graph = try StructuredKit.load("models/digits_cnn.onnx")
        let groups = try ChannelGroups.analyze(graph)
        assertStructuredThrows("channel 16 is outside channel group 0 (channels 0..<16)") {
            _ = try ChannelMasking.mask(graph, group: groups[0], channels: [1, 16])
        }
        assertStructuredThrows("channel group 3 is not prunable: feeds graph output 'logits'") {
            _ = try ChannelMasking.mask(graph, group: groups[3], channels: [0])
        }
        let other = try ChannelGroups.analyze(StructuredKit.load("zoo/tiny_resnet_op17/model.onnx"))[0]
        assertStructuredThrows("which the model does not have") {
            _ = try ChannelMasking.mask(graph, group: other, channels: [0])
        }
        let before = graph.initializers["features.0.weight"]!.floats
        let masked = try ChannelMasking.mask(graph, group: groups[0], channels: [0, 7])
        XCTAssertEqual(graph.initializers["features.0.weight"]!.floats, before)
        let after = masked.initializers["features.0.weight"]!.floats
        XCTAssertTrue(after[0..<9].allSatisfy { $0 == 0 } && after[63..<72].allSatisfy { $0 == 0 })
        XCTAssertEqual(Array(after[9..<63]), Array(before[9..<63]))
        XCTAssertEqual(masked.initializers["features.1.running_var"]!.floats, graph.initializers["features.1.running_var"]!.floats)
        XCTAssertEqual(masked.initializers["features.1.weight"]!.floats[7], 0)
        let consumer = masked.initializers["features.3.weight"]!
        XCTAssertTrue((0..<32).allSatisfy { o in (0..<9).allSatisfy { consumer.floats[o * 144 + 7 * 9 + $0] == 0 } })
    }

    func testCompactingEveryChannelKeepsOne() throws {
        let graph = try StructuredKit.load("models/digits_cnn.onnx")
        let groups = try ChannelGroups.analyze(graph)
        let masked = try ChannelMasking.mask(graph, group: groups[1], channels: Set(0..<32))
        let result = try StructuredCompaction.compact(masked)
        XCTAssertEqual(result.removed[1], Array(1..<32))
        XCTAssertEqual(result.graph.initializers["classifier.1.weight"]?.shape, [64, 16])
        let x = try StructuredKit.npy("digits/test_x_cnn.npy")
        XCTAssertLessThanOrEqual(StructuredKit.maxAbsDiff(try StructuredKit.run(masked, x), try StructuredKit.run(result.graph, x)), 1e-5)
    }

    func testStoredFlattenShapeOfReshapeIsRewritten() throws {
        // x[1,2,3,3] -> Conv(4) -> Relu -> Reshape([-1, 36]) -> Gemm(3, transB) -> y
        var rng: UInt64 = 7
        func values(_ n: Int) -> [Float] {
            (0..<n).map { _ in rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Float(Int(rng >> 40) % 200 - 100) / 100 }
        }
        let nodes = [
            Node(name: "c", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"]),
            Node(name: "a", opType: "Relu", inputs: ["y"], outputs: ["r"]),
            Node(name: "r", opType: "Reshape", inputs: ["r", "s"], outputs: ["f"]),
            Node(name: "g", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["out"], attributes: ["transB": .int(1)]),
        ]
        let graph = Graph(nodes: nodes, inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.fixed(1), .fixed(2), .fixed(3), .fixed(3)])],
                          outputs: [ValueInfo(name: "out", dtype: .float32, dims: [.fixed(1), .fixed(3)])],
                          initializers: ["w": Tensor(values(8), shape: [4, 2, 1, 1]), "b": Tensor(values(4), shape: [4]),
                                         "s": Tensor(int64: [-1, 36], shape: [2]),
                                         "fw": Tensor(values(108), shape: [3, 36]), "fb": Tensor(values(3), shape: [3])])
        let groups = try ChannelGroups.analyze(graph)
        XCTAssertEqual(groups[0].slices.last, ParamSlice(tensor: "fw", axis: 1, span: 9, role: .consumerWeight))
        let masked = try ChannelMasking.mask(graph, group: groups[0], channels: [0, 2])
        let result = try StructuredCompaction.compact(masked)
        XCTAssertEqual(result.removed, [0: [0, 2]])
        XCTAssertEqual(result.graph.initializers["s"]?.asInts(), [-1, 18])
        XCTAssertEqual(result.graph.initializers["fw"]?.shape, [3, 18])
        let x = Tensor(values(18), shape: [1, 2, 3, 3])
        XCTAssertLessThanOrEqual(StructuredKit.maxAbsDiff(try StructuredKit.run(masked, x), try StructuredKit.run(result.graph, x)), 1e-6)
    }
}
