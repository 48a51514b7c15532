import EdgePruneDaemon
import DaemonTestSupport
import Foundation

/// A DaemonControl that records applyConfig calls. By default it accepts every config and
/// takes its version; `outcome` makes it answer something else (and change nothing).
final class FakeDaemonControl: DaemonControl, @unchecked Sendable {
    struct Call: Equatable {
        let document: String
        let version: UInt64?
        let origin: ConfigOrigin
    }

    private let lock = NSLock()
    private var version: UInt64
    private var calls_: [Call] = []
    private var outcome_: ControlOutcome?

    init(version: UInt64 = 0) { self.version = version }

    var calls: [Call] { lock.withLock { calls_ } }

    /// nil: accept.
    var outcome: ControlOutcome? {
        get { lock.withLock { outcome_ } }
        set { lock.withLock { outcome_ = newValue } }
    }

    func applyConfig(_ document: [UInt8], version v: UInt64?, origin: ConfigOrigin) -> ControlOutcome {
        lock.withLock {
            calls_.append(Call(document: String(decoding: document, as: UTF8.self), version: v, origin: origin))
            if let o = outcome_ { return o }
            version = v ?? version + 1
            return .applied("config version \(version)")
        }
    }

    func configVersion() -> UInt64 { lock.withLock { version } }

    func health() -> DaemonHealth { .ok }
    func statusJSON() -> [UInt8] { Array("{}".utf8) }
    func submitFeedback(_ labels: [FeedbackLabel]) -> FeedbackReport { FeedbackReport(accepted: 0, refused: labels.count) }
    func updateModel(stagedPath: String) -> ControlOutcome { .rejected("not supported by the fake") }
    func stagingDirectory() -> String { NSTemporaryDirectory() }
    func metricsText() -> String { "" }
}
