#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// The sd_notify protocol, spoken directly (no libsystemd): datagrams of "KEY=VALUE" lines to the
/// AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
/// systemd reads READY=1 (Type=notify: the unit is started), STATUS=..., STOPPING=1 and
/// WATCHDOG=1 (WatchdogSec: a ping at least every $WATCHDOG_USEC microseconds, or the service is
/// killed and restarted).
public final class SystemdNotifier: @unchecked Sendable {
    /// The socket path as given ("@" kept for the abstract namespace).
    public let socketPath: String
    /// How often systemd expects WATCHDOG=1, when it does (WATCHDOG_USEC set and WATCHDOG_PID
    /// absent or ours). Ping at half of it.
    public let watchdogInterval: Double?
    private let fd: Int32
    /// Messages that could not be sent (counted, never fatal: the daemon works without systemd).
    public private(set) var failures = 0

    /// nil when $NOTIFY_SOCKET is not set (not started by systemd, or not Type=notify).
    public init?(environment: [String: String]) throws {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        guard path.hasPrefix("/") || path.hasPrefix("@") else {
            throw EdgePruneError(.input, "NOTIFY_SOCKET '\(path)' is neither an absolute path nor an abstract socket (@name)")
        }
        guard path.utf8.count < 108 else { throw EdgePruneError(.input, "NOTIFY_SOCKET '\(path)' is longer than a socket path can be") }
        socketPath = path
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == getpid() }) ?? true {
            watchdogInterval = Double(usec) * 1e-6
        } else {
            watchdogInterval = nil
        }
        #if canImport(Glibc)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw EdgePruneError(.io, "sd_notify: cannot create a socket: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Sends one message, e.g. "READY=1\nSTATUS=serving". Returns false (and counts) on failure.
    @discardableResult
    public func notify(_ message: String) -> Bool {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        let pathLength = bytes.count
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            if bytes.first == UInt8(ascii: "@") { raw[0] = 0 }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathLength)
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        if sent != payload.count { failures += 1; return false }
        return true
    }

    public func ready(status: String) { notify("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())") }
    public func status(_ text: String) { notify("STATUS=\(text)") }
    public func stopping() { notify("STOPPING=1\nSTATUS=stopping") }
    public func watchdog() { notify("WATCHDOG=1") }
}
