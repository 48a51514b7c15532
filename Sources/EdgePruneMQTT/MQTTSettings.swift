#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import EdgePruneDaemon

/// The client's settings are the daemon config's `mqtt:` section itself (one definition of the
/// keys, defaults and documentation: `DaemonConfig.MQTT`); this module adds the checks a
/// connection needs. Key paths in error messages are the config's (`mqtt.port`,
/// `mqtt.tls.ca_file`). Without `tls.caFile` the system's CA store is used.
public typealias MQTTSettings = DaemonConfig.MQTT

extension DaemonConfig.MQTT {
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
