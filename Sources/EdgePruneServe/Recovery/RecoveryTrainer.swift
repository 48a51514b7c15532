import EdgePruneCore
import EdgePruneDaemon
import EdgePruneDevice
import EdgePrunePruning
import EdgePruneTraining
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one recovery attempt decided.
public enum RecoveryOutcome: Sendable {
    /// The fine-tuned model is better on the held-out slice (and passed the runtime re-check).
    case adopted(Graph, RecoveryFigures)
    /// Training ran, but the result is not better: discarded.
    case rejected(String, RecoveryFigures?)
    /// Training could not run or stopped (bad data, NaN loss, divergence): nothing changed.
    case failed(String)
    /// Not attempted (level 0, too few samples).
    case skipped(String)

    public var kind: String {
        switch self {
        case .adopted: return "adopted"
        case .rejected: return "rejected"
        case .failed: return "failed"
        case .skipped: return "skipped"
        }
    }

    public var reason: String {
        switch self {
        case .adopted(_, let f):
            return "held-out accuracy \(RecoveryTrainer.fraction(f.accuracyBefore)) -> \(RecoveryTrainer.fraction(f.accuracyAfter)) "
                + "at level \(f.level) on \(f.validationSamples) samples (epoch \(f.bestEpoch), p \(RecoveryTrainer.pText(f.pValue)))"
        case .rejected(let why, _), .failed(let why), .skipped(let why): return why
        }
    }

    public var figures: RecoveryFigures? {
        switch self {
        case .adopted(_, let f): return f
        case .rejected(_, let f): return f
        default: return nil
        }
    }
}

/// The measured figures of an attempt that trained.
public struct RecoveryFigures: Sendable, Equatable {
    public let level: Int
    public let trainSamples: Int
    public let validationSamples: Int
    /// Held-out accuracy of the running level and of the candidate, run by the inference runtime.
    public let accuracyBefore: Double
    public let accuracyAfter: Double
    /// The epoch whose weights are the candidate (0: none beat the start).
    public let bestEpoch: Int
    public let epochsRun: Int
    /// Held-out samples only the candidate gets right, and only the running level gets right.
    public let candidateOnly: Int
    public let runningOnly: Int
    /// One-sided exact McNemar (sign) test of `candidateOnly` against `runningOnly`.
    public let pValue: Double
    public let seconds: Double
}

/// One recovery attempt, without threads or the daemon: split the labelled samples into train,
/// a selection slice (best epoch) and a held-out slice (adoption), deterministically, fine-tune the given level of the model (its current weights,
/// recovered ones included) with masked fine-tuning, and return the model with that level's new
/// weights only when it is better on the held-out slice: FineTuner's best epoch beats the start,
/// the inference runtime agrees (the candidate level's accuracy strictly above the running one's),
/// and the gain passes a one-sided exact McNemar test at `settings.significance`.
public enum RecoveryTrainer {
    /// `inputs`: samples × the model's input values, flat; `shouldStop` ends training early (the
    /// best validated epoch so far still counts) and says why.
    public static func attempt(model: Graph, level: Int, inputs: [Float], labels: [Int], settings: DaemonConfig.Recovery,
                               seed: UInt64 = 1, shouldStop: (() -> String?)? = nil) -> RecoveryOutcome {
        let start = DeviceClock.monotonicSeconds()
        if level == 0, let ladder = model.ladder {
            return .skipped("the active level is 0, the dense reference of a \(ladder.topLevel + 1)-level ladder; recovery fine-tunes pruned levels only")
        }
        guard labels.count >= settings.minSamples else {
            return .skipped("\(labels.count) labelled samples; recovery.min_samples is \(settings.minSamples)")
        }
        let classes: Int
        let data: LabelledData
        do {
            let shape = try sampleShape(model)
            guard inputs.count == labels.count * shape.reduce(1, *) else {
                return .failed("\(inputs.count) input values for \(labels.count) samples of \(shape.reduce(1, *)) values each")
            }
            classes = try classCount(model)
            data = try LabelledData(inputs: Tensor(inputs, shape: [labels.count] + shape), labels: labels, classes: classes,
                                    what: "the labelled feedback")
        } catch {
            return .failed("\(message(error))")
        }
        if Set(labels).count < 2 {
            return .failed("every labelled sample has label \(labels[0]); training on one class would only teach the model to say it")
        }
        do {
            // Three disjoint slices: `validation` (recovery.validation_fraction) only judges the
            // candidate against the running level, so the adoption test is not biased by the data
            // that picked the best epoch; that data (`selection`, a fifth of the rest) comes out
            // of the training share.
            let (trainAll, validation) = try data.split(holdOut: settings.validationFraction, seed: seed)
            let (train, selection) = try trainAll.split(holdOut: 0.2, seed: seed &+ 1)
            let (graph, trainable, masks) = try LevelTraining.problem(model, level: level)
            let options = FineTuneOptions(optimizer: OptimizerSettings(kind: settings.optimizer == .adam ? .adam : .sgd,
                                                                       learningRate: settings.effectiveLearningRate,
                                                                       momentum: settings.momentum, weightDecay: settings.weightDecay),
                                          epochs: settings.epochs, batchSize: settings.batchSize, seed: seed)
            var stopReason: String? = nil
            let result = try FineTuner.run(graph, trainable: trainable, masks: masks, train: train, validation: selection,
                                           options: options, shouldStop: {
                if stopReason == nil { stopReason = shouldStop?() }
                return stopReason != nil
            })
            let before = try predictions(model, level: level, validation)
            func figures(_ after: [Int]) -> RecoveryFigures {
                let truth = validation.labels
                var candidateOnly = 0, runningOnly = 0
                for i in truth.indices {
                    let a = after[i] == truth[i], b = before[i] == truth[i]
                    if a && !b { candidateOnly += 1 } else if b && !a { runningOnly += 1 }
                }
                return RecoveryFigures(level: level, trainSamples: train.samples, validationSamples: validation.samples,
                                       accuracyBefore: accuracy(before, truth), accuracyAfter: accuracy(after, truth),
                                       bestEpoch: result.bestEpoch, epochsRun: result.epochs.count, candidateOnly: candidateOnly,
                                       runningOnly: runningOnly, pValue: signTest(candidateOnly, runningOnly),
                                       seconds: DeviceClock.monotonicSeconds() - start)
            }
            let stopped = result.stoppedEarly ? " (training stopped early: \(stopReason ?? "asked to stop"))" : ""
            guard result.bestEpoch > 0 else {
                return .rejected("no epoch beat the running level's accuracy \(fraction(result.initialValidationAccuracy)) "
                                 + "on the \(selection.samples) samples that pick the best epoch\(stopped); discarded", figures(before))
            }
            let candidate = try LevelTraining.store(result.graph, tensors: trainable, into: model, level: level)
            let f = figures(try predictions(candidate, level: level, validation))
            guard f.accuracyAfter > f.accuracyBefore else {
                return .rejected("the runtime measures the candidate at \(fraction(f.accuracyAfter)) held-out accuracy against "
                                 + "\(fraction(f.accuracyBefore)) for the running level\(stopped); discarded", f)
            }
            guard f.pValue <= settings.significance else {
                return .rejected("held-out accuracy \(fraction(f.accuracyBefore)) -> \(fraction(f.accuracyAfter)) on \(validation.samples) "
                                 + "samples is not significant (p \(pText(f.pValue)) > recovery.significance "
                                 + "\(fraction(settings.significance)))\(stopped); discarded", f)
            }
            return .adopted(candidate, f)
        } catch {
            return .failed("\(message(error)); the running model is kept")
        }
    }

