import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import EdgePruneTraining
import Foundation

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a pruned model's surviving weights on labelled data (pruned weights stay zero).",
        discussion: """
            Trains with softmax cross-entropy, SGD with momentum or Adam, weight decay and a cosine \
            learning-rate decay. A model with a sparsity ladder is fine-tuned level by level (all \
            levels, or --level L): each level's result is stored as that level's recovered weights, \
            so level 0 (the dense reference) and the nesting of the masks are untouched. A model \
            without a ladder (for example one pruned elsewhere) is fine-tuned as it is, its zero \
            weights kept at zero.

            Per level, the parameters of the epoch with the best accuracy on held-out validation \
            data win; the starting model counts as epoch 0, so a level is only replaced by a better \
            one. The output is rewritten atomically each time a level improves, so a crash keeps \
            the best so far. A NaN or diverging loss stops that level's training: the level keeps its \
            best epoch before the divergence, or stays as it was (and when no level improved the \
            command fails and writes nothing). Re-run `quantize` after fine-tuning an int8 model: \
            its activation ranges were calibrated on the old weights. The ladder's accuracy column of a fine-tuned level becomes its validation \
            accuracy measured by the runtime.

            Examples:
              edgeprune finetune pruned.epm --data x.npy --labels y.npy -o tuned.epm
              edgeprune finetune pruned.epm --data x.npy --labels y.npy --level 2 --optimizer sgd --lr 0.01 --epochs 20 -o tuned.epm
            """)

    @OptionGroup var options: ModelOptions

    @Option(help: "Training samples (.npy, batch dimension first).")
    var data: String

    @Option(help: "Integer labels (.npy), one per training sample.")
    var labels: String

    @Option(help: "Validation samples; without them, --val-fraction of --data is held out.")
    var valData: String?

    @Option(help: "Labels of --val-data.")
    var valLabels: String?

    @Option(help: "Share of --data held out for validation when no --val-data is given.")
    var valFraction: Double = 0.2

    @Option(help: ArgumentHelp("Ladder level to fine-tune, or 'all' (every level 1...n). Default: all for a laddered model, 0 otherwise.", valueName: "L|all"))
    var level: String?

    @Option(help: "sgd (momentum) or adam (decoupled weight decay).")
    var optimizer: String = "adam"

    @Option(help: "Learning rate (default: 0.001 for adam, 0.01 for sgd).")
    var lr: Double?

    @Option(help: "SGD momentum.")
    var momentum: Double = 0.9

    @Option(help: "Weight decay.")
    var weightDecay: Double = 0

    @Option(help: "Epochs per level.")
    var epochs: Int = 10

    @Option(help: "Samples per training batch.")
    var batchSize: Int = 32

    @Option(help: "Learning-rate schedule: cosine (decays to 0 over the run) or constant.")
    var schedule: String = "cosine"

    @Option(help: "Stop a level after this many epochs without a better validation accuracy.")
    var patience: Int?

    @Option(help: "Seed of the shuffles and the validation split.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Output .epm (written atomically; rewritten whenever a level improves).")
    var output: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if (valData == nil) != (valLabels == nil) { throw ValidationError("give --val-data and --val-labels together") }
        guard valFraction > 0, valFraction < 1 else { throw ValidationError("--val-fraction must be in (0, 1)") }
        guard ["cosine", "constant"].contains(schedule) else { throw ValidationError("--schedule must be cosine or constant") }
        try CLI.checkOutputDirectory(output)
    }

    struct Report: Encodable {
        let model: String, output: String, optimizer: String, epochs: Int
        var levels: [Level]
        var written: Bool
        struct Level: Encodable {
            let level: Int, initialValidationAccuracy: Double?, bestValidationAccuracy: Double?, bestEpoch: Int
            let runtimeValidationAccuracy: Double?
            /// Set when training diverged: the level kept its best epoch before that, if any.
            let diverged: String?
            let epochs: [Epoch]
        }
        struct Epoch: Encodable { let epoch: Int, trainLoss: Double, validationAccuracy: Double }
    }

    func run() throws {
        try CLI.guarded {
            guard let kind = OptimizerKind(rawValue: optimizer) else {
                throw EdgePruneError(.input, "unknown optimizer '\(optimizer)' (\(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var model = try ModelLoader.load(options.model, limits: options.limits)
            if model.nodes.contains(where: { $0.attributes.keys.contains { $0.hasPrefix("ep_q_") } }) {
                CLI.warn("'\(options.model)' is int8-quantised: training runs in f32 and keeps the old activation ranges; run `edgeprune quantize` on the result again")
            }
            let levels = try levelsToTrain(model)
            let (train, validation) = try loadData(model, classes: CalibrationData.classes(of: model))
            let settings = OptimizerSettings(kind: kind, learningRate: lr ?? (kind == .adam ? 1e-3 : 1e-2),
                                             momentum: momentum, weightDecay: weightDecay)
            let tuneOptions = FineTuneOptions(optimizer: settings, epochs: epochs, batchSize: batchSize, cosine: schedule == "cosine",
                                              patience: patience, seed: seed)
            try tuneOptions.validate()
            var report = Report(model: options.model, output: output, optimizer: kind.rawValue, epochs: epochs, levels: [], written: false)
            var diverged: [String] = []
            for level in levels {
                let (graph, trainable, masks) = try LevelTraining.problem(model, level: level)
                let bar = StagedProgress(levels.count > 1 || level > 0 ? "level \(level)" : "")
                let base = model
                var checkpoint: (graph: Graph, epoch: EpochReport)? = nil
                let result: FineTuneResult?
                do {
                    result = try FineTuner.run(graph, trainable: trainable, masks: masks, train: train, validation: validation,
                                               options: tuneOptions, progress: { event in
                        switch event {
                        case .batch(let e, let b, let n, _): bar.report("epoch \(e)/\(epochs)", b, n)
                        case .epoch(let r):
                            bar.finish()
                            CLI.note(String(format: "level %d epoch %d/%d: loss %.4f, validation accuracy %.4f%@", level, r.epoch, epochs,
                                            r.trainLoss, r.validationAccuracy, r.improved ? " (best so far, written)" : ""))
                        }
                    }, improved: { trained, epoch in
                        // Checkpoint: the model with this level's best so far.
                        try EPMWriter.write(try LevelTraining.store(trained, tensors: trainable, into: base, level: level), to: output)
                        checkpoint = (trained, epoch)
                        report.written = true
                    })
                } catch where FineTuner.isDivergence(error) {
                    // The level keeps its best epoch before the divergence (already written), or
                    // stays as it was.
                    bar.finish()
                    let message = (error as? EdgePruneError)?.message ?? "\(error)"
                    diverged.append("level \(level): \(message)")
                    CLI.note("level \(level): \(message); " + (checkpoint.map { "kept its best epoch before that (epoch \($0.epoch.epoch))" } ?? "level kept as it was"))
                    result = nil
                }
                let best = result.map { $0.bestEpoch > 0 ? $0.graph : nil } ?? checkpoint?.graph
                var runtimeAccuracy: Double? = nil
                if let best {
                    model = try LevelTraining.store(best, tensors: trainable, into: model, level: level)
                    runtimeAccuracy = try FinetuneCommand.accuracy(model, level: level, validation, options: options)
                    if level > 0 { model.ladder!.levels[level].accuracy = runtimeAccuracy }
                    try EPMWriter.write(model, to: output)
                }
                if let result {
                    if let runtimeAccuracy {
                        CLI.note(String(format: "level %d: validation accuracy %.4f -> %.4f (epoch %d; runtime %.4f)", level,
                                        result.initialValidationAccuracy, result.bestValidationAccuracy, result.bestEpoch, runtimeAccuracy))
                    } else {
                        CLI.note(String(format: "level %d: no epoch beat the starting model's validation accuracy %.4f; level kept as it was",
                                        level, result.initialValidationAccuracy))
                    }
                    report.levels.append(.init(level: level, initialValidationAccuracy: result.initialValidationAccuracy,
                                               bestValidationAccuracy: result.bestValidationAccuracy, bestEpoch: result.bestEpoch,
                                               runtimeValidationAccuracy: runtimeAccuracy, diverged: nil,
                                               epochs: result.epochs.map { .init(epoch: $0.epoch, trainLoss: $0.trainLoss, validationAccuracy: $0.validationAccuracy) }))
                } else {
                    report.levels.append(.init(level: level, initialValidationAccuracy: nil,
                                               bestValidationAccuracy: checkpoint?.epoch.validationAccuracy, bestEpoch: checkpoint?.epoch.epoch ?? 0,
                                               runtimeValidationAccuracy: runtimeAccuracy, diverged: diverged.last, epochs: []))
                }
            }
            guard report.written else {
                let why = diverged.isEmpty ? "" : " (\(diverged.joined(separator: "; ")))"
                throw EdgePruneError(.input, "no level improved on the validation data\(why); nothing written (the model is unchanged)")
            }
            if json { try CLI.printJSON(report) } else { print("wrote \(output)") }
        }
    }

    func levelsToTrain(_ model: Graph) throws -> [Int] {
        let top = model.ladder?.topLevel ?? 0
        switch level {
        case nil: return top > 0 ? Array(1...top) : [0]
        case "all"?:
            guard top > 0 else { throw EdgePruneError(.input, "--level all needs a model with a sparsity ladder; this one has only level 0") }
            return Array(1...top)
        case let text?:
            guard let l = Int(text), l >= 0, l <= top else {
                throw EdgePruneError(.input, "--level must be 'all' or a level in 0...\(top); got '\(text)'")
            }
            return [l]
        }
    }

    func loadData(_ model: Graph, classes: Int?) throws -> (LabelledData, LabelledData) {
        guard let info = model.runtimeInputs.first, model.runtimeInputs.count == 1 else {
            throw EdgePruneError(.input, "fine-tuning needs a single-input model")
        }
        func read(_ x: String, _ y: String, _ what: String) throws -> LabelledData {
            let t = try InputFiles.fit(try InputFiles.read(x, dtype: info.dtype), to: info, path: x)
            return try LabelledData(inputs: t, labels: try EvaluationInputs.readLabels(y), classes: classes, what: "\(what) '\(x)'")
        }
        let all = try read(data, labels, "training data")
        if let valData, let valLabels { return (all, try read(valData, valLabels, "validation data")) }
        return try all.split(holdOut: valFraction, seed: seed)
    }

    /// Top-1 accuracy of a level on the validation data, run by the inference runtime.
    static func accuracy(_ model: Graph, level: Int, _ data: LabelledData, options: ModelOptions) throws -> Double {
        LevelTraining.accuracy(try LevelTraining.runtimePredictions(model, level: level, data, limits: options.limits), data.labels)
    }
}
