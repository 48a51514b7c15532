import ArgumentParser
import EdgePruneCore
import EdgePrunePruning
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "The eval measurements for every level of a model's sparsity ladder, as a table and an SVG plot.",
        discussion: """
            For each level 0...n (a model without a ladder has only level 0): sparsity, accuracy, macro F1, \
            parameters, non-zeros, size of an .epm holding only that level, effective MACs, batch-1 latency \
            p50/p95 with speedups against level 0 and the previous level, the weight formats the planner chose \
            for the Linear/Conv layers, and the input features (or channels) that lost most importance \
            against level 0 (occlusion attribution).
            """)

    @OptionGroup var options: ModelOptions

    @OptionGroup var evaluation: EvaluationOptions

    @Option(help: "Also write an SVG plot of accuracy, latency and size against sparsity (written atomically).")
    var plot: String?

    @Flag(help: "Print JSON.")
    var json = false

    struct LevelRow: Encodable {
        let level: Int
        let sparsity: Double
        let accuracy: Double
        let macroF1: Double
        let parameters: Int
        let nonzeros: Int
        /// Bytes of an .epm holding only this level.
        let sizeBytes: Int
        let macs: Int
        let effectiveMacs: Int
        let latency: LatencyStats?
        /// p50 latency ratios: level 0 / this level, previous level / this level.
        let speedupVsLevel0: Double?
        let speedupVsPrevious: Double?
        let kernelSummary: String
        let kernels: [LayerKernel]
        let classification: ClassificationReport
        let attributionUnit: String?
        /// Top 5 input units by importance drop against level 0 (empty at level 0).
        let lostMostImportance: [AttributionDrop]
    }

    struct Report: Encodable {
        let model: String
        let samples: Int
        let modelBytes: Int
        let ladder: LadderInfo?
        let levels: [LevelRow]
    }

    struct LadderInfo: Encodable { let method: String; let granularity: String; let scope: String; let levels: Int }

    func run() throws {
        try CLI.guarded {
            if let plot { try checkPlotDestination(plot) }
            let inputs = try EvaluationInputs(options: options, data: evaluation.data, labels: evaluation.labels)
            let top = inputs.graph.ladder?.topLevel ?? 0
            let settings = LevelEvaluator.Options(batch: evaluation.batch, latencyRuns: evaluation.latencyRuns, attributionSamples: evaluation.attributionSamples)
            var reports: [LevelReport] = []
            for level in 0...top {
                let progress = StagedProgress("level \(level)/\(top)")
                let r = try inputs.namingLabels {
                    try LevelEvaluator.evaluate(inputs.graph, level: level, data: inputs.x, labels: inputs.y,
                                                options: settings, makeSession: inputs.makeSession,
                                                progress: progress.report)
                }
                progress.finish()
                reports.append(r)
            }
            let rows = try reports.enumerated().map { i, r in try row(r, previous: i > 0 ? reports[i - 1] : nil, first: reports[0]) }
            let report = Report(model: options.model, samples: inputs.y.count, modelBytes: CLI.fileSize(options.model),
                                ladder: inputs.graph.ladder.map { LadderInfo(method: $0.method, granularity: $0.granularity, scope: $0.scope, levels: $0.levels.count) },
                                levels: rows)
            if let plot {
                let points = rows.map {
                    ProfilePlot.Point(level: $0.level, sparsity: $0.sparsity, accuracy: $0.accuracy,
                                      p50Micros: $0.latency?.p50Micros, p95Micros: $0.latency?.p95Micros, sizeBytes: $0.sizeBytes)
                }
                let title = "\((options.model as NSString).lastPathComponent): \(rows.count) level\(rows.count == 1 ? "" : "s"), \(inputs.y.count) samples"
                try FileIO.writeAtomically(plot, bytes: Array(ProfilePlot.svg(points, title: title).utf8))
            }
            if json { try CLI.printJSON(report); return }
            print(text(report, attributions: reports.map(\.attribution)))
        }
    }

    /// --plot into a missing directory (or onto a directory) fails before any work is done.
    func checkPlotDestination(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir), isDir.boolValue else {
            throw EdgePruneError(.io, "--plot '\(path)': directory '\(dir)' does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw EdgePruneError(.io, "--plot '\(path)' is a directory")
        }
    }

    func row(_ r: LevelReport, previous: LevelReport?, first: LevelReport) throws -> LevelRow {
        func speedup(_ base: LevelReport?) -> Double? {
            guard let b = base?.latency?.p50Micros, let t = r.latency?.p50Micros, t > 0 else { return nil }
            return b / t
        }
        var drops: [AttributionDrop] = []
        if r.level > 0, let a = r.attribution, let a0 = first.attribution {
            drops = try InputAttribution.drops(from: a0, to: a, top: 5)
        }
        let c = r.classification!
        return LevelRow(level: r.level, sparsity: r.sparsity, accuracy: c.accuracy, macroF1: c.macroF1,
                        parameters: r.stats.parameters, nonzeros: r.stats.nonzeros, sizeBytes: r.epmBytes,
                        macs: r.stats.macs, effectiveMacs: r.stats.effectiveMacs, latency: r.latency,
                        speedupVsLevel0: speedup(first), speedupVsPrevious: speedup(previous),
                        kernelSummary: LevelText.kernelSummary(r.kernels), kernels: r.kernels, classification: c,
                        attributionUnit: r.attribution?.unit, lostMostImportance: drops)
    }

    func text(_ r: Report, attributions: [AttributionResult?]) -> String {
        var lines: [String] = []
        var head = "\(r.model): \(r.levels.count) level\(r.levels.count == 1 ? "" : "s"), \(r.samples) samples, model file \(r.modelBytes) bytes"
        if let l = r.ladder { head += "; ladder \(l.method), \(l.granularity), \(l.scope)" }
        lines.append(head)
        lines.append("")
        var table = TextTable(["level", "sparsity", "accuracy", "macro F1", "params", "nonzeros", "size (.epm)",
                               "eff. MACs", "p50 µs", "p95 µs", "vs L0", "vs prev", "Linear/Conv kernels"], leftAligned: [12])
        for l in r.levels {
            table.add([String(l.level), Fmt.percent(l.sparsity, digits: 1), Fmt.percent(l.accuracy), Fmt.fixed(l.macroF1, 4),
                       Fmt.count(l.parameters), Fmt.count(l.nonzeros), Fmt.bytes(l.sizeBytes), Fmt.count(l.effectiveMacs),
                       l.latency.map { Fmt.micros($0.p50Micros) } ?? "-", l.latency.map { Fmt.micros($0.p95Micros) } ?? "-",
                       l.speedupVsLevel0.map(Fmt.ratio) ?? "-", l.speedupVsPrevious.map(Fmt.ratio) ?? "-", l.kernelSummary])
        }
        lines.append(table.render())
        if r.levels.count > 1, let reference = attributions.first ?? nil {
            lines.append("")
            lines.append("input \(reference.unit)s that lost most importance against level 0 (occlusion, \(reference.samples) samples)")
            for (l, a) in zip(r.levels, attributions).dropFirst() {
                guard let a else { continue }
                lines.append("level \(l.level):")
                lines += LevelText.dropLines(l.lostMostImportance, attribution: a, referenceImportance: reference.importance)
            }
        }
        return lines.joined(separator: "\n")
    }
}
