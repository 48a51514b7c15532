import EdgePruneCore
import EdgePruneDaemon
import EdgePruneONNX
import EdgePrunePruning
import Foundation
@testable import EdgePruneServe
import XCTest

/// The digits MLP pruned hard (90 %, global threshold, nothing protected) as a one-level ladder,
/// and the digits data as rows of 64 values.
enum RecoveryTestKit {
    static let fixtures = DaemonHarness.fixtures

    /// Made once per process (pruning is deterministic).
    static let prunedModel: Graph = {
        let g = try! ModelLoader.load(fixtures.appendingPathComponent("models/digits_mlp.onnx").path)
        let calib = try! CalibrationData(inputs: try! NPY.read(fixtures.appendingPathComponent("digits/calib_x_mlp.npy").path),
                                         labels: nil, for: g)
        return try! Pruner.prune(g, options: PruneOptions(scope: .globalThreshold, levels: [0.9], protect: [], latencyRuns: 0),
                                 data: calib).graph
    }()

    /// (rows of 64 floats, labels) of the calibration split (feedback) or the test split (truth).
    static func data(_ split: String) throws -> (x: [[Float]], y: [Int]) {
        let x = try NPY.read(fixtures.appendingPathComponent("digits/\(split)_x_mlp.npy").path)
        let y = try NPY.read(fixtures.appendingPathComponent("digits/\(split == "calib" ? "calib" : "test")_y.npy").path).asInts()
        let flat = x.floats
        let n = x.shape[0], d = flat.count / n
        return ((0..<n).map { Array(flat[($0 * d)..<(($0 + 1) * d)]) }, y)
    }

    /// Top-1 accuracy of `level` of `model` on the test split, by the inference runtime.
    static func testAccuracy(_ model: Graph, level: Int) throws -> Double {
        let (x, y) = try data("test")
        let session = try InferenceSession(graph: try PrunedLevels.graph(model, level: level))
        let p = try Evaluator.predict(session, data: Tensor(x.flatMap { $0 }, shape: [x.count, 64]), batch: 64)
        return Double(zip(p, y).filter { $0 == $1 }.count) / Double(y.count)
    }

    /// Settings for tests: small, quick, deterministic.
    static func settings(minSamples: Int = 200, epochs: Int = 4, optimizer: DaemonConfig.Recovery.Optimizer = .adam,
                         learningRate: Double? = 3e-3, cooldown: Double = 0) -> DaemonConfig.Recovery {
        DaemonConfig.Recovery(enabled: true, windowCapacity: 64, maxSamples: 2000, minSamples: minSamples, minNewSamples: 50,
                              validationFraction: 0.25, epochs: epochs, batchSize: 32, optimizer: optimizer, learningRate: learningRate,
                              cooldownSeconds: cooldown, maxTrainingSeconds: 600, nice: 10, significance: 0.05)
    }

    /// Feeds a scripted stream: inference i+1 sees row i, and its label (from `label`) arrives
    /// `lag` inferences later, as a daemon's feedback would.
    static func stream(_ x: [[Float]], _ samples: RecoverySamples, lag: Int = 8, label: (Int) -> Int) {
        for i in 0..<(x.count + lag) {
            if i < x.count { x[i].withUnsafeBufferPointer { samples.record(id: UInt64(i + 1), input: $0) } }
            let j = i - lag
            if j >= 0 { samples.label(id: UInt64(j + 1), label: label(j)) }
        }
    }
}
