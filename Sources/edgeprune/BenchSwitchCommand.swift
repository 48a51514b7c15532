import ArgumentParser
import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneONNX
import Foundation

struct BenchSwitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-switch",
        abstract: "Measure sparsity-level switching: prepare time per level (cold and warm) and the swap pause seen by a thread running inferences.",
        discussion: """
            The model needs a sparsity ladder (see `prune`). Cold: a level's first prepare, which \
            times every weight format per layer. Warm: later prepares, which re-use those formats \
            (what a running model pays to switch). Swap pause: while one thread runs inferences \
            continuously, another switches between prepared levels; the pause is the time the \
            inference thread spends taking over the new plan. Every output is checked against \
            its level's reference. Targets: prepare <= 5 ms, swap pause <= 50 us.
            """)

    @Argument(help: "Model with a sparsity ladder (.epm or .onnx).")
    var model: String

    @Option(help: "Warm prepares per level (also prepare-and-switch rounds under load).")
    var rounds: Int = 20

    @Option(help: "Swaps between prepared levels while inferences run.")
    var swaps: Int = 1000

    @Option(help: "Threads for inference kernels.")
    var threads: Int = 1

    @Option(help: "Write the report as JSON to this file ('-' for standard output).")
    var json: String?

    func validate() throws {
        guard (1...10_000).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 10000") }
        guard (1...4096).contains(swaps) else { throw ValidationError("--swaps must be between 1 and 4096") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64") }
        if let json, json != "-" { try CLI.checkOutputDirectory(json, flag: "--json") }
    }

    func run() throws {
        try CLI.guarded {
            let graph = try ModelLoader.load(model)
            let quiet = json == "-"
            let report = try SwitchBenchmark.run(graph: graph, modelName: model, rounds: rounds, swaps: swaps, threads: threads,
                                                 progress: quiet ? nil : { FileHandle.standardError.write(Data("bench-switch: \($0)...\n".utf8)) })
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try enc.encode(report)
                if json == "-" { print(String(decoding: data, as: UTF8.self)); return }
                try FileIO.writeAtomically(json, bytes: Array(data) + [10])
            }
            print(Self.text(report))
        }
    }

    static func text(_ r: SwitchBenchmarkReport) -> String {
        var lines = ["\(r.model): \(r.parameters) parameters, \(r.levels.count) levels, \(r.rounds) warm rounds"]
        lines.append("level  sparsity  cold ms  warm p50 ms  warm max ms  warm under load ms  bytes      formats")
        for l in r.levels {
            let underLoad = l.warmPrepareUnderLoadP50Ms.map { String(format: "%.2f", $0) } ?? "-"
            lines.append(String(format: "%5d  %8.2f  %7.2f  %11.2f  %11.2f  ", l.level, l.sparsity, l.coldPrepareMs,
                                l.warmPrepareP50Ms, l.warmPrepareMaxMs)
                         + String(repeating: " ", count: max(0, 18 - underLoad.count)) + underLoad + "  "
                         + String(format: "%-9d  ", l.estimatedBytes) + l.formats)
        }
        lines.append(String(format: "swap pause over %d swaps (%d inferences running): p50 %.2f us, p99 %.2f us, max %.2f us; lock held at most %.2f us",
                            r.swaps, r.inferences, r.swapPauseP50Us, r.swapPauseP99Us, r.swapPauseMaxUs, r.swapHoldMaxUs))
        lines.append(String(format: "inference p50 %.1f us; first inference after a swap p50 %.1f us; outputs matching no level: %d",
                            r.inferenceP50Us, r.firstInferenceAfterSwapP50Us, r.mismatchedOutputs))
        let worstWarm = r.levels.map(\.warmPrepareP50Ms).max() ?? 0
        lines.append(String(format: "target prepare <= %.0f ms (warm p50, worst level %.2f ms): ", r.prepareTargetMs, worstWarm)
                     + (r.prepareTargetMet ? "met" : "NOT met"))
        lines.append(String(format: "target swap pause <= %.0f us (p99 %.2f us, max %.2f us): ", r.swapPauseTargetUs, r.swapPauseP99Us,
                            r.swapPauseMaxUs) + (r.swapPauseTargetMet ? "met" : "NOT met"))
        return lines.joined(separator: "\n")
    }
}
