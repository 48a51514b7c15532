#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneDaemon
import Foundation
import Logging

/// The log level in force, shared by every logger of the process; a remote config update can
/// change it while the daemon runs.
final class LogLevelBox: @unchecked Sendable {
    static let shared = LogLevelBox()
    private let lock = NSLock()
    private var level: Logger.Level = .info

    var current: Logger.Level { lock.withLock { level } }

    func set(_ l: DaemonConfig.LogLevel) { lock.withLock { level = Self.map(l) } }

    static func map(_ l: DaemonConfig.LogLevel) -> Logger.Level {
        switch l {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }
}

/// swift-log to standard error, one line per message: `<N>` syslog priority prefixes when
/// standard error is the journal ($JOURNAL_STREAM set, as under systemd), so journalctl shows
/// priorities and colours; otherwise an ISO time and the level. Metadata follows as key=value.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level {
        get { LogLevelBox.shared.current }
        set { }
    }
    private let label: String
    private let journal: Bool

    public init(label: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        journal = environment["JOURNAL_STREAM"] != nil
    }

    /// Installs the handler for the whole process, at `level`.
    public static func bootstrap(level: DaemonConfig.LogLevel) {
        LogLevelBox.shared.set(level)
        LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
        // One event, one journal line: newlines inside a message or a value are escaped.
        let text = ("\(event.message)" + (pairs.isEmpty ? "" : " " + pairs)).replacingOccurrences(of: "\n", with: "\\n")
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(label): \(text)\n"
        } else {
            line = "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(label): \(text)\n"
        }
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func priority(_ l: Logger.Level) -> Int {
        switch l {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : s
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = tm()
        var secs = ts.tv_sec
        gmtime_r(&secs, &t)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                      t.tm_sec, ts.tv_nsec / 1_000_000)
    }
}
