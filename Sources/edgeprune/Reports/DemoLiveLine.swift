import EdgePruneAdaptive
import Foundation

/// The demo's live view: one line rewritten in place on a terminal, a line per second otherwise
/// (logs, CI).
final class DemoLiveLine {
    let interactive: Bool
    private var lastPrinted = -Double.infinity

    init(interactive: Bool) { self.interactive = interactive }

    func show(_ p: DemoProgress) {
        let line = Self.line(p)
        if interactive {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
        } else if p.status.time - lastPrinted >= 1 || p.inference == p.total {
            lastPrinted = p.status.time
            print(line)
        }
    }

    func finish() { if interactive { print("") } }

    static func line(_ p: DemoProgress) -> String {
        let s = p.status
        var parts = [String(format: "[%5d/%d] load %@", p.inference, p.total, p.loaded ? "ON " : "off"),
                     String(format: "level %d (%.0f%%)", s.level, 100 * s.sparsity)]
        if let l = s.latency {
            parts.append(String(format: "p95 %.3f ms", l.p95 * 1000) + (s.budgets.latencyP95Budget.map { String(format: " / %.3f", $0 * 1000) } ?? ""))
        }
        if let e = s.energyPerInference { parts.append(String(format: "%.4f mJ/inf (%@)", e * 1000, s.energySource.rawValue)) }
        if let a = s.accuracy { parts.append(String(format: "acc %.1f%% [%.1f, %.1f] n=%d", 100 * a.rate, 100 * a.lower, 100 * a.upper, a.trials)) }
        if let g = s.agreement { parts.append(String(format: "shadow agree %.1f%% n=%d", 100 * g.rate, g.trials)) }
        parts.append("switches \(s.counters.switches)")
        return parts.joined(separator: "  ")
    }
}
