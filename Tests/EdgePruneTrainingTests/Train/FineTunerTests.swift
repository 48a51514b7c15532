import EdgePruneCore
import EdgePrunePruning
import XCTest
@testable import EdgePruneTraining

/// Masked fine-tuning: pruned weights stay exactly zero, the result is never worse than the start
/// on validation, training recovers a damaged model, and bad runs stop with a clear error.
final class FineTunerTests: XCTestCase {
    func prunedMLP(_ sparsity: Double) throws -> Graph {
        let g = try TrainingTestKit.model("digits_mlp")
        let calib = try CalibrationData(inputs: try NPY.read(TrainingTestKit.fixture("digits/calib_x_mlp.npy")), labels: nil, for: g)
        return try Pruner.prune(g, options: PruneOptions(scope: .globalThreshold, levels: [sparsity], protect: [], latencyRuns: 0), data: calib).graph
    }

    func testFineTuningRecoversAPrunedLevelAndKeepsPrunedWeightsAtZero() throws {
        let model = try prunedMLP(0.9)
        let (graph, trainable, masks) = try LevelTraining.problem(model, level: 1)
        XCTAssertEqual(Set(masks.keys), Set(model.ladder!.codes.keys))
        let (train, validation) = try TrainingTestKit.data("mlp").split(holdOut: 0.25, seed: 3)
        for kind in OptimizerKind.allCases {
            let options = FineTuneOptions(optimizer: OptimizerSettings(kind: kind, learningRate: kind == .adam ? 3e-3 : 0.03, weightDecay: 1e-4),
                                          epochs: 3, batchSize: 32)
            var checkpoints = 0
            let r = try FineTuner.run(graph, trainable: trainable, masks: masks, train: train, validation: validation, options: options,
                                      improved: { _, _ in checkpoints += 1 })
            XCTAssertGreaterThan(r.bestValidationAccuracy, r.initialValidationAccuracy + 0.02, "\(kind): \(r.initialValidationAccuracy) -> \(r.bestValidationAccuracy)")
            XCTAssertEqual(checkpoints, r.epochs.filter(\.improved).count)
            for (name, mask) in masks {
                let w = r.graph.initializers[name]!.floats
                XCTAssertTrue(zip(w, mask).allSatisfy { $1 || $0 == 0 }, "\(kind): a pruned weight of \(name) moved")
                XCTAssertTrue(zip(w, mask).contains { $1 && $0 != graph.initializers[name]!.floats[0] }, "kept weights train")
            }
        }
    }

