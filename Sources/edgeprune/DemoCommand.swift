import ArgumentParser
import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneDevice
import EdgePruneONNX
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The adaptive runtime live: a ladder model on replayed data, a real background load that starts and stops, the controller tightening and relaxing.",
        discussion: """
            First every ladder level is measured on this machine without load (p50/p95 latency) \
            and on the replayed data (accuracy). Then the inputs are replayed at --rate per \
            second through the adaptive runner: latency monitor, energy (meter or board model), \
            labelled feedback for --label-fraction of the inferences (--label-delay inferences \
            late), shadow-dense agreement, and the controller, which switches levels prepared off \
            the inference thread. After --before inferences, --busy-threads threads stream over \
            --busy-mib MiB buffers (default 64: more than this machine's last-level cache share, so the load evicts the model's weights as it would on a Pi, where they never fit) for --load inferences, then stop. The terminal shows the level, p95, \
            energy and accuracy estimates live; the end prints the decisions and the figures \
            (p95 back under budget after the load started, back to the most accurate level that \
            fits after it stopped, longest stay below the accuracy floor).

            Budgets default to figures derived from the calibration: the latency budget sits \
            halfway (geometric mean) between the dense level's p95 without and with the load, so \
            the load pushes the dense level over it and the quiet machine does not (with \
            --skip-loaded-calibration or --budget-factor: that factor times the unloaded p95); \
            the accuracy floor is the dense level's accuracy minus --floor-margin points.

            Example:
              edgeprune prune model.onnx --granularity block:16x1 --ladder 0.3,0.5,0.7,0.8,0.9 -o m.epm
              edgeprune demo m.epm --data x.npy --labels y.npy --plot demo.svg
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Inputs to replay (.npy, batch first), in order, cycling.")
    var data: String

    @Option(help: "Integer class labels (.npy), one per input.")
    var labels: String

    @Option(help: "Inferences before the load starts.")
    var before = 600

    @Option(help: "Inferences with the background load running.")
    var load = 1500

    @Option(help: "Inferences after the load stops.")
    var after = 1500

    @Option(help: "Inferences per second (0: back to back).")
    var rate: Double = 200

    @Option(help: "Busy threads during the load (default: one per online core).")
    var busyThreads: Int?

    @Option(help: "MiB each busy thread streams over (more than the last-level cache share evicts the model's weights).")
    var busyMib = 64

    @Option(help: "p95 latency budget in ms (default: the geometric mean of the dense level's p95 without and with the load).")
    var latencyBudgetMs: Double?

    @Option(help: "Latency budget as a multiple of the dense level's unloaded p95, when --latency-budget-ms is not given (default without a loaded calibration: 1.5).")
    var budgetFactor: Double?

    @Option(help: "Energy budget per inference in mJ (default: none).")
    var energyBudgetMj: Double?

    @Option(help: "Accuracy floor in 0...1 (default: the dense level's accuracy minus --floor-margin points).")
    var accuracyFloor: Double?

    @Option(help: "Points below the dense level's accuracy for the default floor.")
    var floorMargin: Double = 3

    @Option(help: "Hysteresis band: relax only to a level predicted within budget x (1 - band); tighten to one within it.")
    var hysteresis: Double = 0.15

    @Option(help: "Fraction of inferences whose label is fed back.")
    var labelFraction: Double = 0.25

    @Option(help: "Inferences between an inference and its label.")
    var labelDelay = 20

    @Option(help: "Fraction of inferences re-run on the dense model off the hot path.")
    var shadow: Double = 0.05

    @Option(help: "Cooldown between switches, in inferences.")
    var cooldown = 50

    @Option(help: "Cooldown between switches, in seconds.")
    var cooldownSeconds: Double = 0.25

    @Option(help: "Board profile for the energy model: a built-in name (pi4, pi5, zero2w, x86_64-generic) or a JSON file (default: detected, else x86_64-generic).")
    var board: String?

    @Option(help: "Unloaded inferences timed per level in the calibration.")
    var calibrationRuns = 300

    @Flag(help: "Do not also time each level with the busy threads running before the demo.")
    var skipLoadedCalibration = false

    @Option(help: "Write the whole run (calibration, trace, decisions, figures) as JSON.")
    var json: String?

    @Option(help: "Write an SVG trace: level, p95 against its budget, energy, accuracy against the floor; the load shaded.")
    var plot: String?

    @Option(help: "Append every decision to this JSON-lines journal.")
    var journal: String?

    @Option(help: "Seed for the label sampling.")
    var seed: UInt64 = 1

    @Flag(help: "No live line (a line per second instead; the default when the output is not a terminal).")
    var noLive = false

    func validate() throws {
        for (flag, v) in [("--before", before), ("--load", load), ("--after", after)] where v < 0 {
            throw ValidationError("\(flag) must be >= 0, got \(v)")
        }
        guard before + load + after > 0 else { throw ValidationError("--before + --load + --after must be > 0") }
        guard rate.isFinite, rate >= 0, rate <= 100_000 else { throw ValidationError("--rate must be in 0...100000, got \(rate)") }
        if let b = busyThreads, !(0...256).contains(b) { throw ValidationError("--busy-threads must be in 0...256, got \(b)") }
        guard (1...4096).contains(busyMib) else { throw ValidationError("--busy-mib must be in 1...4096, got \(busyMib)") }
        if let b = latencyBudgetMs, !(b.isFinite && b > 0) { throw ValidationError("--latency-budget-ms must be > 0, got \(b)") }
        if let b = energyBudgetMj, !(b.isFinite && b > 0) { throw ValidationError("--energy-budget-mj must be > 0, got \(b)") }
        if let f = budgetFactor, !(f.isFinite && f > 1) { throw ValidationError("--budget-factor must be > 1, got \(f)") }
        if let f = accuracyFloor, !(f.isFinite && (0...1).contains(f)) { throw ValidationError("--accuracy-floor must be in 0...1, got \(f)") }
        guard floorMargin.isFinite, floorMargin >= 0, floorMargin < 100 else { throw ValidationError("--floor-margin must be in 0..<100 points") }
        guard labelFraction.isFinite, (0...1).contains(labelFraction) else { throw ValidationError("--label-fraction must be in 0...1") }
        guard labelDelay >= 0 else { throw ValidationError("--label-delay must be >= 0") }
        guard shadow.isFinite, (0...1).contains(shadow) else { throw ValidationError("--shadow must be in 0...1") }
        guard hysteresis.isFinite, hysteresis >= 0, hysteresis < 1 else { throw ValidationError("--hysteresis must be in 0..<1, got \(hysteresis)") }
        guard cooldown >= 0 else { throw ValidationError("--cooldown must be >= 0") }
        guard cooldownSeconds.isFinite, cooldownSeconds >= 0 else { throw ValidationError("--cooldown-seconds must be >= 0") }
        guard (10...100_000).contains(calibrationRuns) else { throw ValidationError("--calibration-runs must be in 10...100000") }
        for (flag, path) in [("--json", json), ("--plot", plot), ("--journal", journal)] {
            if let path { try CLI.checkOutputDirectory(path, flag: flag) }
        }
    }

    func run() throws {
        try CLI.guarded {
            let inputs = try EvaluationInputs(options: modelOptions, data: data, labels: labels)
            guard let ladder = inputs.graph.ladder, ladder.topLevel > 0 else {
                throw EdgePruneError(.input, "'\(modelOptions.model)' has no sparsity ladder; make one with `edgeprune prune MODEL --ladder 0.5,0.8,0.9 -o OUT.epm`")
            }
            let profile = try boardProfile()
            let samples = Self.rows(inputs.x)
            let model = try AdaptiveModel(graph: inputs.graph, options: AdaptiveModel.Options(
                memoryBudgetBytes: 256 << 20, threads: modelOptions.threads, limits: modelOptions.limits,
                policy: modelOptions.policy, measureAllLevelsAtLoad: true))
            print("calibrating \(ladder.topLevel + 1) levels: \(calibrationRuns) timed inferences each at the demo's rate, without and with the load; accuracy on \(samples.count) inputs...")
            let busy = busyThreads ?? ProcessInfo.processInfo.activeProcessorCount
            let calibrationLoad = skipLoadedCalibration || load == 0 ? nil : try BackgroundLoad(threads: busy, bufferFloats: busyMib << 18)
            let levels = try Demo.calibrate(model, inputs: samples, labels: inputs.y, runs: calibrationRuns, rate: rate,
                                            load: calibrationLoad)
            print("level  sparsity  p50 ms   p95 ms  p95 loaded  accuracy")
            for l in levels {
                let loaded = l.loadedP95Ms.map { String(format: "%10.3f", $0) } ?? String(repeating: " ", count: 9) + "-"
                print(String(format: "%5d  %8.2f  %6.3f  %7.3f  ", l.level, l.sparsity, l.p50Ms, l.p95Ms) + loaded
                      + String(format: "   %6.2f%%", 100 * l.accuracy))
            }
            let budget = latencyBudgetMs ?? Demo.defaultLatencyBudgetMs(dense: levels[0], factor: budgetFactor)
            if latencyBudgetMs == nil, let loaded = levels[0].loadedP95Ms, loaded < 1.3 * levels[0].p95Ms {
                print(String(format: "note: the load raised the dense level's p95 only %.2fx (%.3f -> %.3f ms); the controller may have little to do", loaded / levels[0].p95Ms, levels[0].p95Ms, loaded))
            }
            let floor = accuracyFloor ?? max(0, levels[0].accuracy - floorMargin / 100)
            let config = ControllerConfig(latencyP95Budget: budget / 1000, energyBudget: energyBudgetMj.map { $0 / 1000 },
                                          accuracyFloor: floor, denseAccuracy: levels[0].accuracy, hysteresisBand: hysteresis,
                                          cooldownInferences: cooldown, cooldownSeconds: cooldownSeconds)
            let writer = try journal.map { try JournalWriter(path: $0) }
            let runner = try AdaptiveRunner(model: model, options: RunnerOptions(controller: config, shadowFraction: shadow),
                                            board: profile, journal: writer, profiles: Demo.profiles(levels))
            let script = DemoScript(before: before, load: load, after: after, rate: rate,
                                    busyThreads: busy, busyMiB: busyMib,
                                    labelFraction: labelFraction, labelDelay: labelDelay, seed: seed)
            print(String(format: "budget: p95 <= %.3f ms%@; accuracy floor %.2f%%; board %@ (energy: %@)", budget,
                         energyBudgetMj.map { String(format: ", energy <= %.4f mJ", $0) } ?? "", 100 * floor, profile.name,
                         "model estimate unless a meter is configured"))
            print("script: \(before) quiet, \(load) with \(script.busyThreads) busy threads, \(after) quiet; "
                  + (rate > 0 ? "\(Self.num(rate)) inferences/s" : "back to back"))
            let live = DemoLiveLine(interactive: !noLive && isatty(STDOUT_FILENO) != 0)
            let result = try Demo.run(runner, inputs: samples, labels: inputs.y, levels: levels, script: script) { live.show($0) }
            live.finish()
            print(DemoSummary.text(result))
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try FileIO.writeAtomically(json, bytes: Array(try enc.encode(result)) + [10])
                print("wrote \(json)")
            }
            if let plot {
                try FileIO.writeAtomically(plot, bytes: Array(DemoPlot.svg(result, model: modelOptions.model).utf8))
                print("wrote \(plot)")
            }
        }
    }

    private func boardProfile() throws -> BoardProfile {
        guard let board else { return BoardProfile.detect() ?? BoardProfile.x86_64Generic }
        if let p = BoardProfile.builtIn(named: board) { return p }
        return try BoardProfile.load(path: board)
    }

    /// The batch's rows as flat float arrays.
    static func rows(_ x: Tensor) -> [[Float]] {
        let n = x.shape.first ?? 0
        let values = x.floats
        let width = n > 0 ? values.count / n : 0
        return (0..<n).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }

    static func num(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}
