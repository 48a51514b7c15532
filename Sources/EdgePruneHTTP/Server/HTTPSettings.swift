import EdgePruneCore

/// What the control API listens on and what it accepts. The daemon builds it from the `http`
/// section of its config (`http.bind`, `http.port`, `http.token_file`, `http.max_body_bytes`,
/// `http.max_model_bytes`); error messages name those keys.
public struct HTTPSettings: Sendable {
    /// Address to bind; the default keeps the API on the loopback interface.
    public var bindAddress: String
    /// TCP port; 0 picks a free port (read it back from ``ControlServer/boundPort``).
    public var port: Int
    /// The bearer token every route but /healthz requires.
    public var token: BearerToken
    /// Largest body accepted by POST /feedback and PUT /config.
    public var maxBodyBytes: Int
    /// Largest model accepted by POST /model (the body is streamed to disk, never held in memory).
    public var maxModelBytes: Int
    /// Seconds a keep-alive connection may sit idle between requests before it is closed.
    public var idleTimeoutSeconds: Int

    public static let defaultBindAddress = "127.0.0.1"
    public static let defaultPort = 8080
    public static let defaultMaxBodyBytes = 1 << 20
    public static let defaultMaxModelBytes = 64 << 20
    public static let defaultIdleTimeoutSeconds = 60

    public init(bindAddress: String = HTTPSettings.defaultBindAddress,
                port: Int = HTTPSettings.defaultPort,
                token: BearerToken,
                maxBodyBytes: Int = HTTPSettings.defaultMaxBodyBytes,
                maxModelBytes: Int = HTTPSettings.defaultMaxModelBytes,
                idleTimeoutSeconds: Int = HTTPSettings.defaultIdleTimeoutSeconds) {
        self.bindAddress = bindAddress
        self.port = port
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.maxModelBytes = maxModelBytes
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// Throws a one-line error naming the offending `http.*` key.
    public func validate() throws {
        guard !bindAddress.isEmpty else { throw EdgePruneError(.input, "http.bind: empty address") }
        guard (0...65535).contains(port) else {
            throw EdgePruneError(.input, "http.port: \(port) is not a TCP port (0-65535)")
        }
        guard maxBodyBytes > 0 else {
            throw EdgePruneError(.input, "http.max_body_bytes: \(maxBodyBytes) must be positive")
        }
        guard maxModelBytes > 0 else {
            throw EdgePruneError(.input, "http.max_model_bytes: \(maxModelBytes) must be positive")
        }
        guard idleTimeoutSeconds > 0 else {
            throw EdgePruneError(.input, "http idle timeout: \(idleTimeoutSeconds) s must be positive")
        }
    }
}
