import EdgePruneDaemon
import EdgePruneHTTP
import Foundation

/// A DaemonControl that records every call and answers what the test set. Its metrics text is a
/// real DaemonMetrics exposition.
final class FakeDaemonControl: DaemonControl, @unchecked Sendable {
    struct ConfigCall: Equatable {
        var document: [UInt8]
        var version: UInt64?
        var origin: ConfigOrigin
    }

    struct ModelCall {
        var path: String
        /// The staged file's bytes and permission bits when the fake was called.
        var bytes: [UInt8]
        var mode: Int
    }

    private let lock = NSLock()
    private var _health: DaemonHealth = .ok
    private var _configOutcome: ControlOutcome = .applied("config version 1")
    private var _modelOutcome: ControlOutcome = .applied("model sha256 abc")
    private var _feedbackReport = FeedbackReport(accepted: 0, refused: 0)
    private var _leaveStagedFile = false
    private var _feedbackCalls: [[FeedbackLabel]] = []
    private var _configCalls: [ConfigCall] = []
    private var _modelCalls: [ModelCall] = []
    private var _statusCalls = 0

    let staging: String
    let metrics = DaemonMetrics()
    let status: [UInt8] = Array(#"{"level":2,"budgets":{"latency_p95_ms":5}}"#.utf8)

    init(staging: String) {
        self.staging = staging
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    // MARK: What the test sets

    var healthAnswer: DaemonHealth {
        get { locked { _health } }
        set { locked { _health = newValue } }
    }
    var configOutcome: ControlOutcome {
        get { locked { _configOutcome } }
        set { locked { _configOutcome = newValue } }
    }
    var modelOutcome: ControlOutcome {
        get { locked { _modelOutcome } }
        set { locked { _modelOutcome = newValue } }
    }
    var feedbackReport: FeedbackReport {
        get { locked { _feedbackReport } }
        set { locked { _feedbackReport = newValue } }
    }
    /// When set, updateModel leaves the staged file where it was (a misbehaving daemon).
    var leaveStagedFile: Bool {
        get { locked { _leaveStagedFile } }
        set { locked { _leaveStagedFile = newValue } }
    }

    // MARK: What the test reads

    var feedbackCalls: [[FeedbackLabel]] { locked { _feedbackCalls } }
    var configCalls: [ConfigCall] { locked { _configCalls } }
    var modelCalls: [ModelCall] { locked { _modelCalls } }
    /// Calls that would change the daemon (feedback, config, model).
    var mutatingCalls: Int { locked { _feedbackCalls.count + _configCalls.count + _modelCalls.count } }

    // MARK: DaemonControl

    func health() -> DaemonHealth { healthAnswer }

    func statusJSON() -> [UInt8] {
        locked { _statusCalls += 1 }
        return status
    }

    func submitFeedback(_ labels: [FeedbackLabel]) -> FeedbackReport {
        locked {
            _feedbackCalls.append(labels)
            return _feedbackReport
        }
    }

    func applyConfig(_ document: [UInt8], version: UInt64?, origin: ConfigOrigin) -> ControlOutcome {
        locked {
            _configCalls.append(ConfigCall(document: document, version: version, origin: origin))
            return _configOutcome
        }
    }

    func configVersion() -> UInt64 { 1 }

    func updateModel(stagedPath: String) -> ControlOutcome {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: stagedPath))).map { Array($0) } ?? []
        let mode = ((try? FileManager.default.attributesOfItem(atPath: stagedPath))?[.posixPermissions] as? Int) ?? -1
        let leave = leaveStagedFile
        if !leave { try? FileManager.default.removeItem(atPath: stagedPath) }
        return locked {
            _modelCalls.append(ModelCall(path: stagedPath, bytes: bytes, mode: mode))
            return _modelOutcome
        }
    }

    func stagingDirectory() -> String { staging }

    func metricsText() -> String { metrics.text() }
}
