#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// The `mqtt:` section of the daemon config as plain values (the config layer builds it; this
/// module does not depend on the config types). Key paths in error messages are the config's
/// (`mqtt.port`, `mqtt.tls.ca_file`).
public struct MQTTSettings: Equatable, Sendable {
    /// `mqtt.tls`: present means TLS. Without `caFile` the system's CA store is used.
    public struct TLS: Equatable, Sendable {
        /// PEM file of the CA(s) that signed the broker's certificate.
        public var caFile: String?
        /// Client certificate and key (PEM), both or neither, for brokers that require one.
        public var certFile: String?
        public var keyFile: String?
        /// Skips the check that the broker's certificate names the host connected to (the chain
        /// is still verified). For test brokers reached by IP; never in production.
        public var insecure: Bool

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    public var enabled: Bool
    public var host: String
    public var port: Int
    /// nil: `edgeprune-<device id>` (FleetConfigChannel fills it in).
    public var clientID: String?
    public var username: String?
    /// A file holding the password (one line; a trailing newline is ignored).
    public var passwordFile: String?
    public var tls: TLS?
    public var keepaliveSeconds: Int
    /// Reconnect back-off: the first retry after `reconnectMinSeconds`, doubling up to
    /// `reconnectMaxSeconds`.
    public var reconnectMinSeconds: Double
    public var reconnectMaxSeconds: Double
    /// First topic level(s) of every EdgePrune topic (`edgeprune/devices/<id>/...`).
    public var topicPrefix: String
    /// PEM public keys (fleet-signing.pub) whose signatures are accepted on desired configs.
    public var fleetKeys: [String]

    public init(enabled: Bool = false, host: String = "127.0.0.1", port: Int = 1883, clientID: String? = nil,
                username: String? = nil, passwordFile: String? = nil, tls: TLS? = nil, keepaliveSeconds: Int = 30,
                reconnectMinSeconds: Double = 1, reconnectMaxSeconds: Double = 60, topicPrefix: String = "edgeprune",
                fleetKeys: [String] = []) {
        self.enabled = enabled
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.passwordFile = passwordFile
        self.tls = tls
        self.keepaliveSeconds = keepaliveSeconds
        self.reconnectMinSeconds = reconnectMinSeconds
        self.reconnectMaxSeconds = reconnectMaxSeconds
        self.topicPrefix = topicPrefix
        self.fleetKeys = fleetKeys
    }

    /// Checks the connection values (files: only that they can be read; `fleetKeys` are loaded
    /// and checked by FleetConfigChannel). The first problem is thrown as a one-line
    /// `EdgePruneError` naming its key.
    public func validate() throws {
        func fail(_ key: String, _ why: String) -> EdgePruneError { EdgePruneError(.input, "mqtt.\(key): \(why)") }
        guard !host.isEmpty, !host.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw fail("host", "'\(host)' is not a host name or address")
        }
        guard (1...65535).contains(port) else { throw fail("port", "\(port) is not a port number (1-65535)") }
        if let id = clientID {
            guard !id.isEmpty, id.utf8.count <= 65535, !id.utf8.contains(0) else {
                throw fail("client_id", "must be 1-65535 bytes of UTF-8 without NUL")
            }
        }
        if let user = username {
            guard !user.isEmpty, user.utf8.count <= 65535, !user.utf8.contains(0) else {
                throw fail("username", "must be 1-65535 bytes of UTF-8 without NUL")
            }
        }
        if let file = passwordFile {
            guard username != nil else { throw fail("password_file", "needs mqtt.username (MQTT 3.1.1 sends no password without a user name)") }
            try Self.checkReadable(file, key: "mqtt.password_file")
        }
        guard (5...65535).contains(keepaliveSeconds) else {
            throw fail("keepalive_seconds", "\(keepaliveSeconds) is out of range (5-65535)")
        }
        guard reconnectMinSeconds.isFinite, reconnectMinSeconds > 0 else {
            throw fail("reconnect_min_seconds", "must be a positive number of seconds, got \(reconnectMinSeconds)")
        }
        guard reconnectMaxSeconds.isFinite, reconnectMaxSeconds >= reconnectMinSeconds else {
            throw fail("reconnect_max_seconds", "must be at least mqtt.reconnect_min_seconds (\(reconnectMinSeconds)), got \(reconnectMaxSeconds)")
        }
        if let why = Self.topicPrefixProblem(topicPrefix) { throw fail("topic_prefix", why) }
        if let tls {
            if let ca = tls.caFile { try Self.checkReadable(ca, key: "mqtt.tls.ca_file") }
            switch (tls.certFile, tls.keyFile) {
            case (nil, nil): break
            case (_?, nil): throw fail("tls.key_file", "is required with mqtt.tls.cert_file")
            case (nil, _?): throw fail("tls.cert_file", "is required with mqtt.tls.key_file")
            case (let cert?, let key?):
                try Self.checkReadable(cert, key: "mqtt.tls.cert_file")
                try Self.checkReadable(key, key: "mqtt.tls.key_file")
            }
        }
    }

    /// The password from `passwordFile` (nil without one): the file's first line, which must not
    /// be empty.
    public func readPassword() throws -> String? {
        guard let file = passwordFile else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(file, maxBytes: 64 << 10)
        } catch let e as EdgePruneError {
            throw EdgePruneError(.io, "mqtt.password_file: \(e.message)")
        }
        let line = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        let trimmed = line.last == 0x0D ? line.dropLast() : line[...]
        guard !trimmed.isEmpty else { throw EdgePruneError(.input, "mqtt.password_file: '\(file)' holds no password") }
        let text = String(decoding: trimmed, as: UTF8.self)
        guard !trimmed.contains(0), text.utf8.elementsEqual(trimmed) else {
            throw EdgePruneError(.input, "mqtt.password_file: '\(file)' is not UTF-8 text")
        }
        return text
    }

    /// Why `prefix` cannot start a topic, or nil: 1-200 bytes, no wildcard (`+`, `#`), no NUL,
    /// no empty level, not `$`-first (reserved for broker topics such as `$SYS`).
    static func topicPrefixProblem(_ prefix: String) -> String? {
        if prefix.isEmpty || prefix.utf8.count > 200 { return "must be 1-200 bytes, got \(prefix.utf8.count)" }
        if prefix.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") || $0 == 0 }) {
            return "'\(prefix)' contains a wildcard (+ or #) or NUL"
        }
        if prefix.hasPrefix("$") { return "'\(prefix)' starts with '$' (reserved for broker topics)" }
        if prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            return "'\(prefix)' has an empty topic level (a leading, trailing or double '/')"
        }
        return nil
    }

    static func checkReadable(_ path: String, key: String) throws {
        guard !path.isEmpty else { throw EdgePruneError(.input, "\(key): the path is empty") }
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw EdgePruneError(.io, "\(key): cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw EdgePruneError(.input, "\(key): '\(path)' is not a regular file")
        }
        guard access(path, R_OK) == 0 else {
            throw EdgePruneError(.io, "\(key): cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
