import EdgePruneCore

extension DaemonConfig {
    /// One entry of `sinks:` where each inference result goes, in order.
    public enum Sink: Sendable, Equatable {
        /// JSON lines on standard output.
        case stdout
        case file(FileSink)
        case gpio(GPIOSink)
        case mqtt(MQTTSink)

        public static let types = ["stdout", "file", "gpio", "mqtt"]

        public var type: String {
            switch self {
            case .stdout: return "stdout"
            case .file: return "file"
            case .gpio: return "gpio"
            case .mqtt: return "mqtt"
            }
        }

        static func read(_ node: ConfigNode, path: String, origins: ConfigOrigins) throws -> Sink {
            var r = try MappingReader(node, path: path, origins: origins)
            guard let type = try r.choice("type", Sink.types.map { ($0, $0) }) else {
                throw EdgePruneError(.input, "config: \(path).type is required: one of \(Sink.types.joined(separator: ", "))"
                                     + ConfigErrors.originSuffix(node.origin))
            }
            switch type {
            case "stdout":
                try r.finish(known: ["type"])
                return .stdout
            case "file": return .file(try FileSink(&r))
            case "gpio": return .gpio(try GPIOSink(&r))
            default: return .mqtt(try MQTTSink(&r))
            }
        }
    }

    /// `{type: file}`: JSON lines appended to a file, rotated at `max_bytes` keeping `keep`
    /// older files (`inferences.jsonl.1` ... `.keep`).
    public struct FileSink: Sendable, Equatable {
        public var path: String
        public var maxBytes: Int
        public var keep: Int

        public init(path: String, maxBytes: Int = 10 << 20, keep: Int = 5) {
            self.path = path
            self.maxBytes = maxBytes
            self.keep = keep
        }

        static let keys = ["type", "path", "max_bytes", "keep"]

        init(_ r: inout MappingReader) throws {
            guard let path = try r.string("path") else { throw Source.missing(r, "path", "the file to append JSON lines to") }
            self.init(path: path)
            if let v = try r.int("max_bytes") { maxBytes = v }
            if let v = try r.int("keep") { keep = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `{type: gpio}`: an output line (LED, relay) driven to `on` while the predicted class is
    /// one of `on_classes`, to 1 − `on` otherwise.
    public struct GPIOSink: Sendable, Equatable {
        public var chip: String
        public var line: GPIOLine
        public var onClasses: [Int]
        /// 1, or 0 for low-active relay boards.
        public var on: Int

        public init(chip: String, line: GPIOLine, onClasses: [Int], on: Int = 1) {
            self.chip = chip
            self.line = line
            self.onClasses = onClasses
            self.on = on
        }

        static let keys = ["type", "chip", "line", "on_classes", "on"]

        init(_ r: inout MappingReader) throws {
            guard let chip = try r.string("chip") else { throw Source.missing(r, "chip", "the GPIO chip of the output line") }
            guard let lineNode = r.node("line") else { throw Source.missing(r, "line", "the output line's offset or name") }
            let line = try GPIOLine.read(lineNode, r.child("line"))
            guard let classes = try r.intList("on_classes") else {
                throw Source.missing(r, "on_classes", "the classes that switch the line on, e.g. [1]")
            }
            self.init(chip: chip, line: line, onClasses: classes)
            if let v = try r.int("on") { on = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `{type: mqtt}`: each `every`-th result published to `topic` (needs `mqtt.enabled`).
    public struct MQTTSink: Sendable, Equatable {
        /// `{device}` is replaced by the device id. nil: `<mqtt.topic_prefix>/devices/<id>/inference`.
        public var topic: String?
        public var qos: Int
        public var every: Int

        public init(topic: String? = nil, qos: Int = 0, every: Int = 1) {
            self.topic = topic
            self.qos = qos
            self.every = every
        }

        static let keys = ["type", "topic", "qos", "every"]

        init(_ r: inout MappingReader) throws {
            self.init()
            if let v = try r.optionalString("topic") { topic = v }
            if let v = try r.int("qos") { qos = v }
            if let v = try r.int("every") { every = v }
            try r.finish(known: Self.keys)
        }
    }
}
