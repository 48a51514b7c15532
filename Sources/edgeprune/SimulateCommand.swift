import ArgumentParser
import EdgePruneAdaptive
import EdgePruneCore
import Foundation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the adaptive controller against a scripted scenario (virtual clock, deterministic).",
        discussion: """
            A scenario (JSON) gives per-level latency, accuracy and energy, load phases, accuracy \
            changes, budget changes, a label stream and the controller's configuration; see \
            scenarios/*.json. The run uses the same monitors and controller as the device, on a \
            virtual clock with a seeded generator, so a scenario always gives the same timeline. \
            Prints the decisions and the acceptance figures (time back under budget after a load \
            step, time to recover after it, feedbacks to relax after an accuracy drift, longest time \
            below the accuracy floor, steady-state switches per 1000 inferences).
            """)

    @Option(help: "Scenario file (JSON).")
    var scenario: String

    @Option(help: "Write the whole result (timeline, decisions, figures) as JSON.")
    var json: String?

    @Option(help: "Write an SVG trace: level, p95 latency against its budget, accuracy against the floor.")
    var plot: String?

    @Option(help: "Keep every Nth inference in the timeline (decisions are always kept).")
    var stride: Int = 10

    func validate() throws {
        guard stride >= 1 else { throw ValidationError("--stride must be at least 1") }
        for (flag, path) in [("--json", json), ("--plot", plot)] {
            if let path { try CLI.checkOutputDirectory(path, flag: flag) }
        }
    }

    func run() throws {
        try CLI.guarded {
            let s = try Scenario.load(scenario)
            let result = try Simulator.run(s, stride: stride)
            printTimeline(result, s)
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                let bytes = [UInt8](try enc.encode(result))
                try FileIO.writeAtomically(json) { try FileIO.writeAll($0, bytes, path: json) }
                print("wrote \(json)")
            }
            if let plot {
                let svg = Array(TimelinePlot.svg(result, scenario: s).utf8)
                try FileIO.writeAtomically(plot) { try FileIO.writeAll($0, svg, path: plot) }
                print("wrote \(plot)")
            }
        }
    }

    private func printTimeline(_ r: SimulationResult, _ s: Scenario) {
        print("scenario '\(r.scenario)': \(r.inferences) inferences, \(r.decisions.count) switches")
        for d in r.decisions {
            let i = Int((d.time / (s.intervalMs / 1000)).rounded())
            let values = d.measured.sorted { $0.key < $1.key }.map { String(format: "%@=%.4g", $0.key, $0.value) }.joined(separator: " ")
            print(String(format: "  #%-6d t=%8.3fs  level %d -> %d  %@  [%@]", i, d.time, d.from, d.to, d.reason, values))
        }
        let f = r.figures
        for l in f.loadResponses {
            print("load \(l.start)..<\(l.end): p95 first back under budget after \(l.inferencesToFirstUnderBudget.map(String.init) ?? "never"), "
                  + "for good after \(l.inferencesToBudget.map(String.init) ?? "never") inferences; "
                  + "back at level \(l.recoveredLevel.map(String.init) ?? "-") \(l.inferencesToRecover.map { "\($0) inferences after it stopped" } ?? "never")")
        }
        for d in f.driftResponses {
            print("accuracy change at \(d.at): relaxed after \(d.feedbacksToRelax.map { "\($0) labelled feedbacks" } ?? "never")")
        }
        print("longest run below the accuracy floor: \(f.longestBelowFloor) inferences (cooldown \(f.cooldownInferences))")
        if let st = f.steadySwitchesPer1000 { print(String(format: "steady state: %.2f switches per 1000 inferences", st)) }
        if let e = f.shadowTrackingErrorPoints { print(String(format: "shadow-derived accuracy vs true: mean error %.2f points", e)) }
    }
}
