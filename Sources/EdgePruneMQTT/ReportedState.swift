#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneDaemon

/// What the device publishes (retained) on `P/devices/D/config/reported` after each desired
/// config message, as one line of JSON with sorted keys, e.g.
///
///     {"detail":"config version 7","status":"applied","time":"2025-05-01T12:00:00Z","topic":"edgeprune/devices/pi-07/config/desired","version":7}
///     {"code":"bad-signature","reason":"config rejected (bad signature): ...","status":"rejected","time":"...","topic":"...","version":6}
///
/// `version` is always the config version in force after the message: the new one when it
/// applied, the unchanged one when it was rejected (so a rejected replay never makes the device
/// look as if it ran an older config).
public struct ReportedState: Equatable, Sendable {
    public enum Status: String, Sendable { case applied, rejected }

    public var status: Status
    public var version: UInt64
    /// Rejections: the stable code (`ConfigRejection.code`, or `invalid`, `rolled-back`, `failed`
    /// for a config the daemon refused or could not apply).
    public var code: String?
    /// Rejections: the one-line reason.
    public var reason: String?
    /// Applied: what the daemon says is now in force.
    public var detail: String?
    /// The desired-config topic the message came from.
    public var topic: String
    /// UTC, ISO 8601 to the second.
    public var time: String

    public init(status: Status, version: UInt64, code: String? = nil, reason: String? = nil,
                detail: String? = nil, topic: String, time: String = ReportedState.now()) {
        self.status = status
        self.version = version
        self.code = code
        self.reason = reason
        self.detail = detail
        self.topic = topic
        self.time = time
    }

    public var json: [UInt8] {
        var members: [String: CanonicalJSON] = [
            "status": .string(status.rawValue),
            "version": .integer(version),
            "topic": .string(topic),
            "time": .string(time),
        ]
        if let code { members["code"] = .string(code) }
        if let reason { members["reason"] = .string(reason) }
        if let detail { members["detail"] = .string(detail) }
        return CanonicalJSON.object(members).bytes
    }

    /// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func now() -> String {
        var t = unixTime()
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
    }
}

private func unixTime() -> time_t {
    #if canImport(Glibc)
    return Glibc.time(nil)
    #else
    return Darwin.time(nil)
    #endif
}
