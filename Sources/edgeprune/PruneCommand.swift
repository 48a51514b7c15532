import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import EdgePruneTraining
import Foundation

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Prune a model into a nested sparsity ladder and write it as .epm.",
        discussion: """
            Every level keeps a subset of the previous level's weights, so the runtime can tighten or \
            relax the model by moving one threshold. The .epm keeps the original weights (level 0) and \
            stores, per level, the sparsity of every layer, MACs, size, and the accuracy and latency \
            measured here on the calibration data. Use `edgeprune profile` to compare the levels, \
            `edgeprune eval --level L` for one level and `edgeprune export --level L` for an ONNX file.

            Examples:
              edgeprune prune model.onnx --ladder 0.5,0.7,0.9 -o model.epm
              edgeprune prune model.onnx --method activation --granularity block:16x1 --calib x.npy --ladder 0.5,0.8 -o m.epm
              edgeprune prune cnn.onnx --granularity channel --ladder 0.5 --calib x.npy --labels y.npy -o half.epm
              edgeprune prune model.onnx --target 0.9 --steps 5 --calib x.npy --labels y.npy --accuracy-floor 0.95 -o m.epm
              edgeprune prune model.onnx --ladder 0.9,0.95 --recover reconstruct --calib x.npy -o recovered.epm

            --recover reconstruct re-fits every level's surviving weights and biases, layer by layer, by \
            damped least squares so the pruned layers reproduce the dense layers' outputs on the \
            calibration samples (no labels needed); the accuracy column then measures the re-fitted levels.
            """)

    @OptionGroup var options: ModelOptions

    @Option(help: ArgumentHelp("Importance score: \(ImportanceMethod.allCases.map(\.rawValue).joined(separator: ", ")). magnitude needs no data; activation and apoz need --calib; sensitivity, ib, taylor and snip need --calib and --labels (taylor: mean |w·g| over calibration batches; snip: |w·g| with g over all the calibration data).", valueName: "method"))
    var method: String = "magnitude"

    @Option(help: ArgumentHelp("What is removed together: unstructured, block:RxC (R outputs x C inputs; block:16x1, block:32x1 and block:1x4 match fast kernels), nm:N:M (nm:2:4, nm:4:8) or channel (whole neurons/filters, compacted when a level is loaded or exported).", valueName: "granularity"))
    var granularity: String = "unstructured"

    @Option(help: ArgumentHelp("global: one target over all pruned layers, spread by LAMP-normalised scores; global-threshold: one threshold on the raw scores over all pruned layers (torch's global_unstructured; can empty a small-weight layer); layer: every layer to the target.", valueName: "scope"))
    var scope: String = "global"

    @Option(help: ArgumentHelp("Sparsity levels, ascending, each in (0, 1): the ladder (one-shot scores).", valueName: "s1,s2,..."))
    var ladder: String?

    @Option(help: ArgumentHelp("Final sparsity of a gradual (Zhu-Gupta cubic) schedule; with --steps.", valueName: "sparsity"))
    var target: Double?

    @Option(help: "Levels of the gradual schedule (data-driven scores are recomputed on each level before the next).")
    var steps: Int?

    @Option(help: "Calibration samples (.npy, batch dimension first) for data-driven scores and the ladder's accuracy column.")
    var calib: String?

    @Option(help: "Integer labels (.npy), one per calibration sample.")
    var labels: String?

    @Option(help: ArgumentHelp("Layers to leave alone, by node or weight name, comma-separated; 'none' protects nothing. Default: the first and last layer.", valueName: "names"))
    var protect: String?

    @Option(help: "Largest sparsity any one layer (or channel group) may reach.")
    var maxLayerSparsity: Double = 0.99

    @Option(help: "Stop the ladder at the last level whose calibration accuracy is at least this (0...1; needs --labels).")
    var accuracyFloor: Double?

    @Option(help: "Timed batch-1 runs per level for the ladder's latency column (0: skip).")
    var latencyRuns: Int = 100

    @Option(help: ArgumentHelp("Recover the levels after pruning: reconstruct (label-free layer-wise least-squares re-fit of the kept weights and biases; needs --calib).", valueName: "method"))
    var recover: String?

    @Option(help: ArgumentHelp("Reconstruction damping: lambda = D x mean diagonal of each layer's input Gram matrix (default \(RecoveryMethod.defaultDamping)).", valueName: "D"))
    var damping: Double?

    @Option(help: ArgumentHelp("What reconstruction's damping pulls the kept weights towards: zero (ridge) or dense (their dense values, as SparseGPT's damped Hessian does).", valueName: "anchor"))
    var dampToward: String?

    @Option(name: .shortAndLong, help: "Output .epm (written atomically; nothing is written on any error).")
    var output: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if (ladder == nil) == (target == nil) { throw ValidationError("give either --ladder s1,s2,... or --target S with --steps K") }
        if target != nil && steps == nil { throw ValidationError("--target needs --steps K") }
        if steps != nil && target == nil { throw ValidationError("--steps needs --target S") }
        if labels != nil && calib == nil { throw ValidationError("--labels needs --calib") }
        guard latencyRuns >= 0 else { throw ValidationError("--latency-runs must be >= 0") }
        try CLI.checkOutputDirectory(output)
    }

    struct Report: Encodable {
        let model: String, output: String, method: String, granularity: String, scope: String
        let protected: [String], skipped: [String], floorNote: String?
        let levels: [Level]
        /// Present when --recover was given.
        let recovery: ReconstructionReport?
        struct Level: Encodable {
            let level: Int, requested: Double?, sparsity: Double, accuracy: Double?, macs: Int, parameters: Int
            let nonzeros: Int, sizeBytes: Int, latencyP50Micros: Double?, layerSparsity: [String: Double]
        }
    }

    func run() throws {
        try CLI.guarded {
            let parsedMethod = try ImportanceMethod(parsing: method)
            let parsedGranularity = try Granularity(parsing: granularity)
            guard let parsedScope = PruneScope(rawValue: scope) else {
                throw EdgePruneError(.input, "unknown scope '\(scope)' (\(PruneScope.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let levels = try ladder.map(Schedule.parse) ?? Schedule.cubic(target: target!, steps: steps!)
            let recovery = try recover.map(RecoveryMethod.init(parsing:))
            if damping != nil && recovery == nil { throw EdgePruneError(.input, "--damping needs --recover reconstruct") }
            if dampToward != nil && recovery == nil { throw EdgePruneError(.input, "--damp-toward needs --recover reconstruct") }
            let anchor = try dampToward.map(DampingAnchor.init(parsing:)) ?? .zero
            let protectList: [String]? = protect.map { $0 == "none" ? [] : $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            let pruneOptions = PruneOptions(method: parsedMethod, granularity: parsedGranularity, scope: parsedScope,
                                            levels: levels, rescore: target != nil, protect: protectList,
                                            maxLayerSparsity: maxLayerSparsity, accuracyFloor: accuracyFloor, latencyRuns: latencyRuns,
                                            recover: recovery, damping: damping ?? RecoveryMethod.defaultDamping, dampingAnchor: anchor)
            let graph = try ModelLoader.load(options.model, limits: options.limits)
            var data: CalibrationData? = nil
            if let calib {
                guard let info = graph.runtimeInputs.first, graph.runtimeInputs.count == 1 else {
                    throw EdgePruneError(.input, "pruning with --calib needs a single-input model")
                }
                let x = try InputFiles.fit(try InputFiles.read(calib, dtype: info.dtype), to: info, path: calib)
                let y = try labels.map(EvaluationInputs.readLabels)
                data = try CalibrationData(inputs: x, labels: y, for: graph)
            }
            let progress = StagedProgress("prune")
            let outcome = try Pruner.prune(graph, options: pruneOptions, data: data,
                                           gradients: parsedMethod.needsGradients ? TrainingGradients() : nil,
                                           makeSession: { try InferenceSession(graph: $0, limits: options.limits, threads: options.threads, policy: options.policy) },
                                           progress: progress.report)
            progress.finish()
            try EPMWriter.write(outcome.graph, to: output)
            let ladder = outcome.graph.ladder!
            let report = Report(
                model: options.model, output: output, method: parsedMethod.rawValue, granularity: parsedGranularity.description,
                scope: parsedScope.rawValue, protected: outcome.protectedLayers, skipped: outcome.skipped, floorNote: outcome.floorNote,
                levels: ladder.levels.enumerated().map { i, l in
                    Report.Level(level: i, requested: i == 0 ? nil : outcome.requested[i - 1], sparsity: l.sparsity, accuracy: l.accuracy,
                                 macs: l.macs, parameters: l.parameters, nonzeros: l.nonzeros, sizeBytes: l.sizeBytes,
                                 latencyP50Micros: l.latencyMicros, layerSparsity: l.layerSparsity)
                }, recovery: outcome.recovery)
            if json { try CLI.printJSON(report); return }
            printText(report)
        }
    }

    private func printText(_ r: Report) {
        print("\(r.output): \(r.levels.count - 1) level\(r.levels.count == 2 ? "" : "s"), \(r.method) \(r.granularity), scope \(r.scope)")
        if !r.protected.isEmpty { print("protected: \(r.protected.joined(separator: ", "))") }
        for s in r.skipped { print("not pruned: \(s)") }
        var table = TextTable(["level", "requested", "sparsity", "accuracy", "MACs", "non-zeros", "size", "p50 us", "vs level 0"])
        let base = r.levels.first?.latencyP50Micros
        for l in r.levels {
            var speedup = "-"
            if let b = base, let t = l.latencyP50Micros, t > 0 { speedup = String(format: "%.2fx", b / t) }
            table.add([
                "\(l.level)", l.requested.map { String(format: "%.3f", $0) } ?? "-", String(format: "%.4f", l.sparsity),
                l.accuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "-", "\(l.macs)", "\(l.nonzeros)",
                String(format: "%.1f KB", Double(l.sizeBytes) / 1024), l.latencyP50Micros.map { String(format: "%.1f", $0) } ?? "-",
                speedup,
            ])
        }
        print(table.render())
        print("per-layer sparsity:")
        for l in r.levels.dropFirst() {
            print("  level \(l.level): " + l.layerSparsity.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: ", "))
        }
        if let note = r.floorNote { print("note: \(note)") }
        if let rec = r.recovery { printRecovery(rec) }
    }

    /// What --recover did: one summary line, then per level and layer the relative output error
    /// (vs the dense layer, on the calibration samples) with masked and with re-fitted weights.
    private func printRecovery(_ rec: ReconstructionReport) {
        let levels = Set(rec.layers.map(\.level)).count
        print(String(format: "recovery: %@ (damping %g towards %@) re-fitted %d layer%@ at %d level%@ on %d calibration samples, no labels, in %.1f s",
                     rec.method.rawValue, rec.damping, rec.anchor.rawValue, Set(rec.layers.map(\.weight)).count, Set(rec.layers.map(\.weight)).count == 1 ? "" : "s",
                     levels, levels == 1 ? "" : "s", rec.samples, rec.seconds))
        for l in rec.layers {
            var notes: [String] = []
            if l.retriedRows > 0 { notes.append("\(l.retriedRows) rows needed more damping") }
            if l.failedRows > 0 { notes.append("\(l.failedRows) rows unsolvable, kept masked") }
            if l.maskedBetterRows > 0 { notes.append("\(l.maskedBetterRows) rows kept masked (fitted better)") }
            print(String(format: "  level %d %@: output error %.4f masked -> %.4f re-fitted%@%@", l.level, l.node, l.maskedError,
                         l.reconstructedError, l.bias.map { ", bias \($0) re-fitted" } ?? ", no bias",
                         notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"))
        }
        for s in rec.skipped { print("  not re-fitted: \(s)") }
    }
}
