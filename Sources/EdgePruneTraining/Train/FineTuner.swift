import EdgePruneCore
#if canImport(Glibc)
import Glibc
#endif

public struct FineTuneOptions: Sendable {
    public var optimizer: OptimizerSettings
    public var epochs: Int
    public var batchSize: Int
    /// Cosine decay of the learning rate to 0 over the run (else constant).
    public var cosine: Bool
    /// Stop after this many epochs without a better validation accuracy (nil: run every epoch).
    public var patience: Int?
    public var seed: UInt64
    /// Training stops as diverged when an epoch's mean loss exceeds this multiple of the loss
    /// before training (and the loss before training + 1).
    public var divergenceFactor: Double

    public init(optimizer: OptimizerSettings, epochs: Int, batchSize: Int = 32, cosine: Bool = true, patience: Int? = nil,
                seed: UInt64 = 1, divergenceFactor: Double = 4) {
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.cosine = cosine
        self.patience = patience
        self.seed = seed
        self.divergenceFactor = divergenceFactor
    }

    public func validate() throws {
        let o = optimizer
        guard epochs >= 1 else { throw EdgePruneError(.input, "--epochs must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw EdgePruneError(.input, "--batch-size must be at least 1 (got \(batchSize))") }
        guard o.learningRate.isFinite, o.learningRate > 0 else { throw EdgePruneError(.input, "--lr must be a positive number (got \(o.learningRate))") }
        guard o.weightDecay.isFinite, o.weightDecay >= 0 else { throw EdgePruneError(.input, "--weight-decay must be >= 0 (got \(o.weightDecay))") }
        guard o.momentum.isFinite, o.momentum >= 0, o.momentum < 1 else { throw EdgePruneError(.input, "--momentum must be in [0, 1) (got \(o.momentum))") }
        if let p = patience, p < 1 { throw EdgePruneError(.input, "--patience must be at least 1 (got \(p))") }
    }
}

/// One epoch's figures.
public struct EpochReport: Sendable {
    public let epoch: Int
    public let trainLoss: Double
    public let validationAccuracy: Double
    public let improved: Bool
}

public struct FineTuneResult: Sendable {
    /// The graph with the best parameters (those of `bestEpoch`; the input's when 0).
    public let graph: Graph
    public let initialValidationAccuracy: Double
    public let bestValidationAccuracy: Double
    /// 0 when no epoch beat the starting model.
    public let bestEpoch: Int
    public let epochs: [EpochReport]
    public let initialLoss: Double
    /// `shouldStop` ended the run before its last epoch (the epoch in progress was discarded).
    public var stoppedEarly = false
}

/// Masked fine-tuning of one model (one ladder level): the trainable parameters move, masked
/// elements stay exactly zero, and the parameters of the epoch with the best validation accuracy
/// win (the starting model counts as epoch 0, so the result is never worse on validation).
public enum FineTuner {
    public enum Event {
        case batch(epoch: Int, batch: Int, batches: Int, loss: Double)
        case epoch(EpochReport)
    }

    /// `masks`: per trainable tensor, true where the element may move (absent: all may).
    /// `improved` runs (with the graph) each time a better epoch is found: callers checkpoint there.
    /// `shouldStop` is asked after every batch (a time limit, a shutdown): when it says true, the
    /// run ends with the best epoch so far and the epoch in progress is discarded.
    public static func run(_ graph: Graph, trainable: Set<String>, masks: [String: [Bool]], train: LabelledData,
                           validation: LabelledData, options: FineTuneOptions, progress: ((Event) -> Void)? = nil,
                           improved: ((Graph, EpochReport) throws -> Void)? = nil,
                           shouldStop: (() -> Bool)? = nil) throws -> FineTuneResult {
        try options.validate()
        guard !trainable.isEmpty else { throw EdgePruneError(.input, "nothing to train: the model has no trainable weight (Gemm, MatMul or Conv with constant f32 weights)") }
        var model = try TrainingGraph<Float>(graph, trainable: trainable)
        let maskList: [[Bool]?] = try model.parameterNames.enumerated().map { i, name in
            guard let m = masks[name] else { return nil }
            guard m.count == model.parameters[i].count else {
                throw EdgePruneError(.input, "mask of '\(name)' has \(m.count) elements; the tensor has \(model.parameters[i].count)")
            }
            return m
        }
        for (i, m) in maskList.enumerated() {
            if let m { for j in 0..<m.count where !m[j] { model.parameters[i].data[j] = 0 } }
        }
        let classes = try model.classCount(train.batch([0]).0)
        try train.checkLabels(classes: classes, what: "training data")
        try validation.checkLabels(classes: classes, what: "validation data")
        let initialLoss = try meanLoss(model, train, batchSize: 256)
        guard initialLoss.isFinite else { throw EdgePruneError(.input, "the loss of the starting model is \(initialLoss) on the training data; nothing trained, the model is unchanged") }
        let initialAccuracy = try accuracy(model, validation)
        var best = (accuracy: initialAccuracy, epoch: 0, parameters: model.parameters)
        var optimizer = Optimizer(options.optimizer, shapes: model.parameters.map(\.count))
        var rng = SplitMix(seed: options.seed)
        var order = Array(0..<train.samples)
        let batches = (train.samples + options.batchSize - 1) / options.batchSize
        let totalSteps = Double(options.epochs * batches)
        var reports: [EpochReport] = []
        var step = 0
        var stopped = false
        for epoch in 1...options.epochs {
            rng.shuffle(&order)
            var lossSum = 0.0
            for b in 0..<batches {
                let (x, labels) = train.batch(order[(b * options.batchSize)..<min((b + 1) * options.batchSize, train.samples)])
                let (logits, values) = try model.forward(x)
                let (loss, dLogits) = CrossEntropy.loss(logits: logits, labels: labels[...])
                guard loss.isFinite else {
                    throw EdgePruneError(.input, "\(divergedPrefix): the loss became \(loss) at epoch \(epoch), batch \(b + 1); stopped, nothing written (try a lower --lr)")
                }
                let grads = try model.backward(values: values, logitsGradient: dLogits)
                let lr = options.cosine ? options.optimizer.learningRate * 0.5 * (1 + cosine(Double(step) / totalSteps)) : options.optimizer.learningRate
                optimizer.step(&model.parameters, grads, masks: maskList, learningRate: lr)
                step += 1
                lossSum += loss * Double(labels.count)
                progress?(.batch(epoch: epoch, batch: b + 1, batches: batches, loss: loss))
                if let shouldStop, shouldStop() { stopped = true; break }
            }
            if stopped { break }
            let epochLoss = lossSum / Double(train.samples)
            if !epochLoss.isFinite || (epochLoss > initialLoss * options.divergenceFactor && epochLoss > initialLoss + 1) {
                throw EdgePruneError(.input, "\(divergedPrefix): mean loss \(short(epochLoss)) at epoch \(epoch) against \(short(initialLoss)) before training; stopped, nothing written (try a lower --lr)")
            }
            let acc = try accuracy(model, validation)
            let better = acc > best.accuracy
            let report = EpochReport(epoch: epoch, trainLoss: epochLoss, validationAccuracy: acc, improved: better)
            reports.append(report)
            progress?(.epoch(report))
            if better {
                best = (acc, epoch, model.parameters)
                var snapshot = model
                snapshot.parameters = best.parameters
                try improved?(snapshot.writing(into: graph), report)
            }
            if let p = options.patience, epoch - max(best.epoch, 0) >= p { break }
        }
        model.parameters = best.parameters
        var result = FineTuneResult(graph: model.writing(into: graph), initialValidationAccuracy: initialAccuracy,
                                    bestValidationAccuracy: best.accuracy, bestEpoch: best.epoch, epochs: reports, initialLoss: initialLoss)
        result.stoppedEarly = stopped
        return result
    }

    /// How a divergence error starts (callers that keep an earlier checkpoint tell it apart).
    public static let divergedPrefix = "training diverged"

    public static func isDivergence(_ error: Error) -> Bool {
        (error as? EdgePruneError)?.message.hasPrefix(divergedPrefix) == true
    }

    /// A loss with 4 significant digits, for messages.
    static func short(_ v: Double) -> String {
        guard v.isFinite, v != 0 else { return "\(v)" }
        let scale = Glibc.pow(10, 3 - Glibc.floor(Glibc.log10(abs(v))))
        return "\((v * scale).rounded() / scale)"
    }

    static func cosine(_ t: Double) -> Double { Glibc.cos(Double.pi * t) }

    /// Mean cross-entropy over a data set.
    public static func meanLoss(_ model: TrainingGraph<Float>, _ data: LabelledData, batchSize: Int) throws -> Double {
        var sum = 0.0
        var start = 0
        while start < data.samples {
            let end = min(start + batchSize, data.samples)
            let (x, labels) = data.batch(Array(start..<end)[...])
            sum += CrossEntropy.loss(logits: try model.forward(x).logits, labels: labels[...]).loss * Double(end - start)
            start = end
        }
        return sum / Double(data.samples)
    }

    /// Top-1 accuracy over a data set.
    public static func accuracy(_ model: TrainingGraph<Float>, _ data: LabelledData, batchSize: Int = 256) throws -> Double {
        var correct = 0
        var start = 0
        while start < data.samples {
            let end = min(start + batchSize, data.samples)
            let (x, labels) = data.batch(Array(start..<end)[...])
            let logits = try model.forward(x).logits
            let c = logits.count / (end - start)
            for (s, label) in labels.enumerated() {
                var arg = 0
                for k in 1..<c where logits.data[s * c + k] > logits.data[s * c + arg] { arg = k }
                if arg == label { correct += 1 }
            }
            start = end
        }
        return Double(correct) / Double(data.samples)
    }
}
