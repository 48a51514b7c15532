import EdgePruneCore
import EdgePrunePruning
import Foundation
import SwiftProtobuf
import XCTest
@testable import EdgePruneONNX

/// The QDQ form of int8 layers: structure (int8 weights in the original layout with the right
/// per-channel axis, int32 bias, no leftover f32 weights, no internal attributes), opset check,
/// and ONNX Runtime computing what the runtime computes on a MatMul model (transB = 0 layout).
final class ONNXQDQExportTests: XCTestCase {
    /// x[N,20] -> MatMul(W1[20,48]) + b1 -> Relu -> MatMul(W2[48,6]) -> y, quantised on random data.
    private func quantisedMatMulModel() throws -> (Graph, Tensor) {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D  // deterministic data: xorshift
        func t(_ shape: [Int], _ scale: Float) -> Tensor {
            Tensor((0..<shape.reduce(1, *)).map { _ in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return (Float(state >> 40) / Float(1 << 23) - 1) * scale
            }, shape: shape)
        }
        let g = Graph(
            nodes: [Node(name: "mm1", opType: "MatMul", inputs: ["x", "w1"], outputs: ["h0"]),
                    Node(name: "add1", opType: "Add", inputs: ["h0", "b1"], outputs: ["h1"]),
                    Node(name: "relu1", opType: "Relu", inputs: ["h1"], outputs: ["h"]),
                    Node(name: "mm2", opType: "MatMul", inputs: ["h", "w2"], outputs: ["y"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(20)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(6)])],
            initializers: ["w1": t([20, 48], 0.5), "b1": t([48], 0.2), "w2": t([48, 6], 0.5)])
        let calib = t([256, 20], 1)
        let out = try PostTrainingQuantizer.quantize(g, data: try CalibrationData(inputs: calib, labels: nil, for: g))
        XCTAssertEqual(out.layers.map(\.opType), ["MatMul", "MatMul"])
        return (out.graph, t([200, 20], 1))
    }

    func testQDQStructure() throws {
        let (g, _) = try quantisedMatMulModel()
        let model = try ONNXExporter.modelProto(g)
        let nodes = model.graph.node
        XCTAssertEqual(nodes.filter { $0.opType == "QuantizeLinear" }.count, 4)
        XCTAssertEqual(nodes.filter { $0.opType == "DequantizeLinear" }.count, 4 + 2 + 1, "x and y per layer, two weights, one bias")
        XCTAssertTrue(nodes.allSatisfy { $0.attribute.allSatisfy { !$0.name.hasPrefix("ep_") } })
        for dq in nodes where dq.opType == "DequantizeLinear" && dq.input[0].contains("weight_quantized") {
            XCTAssertEqual(dq.attribute.first { $0.name == "axis" }?.i, 1, "MatMul weights [K, N]: channels on axis 1")
        }
        let inits = Dictionary(uniqueKeysWithValues: model.graph.initializer.map { ($0.name, $0) })
        XCTAssertNil(inits["w1"]); XCTAssertNil(inits["w2"]); XCTAssertNil(inits["b1"])
        let w1q = try XCTUnwrap(inits.values.first { $0.name.hasPrefix("mm1.weight_quantized") })
        XCTAssertEqual(w1q.dataType, 3)
        XCTAssertEqual(w1q.dims, [20, 48])
        let bq = try XCTUnwrap(inits.values.first { $0.name.hasPrefix("mm1.bias_quantized") })
        XCTAssertEqual(bq.dataType, 6)
        // The int8 values are the runtime's: W1's column n quantised with its own scale.
        let w1 = g.initializers["w1"]!
        let q = Int8Weights.quantize(rows: 48, cols: 20, w: w1.pointer(as: Float.self), rs: 1, cs: 48, bias: nil,
                                     params: try Int8LinearParams.read(g.nodes.first { $0.name == "mm1" }!)!)
        let stored = [UInt8](w1q.rawData).map { Int8(bitPattern: $0) }
        for k in 0..<20 { for n in 0..<48 { XCTAssertEqual(stored[k * 48 + n], q.values[n * 20 + k]) } }
        let scales = try XCTUnwrap(inits.values.first { $0.name.hasPrefix("mm1.weight_scale") })
        XCTAssertEqual(scales.dims, [48])
        var old = g
        old.opset = 12
        XCTAssertThrowsError(try ONNXExporter.modelProto(old)) {
            XCTAssertTrue("\($0)".contains("needs opset 13 or later"), "\($0)")
        }
    }

    private func writeTemp(_ g: Graph) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qdq-\(getpid())-\(UUID().uuidString).onnx").path
        try ONNXExporter.write(g, to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testONNXRuntimeAgreesOnAQuantisedMatMulModel() throws {
        guard ORTRunner.available() != nil else { throw XCTSkip(ORTRunner.unavailableReason ?? "ONNX Runtime unavailable") }
        let (g, x) = try quantisedMatMulModel()
        let ours = try InferenceSession(graph: g).run(["x": x])["y"]!
        let theirs = try ORTRunner.run(model: try writeTemp(g), input: x)[0]
        XCTAssertEqual(theirs.shape, [200, 6])
        let a = ours.floats, b = theirs.floats
        var agree = 0, exact = 0
        for s in 0..<200 {
            let ra = a[(s * 6)..<(s * 6 + 6)], rb = b[(s * 6)..<(s * 6 + 6)]
            if ra.firstIndex(of: ra.max()!) == rb.firstIndex(of: rb.max()!) { agree += 1 }
            if ra == rb { exact += 1 }
        }
        // ORT runs this MatMul + Add in float on dequantised values (its QDQ MatMul fusion needs the
        // MatMul's output quantised directly), so a value may land one output step away.
        let step = try Int8LinearParams.read(g.nodes.first { $0.name == "mm2" }!)!.yScale
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max()!, 2.01 * step)
        XCTAssertGreaterThanOrEqual(agree, 195, "top-1 agreement \(agree) of 200 (\(exact) rows identical)")
    }
}
