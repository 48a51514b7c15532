import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

/// Channel groups of the fixtures: which slices belong together and why a group cannot be pruned.
final class ChannelGroupsTests: XCTestCase {
    func testDigitsCNNHasThreePrunableGroupsWithTheirSlices() throws {
        let groups = try ChannelGroups.analyze(StructuredKit.load("models/digits_cnn.onnx"))
        XCTAssertEqual(groups.map(\.channels), [16, 32, 64, 10])
        XCTAssertEqual(groups.map(\.prunable), [true, true, true, false])
        XCTAssertEqual(groups.map(\.id), [0, 1, 2, 3])
        XCTAssertEqual(groups[0].producers, ["/features/features.0/Conv"])
        XCTAssertEqual(groups[2].producers, ["/classifier/classifier.1/Gemm"])

        func bn(_ prefix: String) -> [ParamSlice] {
            [ParamSlice(tensor: prefix + ".weight", axis: 0, span: 1, role: .bnScale),
             ParamSlice(tensor: prefix + ".bias", axis: 0, span: 1, role: .bnBias),
             ParamSlice(tensor: prefix + ".running_mean", axis: 0, span: 1, role: .bnMean),
             ParamSlice(tensor: prefix + ".running_var", axis: 0, span: 1, role: .bnVar)]
        }
        XCTAssertEqual(groups[0].slices, [
            ParamSlice(tensor: "features.0.weight", axis: 0, span: 1, role: .producerWeight),
            ParamSlice(tensor: "features.0.bias", axis: 0, span: 1, role: .producerBias),
        ] + bn("features.1") + [ParamSlice(tensor: "features.3.weight", axis: 1, span: 1, role: .consumerWeight)])
        // 32 channels of 4x4 after MaxPool, flattened into the 512 inputs of the Gemm: span 16.
        XCTAssertEqual(groups[1].slices, [
            ParamSlice(tensor: "features.3.weight", axis: 0, span: 1, role: .producerWeight),
            ParamSlice(tensor: "features.3.bias", axis: 0, span: 1, role: .producerBias),
        ] + bn("features.4") + [ParamSlice(tensor: "classifier.1.weight", axis: 1, span: 16, role: .consumerWeight)])
        XCTAssertEqual(groups[2].slices, [
            ParamSlice(tensor: "classifier.1.weight", axis: 0, span: 1, role: .producerWeight),
            ParamSlice(tensor: "classifier.1.bias", axis: 0, span: 1, role: .producerBias),
            ParamSlice(tensor: "classifier.4.weight", axis: 1, span: 1, role: .consumerWeight),
        ])
        XCTAssertEqual(groups[0].activations, ["/features/features.2/Relu_output_0"])
        XCTAssertEqual(groups[1].activations, ["/features/features.5/Relu_output_0"])
        XCTAssertEqual(groups[2].activations, ["/classifier/classifier.2/Relu_output_0"])
        XCTAssertNil(groups[0].reason)
        XCTAssertEqual(groups[3].reason, "feeds graph output 'logits'")
    }

    func testResidualAddCouplesProducers() throws {
        let groups = try ChannelGroups.analyze(StructuredKit.load("zoo/tiny_resnet_op17/model.onnx"))
        let l1 = try StructuredKit.group(groups, producer: "/l1/c2/Conv")
        XCTAssertEqual(l1.producers, ["/stem/stem.0/Conv", "/l1/c2/Conv"])
        XCTAssertTrue(l1.prunable)
        // Both residual inputs' readers: l1.c1 reads the stem output, l2's convs read the sum.
        let consumers = Set(l1.slices.filter { $0.role == .consumerWeight }.map(\.tensor))
        XCTAssertEqual(consumers, ["onnx::Conv_65", "onnx::Conv_71", "onnx::Conv_74"])
        XCTAssertEqual(l1.activations, ["/stem/stem.2/Relu_output_0", "/l1/c2/Conv_output_0", "/l1/Relu_1_output_0"])
        let l2 = try StructuredKit.group(groups, producer: "/l2/c2/Conv")
        XCTAssertEqual(Set(l2.producers), ["/l2/down/down.0/Conv", "/l2/c2/Conv"])
        XCTAssertTrue(l2.slices.contains(ParamSlice(tensor: "fc.weight", axis: 1, span: 1, role: .consumerWeight)))
        let inner = try StructuredKit.group(groups, producer: "/l1/c1/Conv")
        XCTAssertEqual(inner.producers, ["/l1/c1/Conv"])
        XCTAssertEqual(groups.filter(\.prunable).count, 4)
        XCTAssertEqual(try StructuredKit.group(groups, producer: "/fc/Gemm").reason, "feeds graph output 'logits'")
    }