    /// The per-sample input shape (the model's first input without its batch dimension).
    static func sampleShape(_ model: Graph) throws -> [Int] {
        guard model.runtimeInputs.count == 1, let info = model.runtimeInputs.first else {
            throw EdgePruneError(.input, "recovery needs a single-input model")
        }
        let dims = info.dims.dropFirst().map { d -> Int? in if case .fixed(let n) = d { return n } else { return nil } }
        guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw EdgePruneError(.input, "recovery needs the input '\(info.name)' to have fixed dimensions after the batch one")
        }
        return dims.map { $0! }
    }

    static func classCount(_ model: Graph) throws -> Int {
        guard let out = model.outputs.first, let last = out.dims.last, case .fixed(let c) = last, c >= 2 else {
            throw EdgePruneError(.input, "recovery needs class scores with a fixed class count as the first output")
        }
        return c
    }

    static func predictions(_ model: Graph, level: Int, _ data: LabelledData) throws -> [Int] {
        try LevelTraining.runtimePredictions(model, level: level, data)
    }

    static func accuracy(_ predicted: [Int], _ truth: [Int]) -> Double { LevelTraining.accuracy(predicted, truth) }

    /// P(X >= wins) for X ~ Binomial(wins + losses, 1/2): the one-sided exact McNemar test that the
    /// candidate wins the discordant samples more often than chance. 1 when there are none.
    public static func signTest(_ wins: Int, _ losses: Int) -> Double {
        let n = wins + losses
        guard n > 0, wins > 0 else { return 1 }
        let logHalf = Double(n) * Glibc.log(0.5)
        var p = 0.0
        for k in wins...n {
            p += Glibc.exp(Glibc.lgamma(Double(n + 1)) - Glibc.lgamma(Double(k + 1)) - Glibc.lgamma(Double(n - k + 1)) + logHalf)
        }
        return min(p, 1)
    }

    /// A fraction with 4 decimals, for messages.
    static func fraction(_ v: Double) -> String {
        guard v.isFinite else { return "\(v)" }
        return "\((v * 10_000).rounded() / 10_000)"
    }

    /// The error's message, with the CLI's option names as the config's keys.
    static func message(_ error: Error) -> String {
        ((error as? EdgePruneError)?.message ?? "\(error)").replacingOccurrences(of: "--lr", with: "recovery.learning_rate")
    }

    /// A p-value for messages.
    static func pText(_ p: Double) -> String { p > 0 && p < 1e-4 ? "< 0.0001" : "= \(fraction(p))" }
}
