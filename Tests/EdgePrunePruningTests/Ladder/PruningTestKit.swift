import EdgePruneCore
import EdgePruneONNX
@testable import EdgePrunePruning

/// Fixtures for the pruning tests: the digits models with their calibration (training split) and
/// test data.
enum PruningTestKit {
    static func fixture(_ relative: String) -> String { EvaluationTestKit.fixture(relative) }

    static func model(_ name: String) throws -> Graph { try ModelLoader.load(fixture("models/\(name).onnx")) }

    /// Calibration data for the MLPs ("mlp") or the CNN ("cnn"), optionally the first `limit` samples.
    static func calib(_ kind: String, graph: Graph, labels: Bool = true, limit: Int? = nil) throws -> CalibrationData {
        var x = try NPY.read(fixture("digits/calib_x_\(kind).npy"))
        var y = try NPY.read(fixture("digits/calib_y.npy")).asInts()
        if let limit {
            x = Tensor(type: TensorType(x.dtype, [limit] + x.shape.dropFirst()), buffer: x.buffer, byteOffset: x.byteOffset)
            y = Array(y.prefix(limit))
        }
        return try CalibrationData(inputs: x, labels: labels ? y : nil, for: graph)
    }

    static func testData(_ kind: String) throws -> (Tensor, [Int]) {
        (try NPY.read(fixture("digits/test_x_\(kind).npy")), try NPY.read(fixture("digits/test_y.npy")).asInts())
    }

    static func accuracy(_ graph: Graph, level: Int, kind: String) throws -> Double {
        let (x, y) = try testData(kind)
        let g = try PrunedLevels.graph(graph, level: level)
        let predicted = try Evaluator.predict(try InferenceSession(graph: g), data: x, batch: 64)
        return Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
    }

    /// Options with latency measurement off (tests check structure, not speed).
    static func options(_ levels: [Double], method: ImportanceMethod = .magnitude, granularity: Granularity = .unstructured,
                        scope: PruneScope = .global, protect: [String]? = nil) -> PruneOptions {
        PruneOptions(method: method, granularity: granularity, scope: scope, levels: levels, protect: protect, latencyRuns: 0)
    }

    /// Zero fraction of a weight at a level.
    static func zeroFraction(_ graph: Graph, _ weight: String, level: Int) throws -> Double {
        let w = try graph.atLadderLevel(level).initializers[weight]!.floats
        return Double(w.filter { $0 == 0 }.count) / Double(w.count)
    }
}
