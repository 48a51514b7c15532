extension DaemonConfig {
    /// `http:` the control API (Hummingbird).
    public struct HTTP: Sendable, Equatable {
        public var enabled: Bool
        /// Address to listen on: 127.0.0.1 (this machine only, the default), 0.0.0.0, an IPv6
        /// literal or a host name.
        public var bind: String
        /// 0 asks the kernel for a free port (tests).
        public var port: Int
        /// The file holding the bearer token (at least 16 characters); required when enabled.
        public var tokenFile: String?
        /// Largest request body except model uploads, bytes.
        public var maxBodyBytes: Int
        /// Largest model upload (POST /model), bytes.
        public var maxModelBytes: Int

        public init(enabled: Bool = true, bind: String = "127.0.0.1", port: Int = 8080, tokenFile: String? = nil,
                    maxBodyBytes: Int = 1 << 20, maxModelBytes: Int = 64 << 20) {
            self.enabled = enabled
            self.bind = bind
            self.port = port
            self.tokenFile = tokenFile
            self.maxBodyBytes = maxBodyBytes
            self.maxModelBytes = maxModelBytes
        }

        static let keys = ["enabled", "bind", "port", "token_file", "max_body_bytes", "max_model_bytes"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.bool("enabled") { enabled = v }
            if let v = try r.string("bind") { bind = v }
            if let v = try r.int("port") { port = v }
            if let v = try r.optionalString("token_file") { tokenFile = v }
            if let v = try r.int("max_body_bytes") { maxBodyBytes = v }
            if let v = try r.int("max_model_bytes") { maxModelBytes = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `mqtt:` fleet config over MQTT (libmosquitto).
    public struct MQTT: Sendable, Equatable {
        public var enabled: Bool
        public var host: String
        public var port: Int
        /// nil: `edgeprune-<device id>` (see `DaemonConfig.mqttClientID`).
        public var clientID: String?
        public var username: String?
        /// A file holding the password (never the password itself in the config).
        public var passwordFile: String?
        public var tls: TLS?
        public var keepaliveSeconds: Int
        /// Reconnect backoff: starts at min, doubles up to max.
        public var reconnectMinSeconds: Double
        public var reconnectMaxSeconds: Double
        /// First topic level (`<prefix>/devices/<id>/config/desired` ...).
        public var topicPrefix: String
        /// PEM public keys that may sign fleet configs; at least one when enabled.
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

        static let keys = ["enabled", "host", "port", "client_id", "username", "password_file", "tls",
                           "keepalive_seconds", "reconnect_min_seconds", "reconnect_max_seconds", "topic_prefix", "fleet_keys"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.bool("enabled") { enabled = v }
            if let v = try r.string("host") { host = v }
            if let v = try r.int("port") { port = v }
            if let v = try r.optionalString("client_id") { clientID = v }
            if let v = try r.optionalString("username") { username = v }
            if let v = try r.optionalString("password_file") { passwordFile = v }
            if let node = r.node("tls") {
                if node.isNull {
                    tls = nil
                } else {
                    var t = try MappingReader(node, path: r.child("tls"), origins: r.originsForChildren)
                    var value = TLS()
                    try value.merge(&t)
                    tls = value
                }
            }
            if let v = try r.int("keepalive_seconds") { keepaliveSeconds = v }
            if let v = try r.double("reconnect_min_seconds") { reconnectMinSeconds = v }
            if let v = try r.double("reconnect_max_seconds") { reconnectMaxSeconds = v }
            if let v = try r.string("topic_prefix") { topicPrefix = v }
            if let v = try r.stringList("fleet_keys") { fleetKeys = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `mqtt.tls:` TLS to the broker. `ca_file` is required; a client certificate needs both
    /// `cert_file` and `key_file`. `insecure: true` skips the host name check (testing only).
    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var insecure: Bool

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }

        static let keys = ["ca_file", "cert_file", "key_file", "insecure"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.optionalString("ca_file") { caFile = v }
            if let v = try r.optionalString("cert_file") { certFile = v }
            if let v = try r.optionalString("key_file") { keyFile = v }
            if let v = try r.bool("insecure") { insecure = v }
            try r.finish(known: Self.keys)
        }
    }
}
