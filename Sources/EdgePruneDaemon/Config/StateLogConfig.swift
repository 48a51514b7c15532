extension DaemonConfig {
    /// `state:` the crash-safe state directory (config, model, level, counters).
    public struct State: Sendable, Equatable {
        public var directory: String
        /// How often counters and the level are persisted, seconds (they are also persisted on
        /// every change of level or config and at shutdown).
        public var persistIntervalSeconds: Double

        public init(directory: String = "/var/lib/edgeprune", persistIntervalSeconds: Double = 30) {
            self.directory = directory
            self.persistIntervalSeconds = persistIntervalSeconds
        }

        static let keys = ["directory", "persist_interval_seconds"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.string("directory") { directory = v }
            if let v = try r.double("persist_interval_seconds") { persistIntervalSeconds = v }
            try r.finish(known: Self.keys)
        }
    }

    /// Log levels, the raw values of swift-log's `Logger.Level`.
    public enum LogLevel: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// `log:` daemon logging.
    public struct Log: Sendable, Equatable {
        public var level: LogLevel

        public init(level: LogLevel = .info) { self.level = level }

        static let keys = ["level"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.choice("level", LogLevel.allCases.map { ($0.rawValue, $0) }) { level = v }
            try r.finish(known: Self.keys)
        }
    }
}