    func testTheResultIsNeverWorseThanTheStartOnValidation() throws {
        // A dense, trained model and a tiny learning rate with many noisy steps: whatever the
        // epochs do, the best-of includes the start.
        let g = try TrainingTestKit.model("digits_mlp")
        let (train, validation) = try TrainingTestKit.data("mlp", limit: 200).split(holdOut: 0.5, seed: 1)
        // Labels scrambled: training can only hurt on the real validation labels.
        let scrambled = LabelledData(inputs: train.inputs, labels: train.labels.map { ($0 + 3) % 10 })
        let r = try FineTuner.run(g, trainable: LevelTraining.trainableTensors(g), masks: [:], train: scrambled, validation: validation,
                                  options: FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 1e-2), epochs: 2))
        XCTAssertLessThan(r.epochs.map(\.validationAccuracy).min()!, r.initialValidationAccuracy, "scrambled labels hurt")
        XCTAssertEqual(r.bestEpoch, 0)
        XCTAssertEqual(r.bestValidationAccuracy, r.initialValidationAccuracy)
        for (name, t) in g.initializers where t.dtype == .float32 { XCTAssertEqual(r.graph.initializers[name]!.floats, t.floats, name) }
    }

    func testDivergenceAndBadOptionsStopWithAClearError() throws {
        let g = try TrainingTestKit.model("digits_mlp")
        let (train, validation) = try TrainingTestKit.data("mlp", limit: 200).split(holdOut: 0.5, seed: 1)
        let trainable = LevelTraining.trainableTensors(g)
        var wrote = false
        XCTAssertThrowsError(try FineTuner.run(g, trainable: trainable, masks: [:], train: train, validation: validation,
                                               options: FineTuneOptions(optimizer: OptimizerSettings(kind: .sgd, learningRate: 1e4), epochs: 3),
                                               improved: { _, _ in wrote = true })) {
            XCTAssertTrue("\($0)".contains("training diverged"), "\($0)")
        }
        XCTAssertFalse(wrote, "a diverged run checkpoints nothing")
        let bad: [(FineTuneOptions, String)] = [
            (FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 0), epochs: 1), "--lr"),
            (FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: .nan), epochs: 1), "--lr"),
            (FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 1e-3), epochs: 0), "--epochs"),
            (FineTuneOptions(optimizer: OptimizerSettings(kind: .sgd, learningRate: 1e-3, momentum: 1), epochs: 1), "--momentum"),
            (FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 1e-3, weightDecay: -1), epochs: 1), "--weight-decay"),
            (FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 1e-3), epochs: 1, batchSize: 0), "--batch-size"),
        ]
        for (options, fragment) in bad {
            XCTAssertThrowsError(try FineTuner.run(g, trainable: trainable, masks: [:], train: train, validation: validation, options: options)) {
                XCTAssertTrue("\($0)".contains(fragment), "\($0)")
            }
        }
    }

    func testShouldStopEndsTheRunWithTheBestCompleteEpoch() throws {
        let model = try prunedMLP(0.9)
        let (graph, trainable, masks) = try LevelTraining.problem(model, level: 1)
        let (train, validation) = try TrainingTestKit.data("mlp", limit: 400).split(holdOut: 0.25, seed: 3)
        let options = FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 3e-3), epochs: 5, batchSize: 32, cosine: false)
        var batches = 0
        let perEpoch = (train.samples + 31) / 32
        let r = try FineTuner.run(graph, trainable: trainable, masks: masks, train: train, validation: validation, options: options,
                                  progress: { if case .batch = $0 { batches += 1 } }, shouldStop: { batches >= perEpoch + 2 })
        XCTAssertTrue(r.stoppedEarly)
        XCTAssertEqual(r.epochs.count, 1, "the epoch in progress is discarded")
        XCTAssertEqual(batches, perEpoch + 2)
        let full = try FineTuner.run(graph, trainable: trainable, masks: masks, train: train, validation: validation,
                                     options: FineTuneOptions(optimizer: options.optimizer, epochs: 1, batchSize: 32, cosine: false))
        XCTAssertFalse(full.stoppedEarly)
        XCTAssertEqual(r.bestValidationAccuracy, full.bestValidationAccuracy, "the same first epoch (constant rate, same seed)")
    }

    /// Labels are checked against the model's logits even when its output shape is not declared.
    func testLabelsOutsideTheLogitsAreAnErrorNotACrash() throws {
        var g = try TrainingTestKit.model("digits_mlp")
        g.outputs[0].dims = []
        let data = try TrainingTestKit.data("mlp", limit: 40)
        let bad = LabelledData(inputs: data.inputs, labels: data.labels.enumerated().map { $0.offset == 7 ? 10 : $0.element })
        XCTAssertThrowsError(try FineTuner.run(g, trainable: LevelTraining.trainableTensors(g), masks: [:], train: bad, validation: data,
                                               options: FineTuneOptions(optimizer: OptimizerSettings(kind: .adam, learningRate: 1e-3), epochs: 1))) {
            XCTAssertTrue("\($0)".contains("label 10 at index 7 is outside the model's 10 classes"), "\($0)")
        }
        let calib = try CalibrationData(inputs: Tensor(bad.inputs.data, shape: bad.inputs.shape), labels: bad.labels, for: g)
        XCTAssertThrowsError(try TrainingGradients().scores(.taylor, graph: g, weights: ["net.0.weight"], data: calib)) {
            XCTAssertTrue("\($0)".contains("label 10 at index 7"), "\($0)")
        }
    }

    func testBadDataIsRejected() throws {
        let x = Tensor([1, 2, .nan, 4], shape: [2, 2])
        XCTAssertThrowsError(try LabelledData(inputs: x, labels: [0, 1], classes: 10)) { XCTAssertTrue("\($0)".contains("nan"), "\($0)") }
        XCTAssertThrowsError(try LabelledData(inputs: Tensor([1, 2, 3, 4], shape: [2, 2]), labels: [0], classes: 10)) {
            XCTAssertTrue("\($0)".contains("1 labels for 2 samples"), "\($0)")
        }
        XCTAssertThrowsError(try LabelledData(inputs: Tensor([1, 2, 3, 4], shape: [2, 2]), labels: [0, 10], classes: 10)) {
            XCTAssertTrue("\($0)".contains("label 10 at index 1"), "\($0)")
        }
        XCTAssertThrowsError(try LabelledData(inputs: Tensor([], shape: [0, 2]), labels: [], classes: 10)) {
            XCTAssertTrue("\($0)".contains("empty"), "\($0)")
        }
    }
}
