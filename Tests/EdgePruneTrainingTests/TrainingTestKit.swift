import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation
@testable import EdgePruneTraining

enum TrainingTestKit {
    static func fixture(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(relative).path
    }

    static func model(_ name: String) throws -> Graph { try ModelLoader.load(fixture("models/\(name).onnx")) }

    /// The first `limit` calibration samples ("mlp" or "cnn") with their labels.
    static func data(_ kind: String, limit: Int? = nil, split: String = "calib") throws -> LabelledData {
        var x = try NPY.read(fixture("digits/\(split)_x_\(kind).npy"))
        var y = try NPY.read(fixture("digits/\(split == "calib" ? "calib" : "test")_y.npy")).asInts()
        if let limit {
            x = Tensor(type: TensorType(x.dtype, [limit] + x.shape.dropFirst()), buffer: x.buffer, byteOffset: x.byteOffset)
            y = Array(y.prefix(limit))
        }
        return try LabelledData(inputs: x, labels: y, classes: 10)
    }

    /// A small CNN built in code, with every op family training supports on its path:
    /// Conv -> BatchNorm -> LeakyRelu -> MaxPool -> Conv(depthwise) -> Sigmoid -> AveragePool ->
    /// Flatten -> (Gemm -> Tanh) ++ (MatMul + b -> Clip) Concat -> Gemm -> Softmax.
    static func tinyCNN(seed: UInt64 = 5) -> Graph {
        var rng = GradientCheck.Rng(state: seed)
        func t(_ shape: [Int], scale: Double = 0.5) -> Tensor {
            Tensor((0..<shape.reduce(1, *)).map { _ in Float(rng.next() * scale) }, shape: shape)
        }
        var g = Graph(name: "tiny", opset: 13)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(1), .fixed(6), .fixed(6)])]
        g.outputs = [ValueInfo(name: "p", dtype: .float32, dims: [.symbolic("N"), .fixed(3)])]
        g.initializers = [
            "w1": t([4, 1, 3, 3]), "b1": t([4]),
            "bn_s": Tensor([1.1, 0.9, 1.0, 1.2], shape: [4]), "bn_b": t([4]), "bn_m": t([4], scale: 0.1),
            "bn_v": Tensor([0.8, 1.1, 1.3, 0.7], shape: [4]),
            "w2": t([4, 1, 2, 2]), "b2": t([4]),
            "w3": t([5, 4]), "b3": t([5]),
            "w4": t([4, 3]), "b4": t([3]),
            "w5": t([3, 8]), "b5": t([3]),
            "lo": Tensor([-0.4], shape: []), "hi": Tensor([0.4], shape: []),
        ]
        g.nodes = [
            Node(name: "conv1", opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], outputs: ["n1"]),
            Node(name: "act1", opType: "LeakyRelu", inputs: ["n1"], outputs: ["a1"], attributes: ["alpha": .float(0.1)]),
            Node(name: "pool1", opType: "MaxPool", inputs: ["a1"], outputs: ["p1"], attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            Node(name: "dw", opType: "Conv", inputs: ["p1", "w2", "b2"], outputs: ["c2"], attributes: ["group": .int(4), "pads": .ints([0, 0, 1, 1])]),
            Node(name: "sig", opType: "Sigmoid", inputs: ["c2"], outputs: ["s2"]),
            Node(name: "pool2", opType: "AveragePool", inputs: ["s2"], outputs: ["p2"], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([3, 3])]),
            Node(name: "flat", opType: "Flatten", inputs: ["p2"], outputs: ["f"]),
            Node(name: "fc_a", opType: "Gemm", inputs: ["f", "w3", "b3"], outputs: ["ga"], attributes: ["transB": .int(1)]),
            Node(name: "tanh", opType: "Tanh", inputs: ["ga"], outputs: ["ta"]),
            Node(name: "mm", opType: "MatMul", inputs: ["f", "w4"], outputs: ["mb"]),
            Node(name: "bias", opType: "Add", inputs: ["mb", "b4"], outputs: ["ab"]),
            Node(name: "clip", opType: "Clip", inputs: ["ab", "lo", "hi"], outputs: ["cb"]),
            Node(name: "cat", opType: "Concat", inputs: ["ta", "cb"], outputs: ["cat"], attributes: ["axis": .int(1)]),
            Node(name: "fc_out", opType: "Gemm", inputs: ["cat", "w5", "b5"], outputs: ["logits"], attributes: ["transB": .int(1)]),
            Node(name: "softmax", opType: "Softmax", inputs: ["logits"], outputs: ["p"], attributes: ["axis": .int(1)]),
        ]
        return g
    }
}
