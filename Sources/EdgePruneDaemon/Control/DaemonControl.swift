/// What the daemon's remote interfaces (the HTTP API, MQTT fleet config) may ask of the running
/// daemon. `edgeprune serve` implements it (EdgePruneServe.DaemonService); tests use fakes.
///
/// Every call is safe from any thread and returns promptly: the inference loop never waits on
/// a caller, and a caller never sees a half-applied change. A rejected request changes nothing.
public protocol DaemonControl: AnyObject, Sendable {
    /// Whether the daemon is up and its inference loop is running (GET /healthz).
    func health() -> DaemonHealth

    /// The status document (GET /status): level, budgets, monitors, recent decisions, counters.
    /// UTF-8 JSON, an object.
    func statusJSON() -> [UInt8]

    /// Labels for earlier inference ids (POST /feedback). Unknown, expired, duplicate or
    /// out-of-range labels are counted as refused, never an error.
    func submitFeedback(_ labels: [FeedbackLabel]) -> FeedbackReport

    /// A new config document (YAML or JSON), already authenticated by the caller (bearer token,
    /// or a verified signature with `version`): validate, apply, persist. `version` is nil for a
    /// local (HTTP) update, which takes the next version after the current one.
    func applyConfig(_ document: [UInt8], version: UInt64?, origin: ConfigOrigin) -> ControlOutcome

    /// The version of the config in force (0 before any versioned update).
    func configVersion() -> UInt64

    /// A new model, staged by the caller as a complete file at `stagedPath` (in the daemon's state
    /// directory, so it can be renamed into place): verify, switch atomically, health-check, roll
    /// back on failure. The daemon takes ownership of the staged file (moves or removes it).
    func updateModel(stagedPath: String) -> ControlOutcome

    /// Where the caller should stage uploads (a directory on the state directory's file system).
    func stagingDirectory() -> String

    /// Prometheus text exposition format (GET /metrics).
    func metricsText() -> String
}

public enum DaemonHealth: Equatable, Sendable {
    case ok
    /// Up but not serving (starting, stopping, the loop stopped); the reason is shown to the caller.
    case unhealthy(String)
}

/// Where a config update came from (reported in logs and in the status document).
public enum ConfigOrigin: String, Sendable, Codable {
    case local, http, mqtt
}

/// One label for an earlier inference.
public struct FeedbackLabel: Equatable, Sendable, Codable {
    public var id: UInt64
    public var label: Int

    public init(id: UInt64, label: Int) {
        self.id = id
        self.label = label
    }
}

public struct FeedbackReport: Equatable, Sendable, Codable {
    public var accepted: Int
    public var refused: Int

    public init(accepted: Int, refused: Int) {
        self.accepted = accepted
        self.refused = refused
    }
}

/// The outcome of a config or model update.
public enum ControlOutcome: Equatable, Sendable {
    /// Applied and persisted; the text says what is now in force (e.g. "config version 7").
    case applied(String)
    /// Refused before anything changed: the input is invalid (HTTP 400). The message names the
    /// problem and where (a config key, a model tensor).
    case rejected(String)
    /// Valid but failed when tried (a model whose health check failed was rolled back; the state
    /// could not be persisted): nothing changed (HTTP 422 for a failed health check, 500 when
    /// the daemon itself could not complete the write).
    case rolledBack(String)
    case failed(String)
}