    func testConcatConsumersGetPerInputOffsets() throws {
        let groups = try ChannelGroups.analyze(StructuredKit.load("zoo/squeezenet1_1_op11/model.onnx"))
        let e1 = try StructuredKit.group(groups, producer: "/features/features.3/expand1x1/Conv")
        let e3 = try StructuredKit.group(groups, producer: "/features/features.3/expand3x3/Conv")
        XCTAssertEqual(e1.channels, 64)
        XCTAssertNotEqual(e1.id, e3.id)
        XCTAssertTrue(e1.slices.contains(ParamSlice(tensor: "features.4.squeeze.weight", axis: 1, span: 1, role: .consumerWeight, offset: 0)))
        XCTAssertTrue(e3.slices.contains(ParamSlice(tensor: "features.4.squeeze.weight", axis: 1, span: 1, role: .consumerWeight, offset: 64)))
        // The exporter shares bias tensors through Identity nodes: each layer gets its own.
        XCTAssertTrue(e3.slices.contains(ParamSlice(tensor: "features.3.expand3x3.bias", axis: 0, span: 1, role: .producerBias)))
        XCTAssertTrue(e1.prunable && e3.prunable)
    }

    func testDepthwiseConvIsPassThroughAndNonPrunableReasonsAreGiven() throws {
        let groups = try ChannelGroups.analyze(StructuredKit.load("zoo/dwsep_residual_op17/model.onnx"))
        let stem = try StructuredKit.group(groups, producer: "/stem/Conv")
        XCTAssertEqual(stem.producers, ["/stem/Conv", "/pw/Conv"])
        XCTAssertTrue(stem.slices.contains(ParamSlice(tensor: "dw_s2.weight", axis: 0, span: 1, role: .passThroughWeight)))
        XCTAssertTrue(stem.slices.contains(ParamSlice(tensor: "dw_s2.bias", axis: 0, span: 1, role: .producerBias)))
        XCTAssertTrue(stem.slices.contains(ParamSlice(tensor: "pw2.weight", axis: 1, span: 1, role: .consumerWeight)))
        XCTAssertTrue(stem.prunable)
        XCTAssertEqual(try StructuredKit.group(groups, producer: "/pw2/Conv").reason, "feeds graph output 'output'")

        let inception = try ChannelGroups.analyze(StructuredKit.load("zoo/inception_block_op15/model.onnx"))
        XCTAssertEqual(try StructuredKit.group(inception, producer: "/fc/Gemm").reason, "consumed by Softmax '/Softmax'")
        XCTAssertEqual(inception.filter(\.prunable).count, 6)
    }

    func testUnsupportedReadersMakeGroupsNotPrunable() throws {
        // Conv -> Transpose and Conv -> Reshape to 3-D: neither keeps channels apart.
        let w = Tensor([Float](repeating: 0.5, count: 4 * 2 * 1 * 1), shape: [4, 2, 1, 1])
        let conv = Node(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"])
        let t = Node(name: "t", opType: "Transpose", inputs: ["y"], outputs: ["z"], attributes: ["perm": .ints([0, 2, 3, 1])])
        var g = Graph(nodes: [conv, t], inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.fixed(1), .fixed(2), .fixed(3), .fixed(3)])],
                      outputs: [ValueInfo(name: "z", dtype: .float32, dims: [])], initializers: ["w": w])
        XCTAssertEqual(try ChannelGroups.analyze(g).first?.reason, "consumed by Transpose 't'")
        g.nodes[1] = Node(name: "r", opType: "Reshape", inputs: ["y", "s"], outputs: ["z"])
        g.initializers["s"] = Tensor(int64: [1, 4, 9], shape: [3])
        XCTAssertEqual(try ChannelGroups.analyze(g).first?.reason, "consumed by Reshape 'r' with an unsupported target shape")
        let group = try ChannelGroups.analyze(g)[0]
        assertStructuredThrows("not prunable: consumed by Reshape 'r'") {
            _ = try ChannelMasking.mask(g, group: group, channels: [0])
        }
    }
}
