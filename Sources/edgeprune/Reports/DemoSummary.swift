import EdgePruneAdaptive
import Foundation

/// The demo's closing report: decisions, the acceptance figures and what was counted.
enum DemoSummary {
    static func text(_ r: DemoResult) -> String {
        var lines = [String(format: "ran %d inferences in %.1f s (%d started late); %d switches", r.script.total, r.seconds, r.lateStarts,
                            r.decisions.count)]
        for (i, d) in zip(r.decisionIndices, r.decisions) {
            lines.append(String(format: "  #%-5d level %d -> %d  %@", i, d.from, d.to, d.reason))
        }
        let f = r.figures
        for l in f.loadResponses {
            let toBudget = l.inferencesToBudget.map { "\($0) inferences" } ?? "never"
            let recover = l.inferencesToRecover.map { "\($0) inferences" } ?? "not within the run"
            let first = l.inferencesToFirstUnderBudget.map { "\($0) inferences" } ?? "never"
            lines.append("load \(l.start)..<\(l.end): p95 first back under budget after \(first) (target <= 50): "
                         + verdict(l.inferencesToFirstUnderBudget.map { $0 <= 50 })
                         + (l.overBudgetShareAfterReturn.map { String(format: "; over budget again in %.1f%% of the load after that", 100 * $0) } ?? ""))
            lines.append("load \(l.start)..<\(l.end): p95 under budget for good after \(toBudget) (target <= 50): "
                         + verdict(l.inferencesToBudget.map { $0 <= 50 }))
            lines.append("after the load: back at level \(l.recoveredLevel.map(String.init) ?? "-") (most accurate that fits) after \(recover) (target <= 300): "
                         + verdict(l.inferencesToRecover.map { $0 <= 300 }))
        }
        lines.append("longest stay below the accuracy floor: \(f.longestBelowFloor) inferences (cooldown \(f.cooldownInferences)): "
                     + verdict(f.longestBelowFloor <= f.cooldownInferences))
        if let st = f.steadySwitchesPer1000 { lines.append(String(format: "after settling: %.2f switches per 1000 inferences", st)) }
        if let p99 = r.swapPauseP99Micros, let mx = r.swapPauseMaxMicros {
            lines.append(String(format: "swap pause seen by the inference thread: p99 %.2f us, max %.2f us; %d switches to a prepared level, %d prepares during the run",
                                p99, mx, r.preparedHits, r.preparesDuringRun))
        }
        lines.append("background load: \(r.script.busyThreads) threads, \(r.busyPasses) passes over their \(r.script.busyMiB) MiB buffers")
        if !r.counters.isEmpty {
            lines.append("counted: " + r.counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    private static func verdict(_ ok: Bool?) -> String { ok == true ? "met" : "NOT met" }
}
