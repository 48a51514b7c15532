import EdgePruneCore
import EdgePrunePruning
import XCTest
@testable import EdgePruneTraining

/// A trained level goes back as that level's recovered weights: level 0 and the other levels are
/// untouched, masks stay nested, and a model without a ladder keeps its zeros.
final class LevelTrainingTests: XCTestCase {
    func testStoringALevelChangesOnlyThatLevel() throws {
        let g = try TrainingTestKit.model("digits_mlp")
        let model = try Pruner.prune(g, options: PruneOptions(levels: [0.5, 0.8], latencyRuns: 0), data: nil).graph
        let (level2, trainable, masks) = try LevelTraining.problem(model, level: 2)
        var trained = level2
        for name in trainable {
            let t = level2.initializers[name]!
            let mask = masks[name]
            trained.initializers[name] = Tensor(t.floats.enumerated().map { i, v in mask.map { $0[i] } ?? true ? v + 0.25 : 0 }, shape: t.shape)
        }
        let stored = try LevelTraining.store(trained, tensors: trainable, into: model, level: 2)
        for name in trainable {
            XCTAssertEqual(try stored.atLadderLevel(2).initializers[name]!.floats, trained.initializers[name]!.floats, name)
            XCTAssertEqual(try stored.atLadderLevel(1).initializers[name]!.floats, try model.atLadderLevel(1).initializers[name]!.floats, name)
            XCTAssertEqual(stored.initializers[name]!.floats, model.initializers[name]!.floats, "level 0 of \(name)")
        }
        XCTAssertEqual(stored.ladder!.codes, model.ladder!.codes)
        XCTAssertThrowsError(try LevelTraining.problem(model, level: 0)) { XCTAssertTrue("\($0)".contains("dense reference"), "\($0)") }
    }

    func testAModelWithoutALadderKeepsItsZeros() throws {
        let g = try TrainingTestKit.model("digits_mlp1024_pruned90")
        let (graph, trainable, masks) = try LevelTraining.problem(g, level: 0)
        XCTAssertFalse(masks.isEmpty)
        for (name, mask) in masks {
            XCTAssertEqual(zip(graph.initializers[name]!.floats, mask).filter { $0 == 0 && $1 }.count, 0)
        }
        XCTAssertTrue(trainable.isSuperset(of: masks.keys))
    }
}
