import EdgePruneCore
import EdgePrunePruning
import XCTest
@testable import EdgePruneTraining

/// Taylor and SNIP scores from real gradients, and the pruner using them.
final class TrainingGradientsTests: XCTestCase {
    func testScoresFollowTheirDefinitions() throws {
        let g = try TrainingTestKit.model("digits_mlp")
        let x = try NPY.read(TrainingTestKit.fixture("digits/calib_x_mlp.npy"))
        let y = try NPY.read(TrainingTestKit.fixture("digits/calib_y.npy")).asInts()
        let n = 96
        let data = try CalibrationData(inputs: Tensor(type: TensorType(.float32, [n, 64]), buffer: x.buffer, byteOffset: x.byteOffset),
                                       labels: Array(y.prefix(n)), for: g)
        let weights = PrunableLayers.find(g).map(\.weight)
        // One batch: the batch-mean |w·g| (taylor) is |w·g| over all the data (snip).
        let one = TrainingGradients(batchSize: n)
        let taylor = try one.scores(.taylor, graph: g, weights: weights, data: data)
        let snip = try one.scores(.snip, graph: g, weights: weights, data: data)
        for w in weights {
            XCTAssertEqual(taylor[w]!.count, g.initializers[w]!.count)
            for (a, b) in zip(taylor[w]!, snip[w]!) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(a))) }
        }
        // Several batches: taylor sums |per-batch products| and so is at least snip's |mean|.
        let batched = try TrainingGradients(batchSize: 16).scores(.taylor, graph: g, weights: weights, data: data)
        for w in weights {
            XCTAssertTrue(zip(batched[w]!, snip[w]!).allSatisfy { $0 >= $1 * 0.999 - 1e-9 }, w)
            XCTAssertTrue(batched[w]!.contains { $0 > 0 })
        }
        // A weight that is zero scores zero.
        var zeroed = g
        let w0 = weights[1]
        var values = g.initializers[w0]!.floats
        values[7] = 0
        zeroed.initializers[w0] = Tensor(values, shape: g.initializers[w0]!.shape)
        XCTAssertEqual(try one.scores(.snip, graph: zeroed, weights: weights, data: data)[w0]![7], 0)
    }

    func testThePrunerRanksByGradientScores() throws {
        let g = try TrainingTestKit.model("digits_mlp")
        let calib = try CalibrationData(inputs: try NPY.read(TrainingTestKit.fixture("digits/calib_x_mlp.npy")),
                                        labels: try NPY.read(TrainingTestKit.fixture("digits/calib_y.npy")).asInts(), for: g)
        for method in [ImportanceMethod.taylor, .snip] {
            let out = try Pruner.prune(g, options: PruneOptions(method: method, levels: [0.5, 0.8], latencyRuns: 0), data: calib,
                                       gradients: TrainingGradients())
            let ladder = try XCTUnwrap(out.graph.ladder)
            XCTAssertEqual(ladder.method, method.rawValue)
            XCTAssertEqual(ladder.levels[2].sparsity, 0.8, accuracy: 0.01)
            XCTAssertGreaterThan(out.reports[1].classification!.accuracy, 0.9, "\(method) at 50%")
        }
    }
}
