import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Accuracy, per-class metrics, size, MACs and latency of a model (or one level of its sparsity ladder) on labelled data.",
        discussion: """
            Predictions are the argmax of the first output. Size on disk is the model file at level 0 and, \
            for --level L > 0, an .epm holding only that level. With --level L > 0 the report also shows \
            which input features (or channels) lost most importance between level 0 and level L \
            (occlusion attribution).
            """)

    @OptionGroup var options: ModelOptions

    @OptionGroup var evaluation: EvaluationOptions

    @Option(help: "Sparsity-ladder level to evaluate (0: the stored weights).")
    var level: Int = 0

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard level >= 0 else { throw ValidationError("--level must be 0 or more") }
    }

    /// The JSON report. The first four fields are the original `eval` output, kept as they were.
    struct Report: Encodable {
        let model: String
        let samples: Int
        let correct: Int
        let accuracy: Double
        let level: Int
        let sparsity: Double
        let macroF1: Double
        let perClass: [ClassMetrics]
        let confusion: [[Int]]
        let parameters: Int
        let nonzeros: Int
        let sizeBytes: Int
        /// "model file" or "epm of level L".
        let sizeSource: String
        let macs: Int
        let effectiveMacs: Int
        let latency: LatencyStats?
        let kernels: [LayerKernel]
        let interpretability: Interpretability?
    }

    struct Interpretability: Encodable {
        let unit: String
        let unitShape: [Int]
        let samples: Int
        /// Top 5 units by importance drop from level 0 to this level.
        let lostMostImportance: [AttributionDrop]
        let importanceLevel0: [Double]
        let importance: [Double]
    }

    func run() throws {
        try CLI.guarded {
            let inputs = try EvaluationInputs(options: options, data: evaluation.data, labels: evaluation.labels)
            let progress = StagedProgress(level > 0 ? "level \(level)" : "")
            defer { progress.finish() }
            let settings = LevelEvaluator.Options(batch: evaluation.batch, latencyRuns: evaluation.latencyRuns,
                                                  attributionSamples: level > 0 ? evaluation.attributionSamples : 0)
            let r = try inputs.namingLabels {
                try LevelEvaluator.evaluate(inputs.graph, level: level, data: inputs.x, labels: inputs.y,
                                            options: settings, makeSession: inputs.makeSession,
                                            progress: progress.report)
            }
            var interpretability: Interpretability? = nil
            if let attribution = r.attribution {
                let base = try inputs.makeSession(try PrunedLevels.graph(inputs.graph, level: 0))
                let stage = StagedProgress("level 0")
                let reference = try InputAttribution.occlusion(base, data: inputs.x, maxSamples: evaluation.attributionSamples) {
                    stage.report("attribution", $0, $1)
                }
                stage.finish()
                interpretability = Interpretability(
                    unit: attribution.unit, unitShape: attribution.unitShape, samples: attribution.samples,
                    lostMostImportance: try InputAttribution.drops(from: reference, to: attribution, top: 5),
                    importanceLevel0: reference.importance, importance: attribution.importance)
            }
            progress.finish()
            let c = r.classification!
            let sizeBytes = level == 0 ? CLI.fileSize(options.model) : r.epmBytes
            let report = Report(
                model: options.model, samples: c.samples, correct: c.correct, accuracy: c.accuracy, level: level,
                sparsity: r.sparsity, macroF1: c.macroF1, perClass: c.perClass, confusion: c.confusion,
                parameters: r.stats.parameters, nonzeros: r.stats.nonzeros, sizeBytes: sizeBytes,
                sizeSource: level == 0 ? "model file" : "epm of level \(level)", macs: r.stats.macs,
                effectiveMacs: r.stats.effectiveMacs, latency: r.latency, kernels: r.kernels,
                interpretability: interpretability)
            if json { try CLI.printJSON(report); return }
            print(text(report, ladderTop: inputs.graph.ladder?.topLevel))
        }
    }

    func text(_ r: Report, ladderTop: Int?) -> String {
        var lines: [String] = []
        lines.append(String(format: "%@: accuracy %.2f%% (%d of %d)", r.model, 100 * r.accuracy, r.correct, r.samples))
        if let top = ladderTop {
            lines.append("level   \(r.level) of 0...\(top), sparsity \(Fmt.percent(r.sparsity, digits: 1))")
        }
        lines.append("macro F1 \(Fmt.fixed(r.macroF1, 4))")
        lines.append("")
        var perClass = TextTable(["class", "precision", "recall", "F1", "support"])
        for (i, m) in r.perClass.enumerated() {
            perClass.add([String(i), Fmt.fixed(m.precision, 4), Fmt.fixed(m.recall, 4), Fmt.fixed(m.f1, 4), String(m.support)])
        }
        lines.append(perClass.render())
        lines.append("")
        if r.confusion.count <= 20 {
            lines.append("confusion matrix (rows: true class, columns: predicted class)")
            var confusion = TextTable(["true"] + r.confusion.indices.map(String.init))
            for (i, row) in r.confusion.enumerated() { confusion.add([String(i)] + row.map(String.init)) }
            lines.append(confusion.render())
        } else {
            lines.append("confusion matrix: \(r.confusion.count) classes, see --json")
        }
        lines.append("")
        let zeros = r.parameters == 0 ? 0 : 1 - Double(r.nonzeros) / Double(r.parameters)
        lines.append("parameters  \(r.parameters) (\(r.nonzeros) non-zero, \(Fmt.percent(zeros, digits: 1)) zeros)")
        lines.append("size        \(r.sizeBytes) bytes (\(r.sizeSource))")
        let share = r.macs == 0 ? 1 : Double(r.effectiveMacs) / Double(r.macs)
        lines.append("MACs        \(r.macs) dense, \(r.effectiveMacs) effective (\(Fmt.percent(share, digits: 1))) per sample")
        if let l = r.latency {
            lines.append("latency     p50 \(Fmt.micros(l.p50Micros)) µs, p95 \(Fmt.micros(l.p95Micros)) µs at batch 1 (\(l.runs) runs, \(options.threads) thread\(options.threads == 1 ? "" : "s"))")
        }
        lines.append("kernels     \(LevelText.kernelSummary(r.kernels))")
        if let interp = r.interpretability {
            lines.append("")
            lines.append("interpretability: input \(interp.unit)s that lost most importance from level 0 to level \(r.level) (occlusion, \(interp.samples) samples)")
            let attribution = AttributionResult(unit: interp.unit, unitShape: interp.unitShape, importance: interp.importance, samples: interp.samples)
            lines += LevelText.dropLines(interp.lostMostImportance, attribution: attribution, referenceImportance: interp.importanceLevel0)
        }
        return lines.joined(separator: "\n")
    }
}
