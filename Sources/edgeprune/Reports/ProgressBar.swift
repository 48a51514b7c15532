import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (isatty(2)); piped or
/// redirected runs stay quiet, so logs and tests see no control characters. Redraws at most
/// every 1/10 s and whenever the whole percentage changes.
final class ProgressBar {
    let label: String
    let total: Int
    private let enabled: Bool
    private var lastPercent = -1
    private var lastDraw: UInt64 = 0
    private var drawn = false

    static let isTerminal = isatty(2) == 1

    init(label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
        enabled = ProgressBar.isTerminal
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let d = min(max(done, 0), total)
        let percent = d * 100 / total
        let now = CLI.now()
        guard percent != lastPercent || now &- lastDraw > 100_000_000 else { return }
        lastPercent = percent
        lastDraw = now
        let width = 30
        let filled = d * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        write("\r\u{1B}[K\(label) [\(bar)] \(percent)% (\(d)/\(total))")
        drawn = true
    }

    /// Clears the bar's line, leaving stderr as it was before the bar.
    func finish() {
        guard enabled, drawn else { return }
        write("\r\u{1B}[K")
        drawn = false
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

/// Turns a library's staged progress callbacks ("predict", "latency", ...) into one bar per
/// stage, labelled with `prefix`.
final class StagedProgress {
    private let prefix: String
    private var stage = ""
    private var bar: ProgressBar?

    init(_ prefix: String) { self.prefix = prefix }

    func report(_ stage: String, _ done: Int, _ total: Int) {
        if stage != self.stage || bar == nil {
            bar?.finish()
            self.stage = stage
            bar = ProgressBar(label: prefix.isEmpty ? stage : "\(prefix) \(stage)", total: total)
        }
        bar?.update(done)
    }

    func finish() {
        bar?.finish()
        bar = nil
    }
}
