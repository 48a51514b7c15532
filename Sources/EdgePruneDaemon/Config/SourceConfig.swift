import EdgePruneCore
import EdgePruneDevice

extension DaemonConfig {
    /// `source:` where samples come from. Exactly one kind.
    public enum Source: Sendable, Equatable {
        case replay(Replay)
        case stdin(Stdin)
        case udp(UDP)
        case gpio(GPIO)
        case iio(IIO)

        public static let kinds = ["replay", "stdin", "udp", "gpio", "iio"]

        /// The kind's key in the document ("replay", "gpio" ...).
        public var kind: String {
            switch self {
            case .replay: return "replay"
            case .stdin: return "stdin"
            case .udp: return "udp"
            case .gpio: return "gpio"
            case .iio: return "iio"
            }
        }

        static func read(_ node: ConfigNode, origins: ConfigOrigins) throws -> Source {
            var r = try MappingReader(node, path: "source", origins: origins)
            let given = r.keys
            let kinds = given.filter(Source.kinds.contains)
            guard kinds.count == 1, let kind = kinds.first else {
                if let unknown = given.first(where: { !Source.kinds.contains($0) }) {
                    throw r.unknownKey(unknown, known: Source.kinds)
                }
                let detail = kinds.isEmpty ? "none given" : "got \(kinds.count): \(kinds.joined(separator: ", "))"
                throw EdgePruneError(.input, "config: source must name exactly one kind (\(Source.kinds.joined(separator: ", "))), \(detail)"
                                     + ConfigErrors.originSuffix(node.origin))
            }
            var k = try r.mapping(kind)!
            let source: Source
            switch kind {
            case "replay": source = .replay(try Replay(&k))
            case "stdin": source = .stdin(try Stdin(&k))
            case "udp": source = .udp(try UDP(&k))
            case "gpio": source = .gpio(try GPIO(&k))
            default: source = .iio(try IIO(&k))
            }
            try r.finish(known: Source.kinds)
            return source
        }
    }

    /// `source.replay`: a recorded .npy (float32, one sample per row) or .csv file.
    public struct Replay: Sendable, Equatable {
        public var path: String
        /// Samples per second; 0 replays as fast as the consumer takes them.
        public var rate: Double
        /// Start again at the end.
        public var loop: Bool

        public init(path: String, rate: Double = 0, loop: Bool = false) {
            self.path = path
            self.rate = rate
            self.loop = loop
        }

        /// Chosen by the file name's extension (case-insensitive).
        public enum Format: String, Sendable { case npy, csv }

        public var format: Format? {
            let lower = path.lowercased()
            if lower.hasSuffix(".npy") { return .npy }
            if lower.hasSuffix(".csv") { return .csv }
            return nil
        }

        /// The `rate` argument of `ReplaySource`: nil for "as fast as possible".
        public var sourceRate: Double? { rate > 0 ? rate : nil }

        static let keys = ["path", "rate", "loop"]

        init(_ r: inout MappingReader) throws {
            guard let path = try r.string("path") else { throw Source.missing(r, "path", "the .npy or .csv file to replay") }
            self.init(path: path)
            if let v = try r.double("rate") { rate = v }
            if let v = try r.bool("loop") { loop = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `source.stdin`: one sample per line, values separated by commas or blanks.
    public struct Stdin: Sendable, Equatable {
        /// Values per sample; nil takes the first line's count.
        public var channels: Int?

        public init(channels: Int? = nil) { self.channels = channels }

        static let keys = ["channels"]

        init(_ r: inout MappingReader) throws {
            self.init()
            if let v = try r.optionalInt("channels") { channels = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `source.udp`: datagrams on an IPv4 address.
    public struct UDP: Sendable, Equatable {
        /// IPv4 address to bind (127.0.0.1: this machine only).
        public var bind: String
        /// 0 asks the kernel for a free port (tests).
        public var port: Int
        /// `text` (lines of numbers) or `f32le` (raw little-endian float32).
        public var payload: UDPSource.Payload
        public var channels: Int?

        public init(bind: String = "127.0.0.1", port: Int, payload: UDPSource.Payload = .text, channels: Int? = nil) {
            self.bind = bind
            self.port = port
            self.payload = payload
            self.channels = channels
        }

        static let keys = ["bind", "port", "payload", "channels"]

        init(_ r: inout MappingReader) throws {
            guard let port = try r.int("port") else { throw Source.missing(r, "port", "the UDP port to listen on") }
            self.init(port: port)
            if let v = try r.string("bind") { bind = v }
            if let v = try r.choice("payload", [("text", UDPSource.Payload.text), ("f32le", .float32LE)]) { payload = v }
            if let v = try r.optionalInt("channels") { channels = v }
            try r.finish(known: Self.keys)
        }
    }

    /// A GPIO line by offset on its chip (17) or by name ("GPIO17").
    public enum GPIOLine: Sendable, Hashable, CustomStringConvertible {
        case offset(UInt32)
        case name(String)

        public var description: String {
            switch self {
            case .offset(let n): return String(n)
            case .name(let s): return "'\(s)'"
            }
        }

        static func read(_ node: ConfigNode, _ path: String) throws -> GPIOLine {
            guard case .scalar(let text, let quoted) = node.value else {
                throw ConfigValue.typeError(path, "must be a line offset (17) or a line name (GPIO17)", node)
            }
            if !quoted, let first = text.utf8.first, (0x30...0x39).contains(first) || first == UInt8(ascii: "-") {
                guard let n = UInt32(text), n < 4096 else {
                    throw ConfigValue.typeError(path, "must be a line offset 0...4095 or a line name", node)
                }
                return .offset(n)
            }
            return .name(text)
        }

        static func readList(_ node: ConfigNode, _ path: String, origins: ConfigOrigins) throws -> [GPIOLine] {
            try ConfigValue.list(node, path, origins: origins) { try read($0, $1) }
        }
    }

    /// Electrical bias of input lines.
    public enum GPIOBias: String, Sendable, Equatable, CaseIterable {
        case asIs = "as-is", disable, pullUp = "pull-up", pullDown = "pull-down"

        /// The matching request flags.
        public var flags: GPIOLineFlags {
            switch self {
            case .asIs: return []
            case .disable: return .biasDisable
            case .pullUp: return .pullUp
            case .pullDown: return .pullDown
            }
        }
    }

    /// `source.gpio`: line values as inputs, sampled on every edge of a trigger line or at a
    /// fixed interval (exactly one of `trigger` and `interval_seconds`).
    public struct GPIO: Sendable, Equatable {
        /// Chip by name (gpiochip0), number (0) or path (/dev/gpiochip0).
        public var chip: String
        /// Input lines read for each sample (may be empty with a trigger).
        public var lines: [GPIOLine]
        public var trigger: Trigger?
        public var intervalSeconds: Double?
        /// Logical value = inverse of the physical level (a button to ground).
        public var activeLow: Bool
        public var bias: GPIOBias

        public struct Trigger: Sendable, Equatable {
            public var lines: [GPIOLine]
            public var edge: GPIOEdge

            public init(lines: [GPIOLine], edge: GPIOEdge = .rising) {
                self.lines = lines
                self.edge = edge
            }
        }

        public init(chip: String, lines: [GPIOLine] = [], trigger: Trigger? = nil, intervalSeconds: Double? = nil,
                    activeLow: Bool = false, bias: GPIOBias = .asIs) {
            self.chip = chip
            self.lines = lines
            self.trigger = trigger
            self.intervalSeconds = intervalSeconds
            self.activeLow = activeLow
            self.bias = bias
        }

        /// The request flags for `GPIOSource`.
        public var flags: GPIOLineFlags { bias.flags.union(activeLow ? .activeLow : []) }

        static let keys = ["chip", "lines", "trigger", "interval_seconds", "active_low", "bias"]

        init(_ r: inout MappingReader) throws {
            guard let chip = try r.string("chip") else { throw Source.missing(r, "chip", "gpiochip0, a chip number or /dev/gpiochipN") }
            self.init(chip: chip)
            if let node = r.node("lines") { lines = try GPIOLine.readList(node, r.child("lines"), origins: r.originsForChildren) }
            if var t = try r.mapping("trigger") {
                var triggerLines: [GPIOLine] = []
                if let node = t.node("line") { triggerLines = [try GPIOLine.read(node, t.child("line"))] }
                if let node = t.node("lines") {
                    guard triggerLines.isEmpty else {
                        throw EdgePruneError(.input, "config: \(t.path) takes line or lines, not both" + ConfigErrors.originSuffix(t.origin))
                    }
                    triggerLines = try GPIOLine.readList(node, t.child("lines"), origins: t.originsForChildren)
                }
                guard !triggerLines.isEmpty else {
                    throw EdgePruneError(.input, "config: \(t.path).line is required: the line whose edges take a sample" + ConfigErrors.originSuffix(t.origin))
                }
                let edge = try t.choice("edge", GPIOEdge.allCases.map { ($0.rawValue, $0) }) ?? .rising
                try t.finish(known: ["line", "lines", "edge"])
                trigger = Trigger(lines: triggerLines, edge: edge)
            }
            if let v = try r.optionalDouble("interval_seconds") { intervalSeconds = v }
            if let v = try r.bool("active_low") { activeLow = v }
            if let v = try r.choice("bias", GPIOBias.allCases.map { ($0.rawValue, $0) }) { bias = v }
            try r.finish(known: Self.keys)
        }
    }

    /// `source.iio`: an IIO device (accelerometer, ADC) through sysfs polling or its buffer.
    public struct IIO: Sendable, Equatable {
        /// The device's `name` ("adxl345") or id ("iio:device0").
        public var device: String
        /// Channel ids ("accel_x"); `in_accel_x_raw` is accepted and shortened to its id.
        /// Empty with `buffered: true` enables every scan element.
        public var channels: [String]
        /// Read /dev/iio:deviceN (the device's trigger paces it) instead of polling sysfs.
        public var buffered: Bool
        /// Polls per second when not buffered (default 100).
        public var rate: Double?
        /// Buffer length in samples when buffered.
        public var bufferLength: Int
        public var sysfsRoot: String

        public init(device: String, channels: [String] = [], buffered: Bool = false, rate: Double? = nil,
                    bufferLength: Int = 128, sysfsRoot: String = IIODevice.defaultRoot) {
            self.device = device
            self.channels = channels
            self.buffered = buffered
            self.rate = rate
            self.bufferLength = bufferLength
            self.sysfsRoot = sysfsRoot
        }

        public static let defaultRate = 100.0

        /// The sysfs polling interval in seconds.
        public var interval: Double { 1 / (rate ?? Self.defaultRate) }

        static let keys = ["device", "channels", "buffered", "rate", "buffer_length", "sysfs_root"]

        init(_ r: inout MappingReader) throws {
            guard let device = try r.string("device") else { throw Source.missing(r, "device", "the IIO device's name or iio:deviceN") }
            self.init(device: device)
            if let v = try r.stringList("channels") { channels = v.map(Self.channelID) }
            if let v = try r.bool("buffered") { buffered = v }
            if let v = try r.optionalDouble("rate") { rate = v }
            if let v = try r.int("buffer_length") { bufferLength = v }
            if let v = try r.string("sysfs_root") { sysfsRoot = v }
            try r.finish(known: Self.keys)
        }

        /// "in_accel_x_raw" → "accel_x" (the id `IIODevice` uses); ids pass unchanged.
        static func channelID(_ name: String) -> String {
            var id = Substring(name)
            if id.hasPrefix("in_") { id = id.dropFirst(3) } else { return name }
            for suffix in ["_raw", "_input", "_en"] where id.hasSuffix(suffix) {
                return String(id.dropLast(suffix.count))
            }
            return String(id)
        }
    }
}

extension DaemonConfig.Source {
    static func missing(_ r: MappingReader, _ key: String, _ what: String) -> EdgePruneError {
        EdgePruneError(.input, "config: \(r.child(key)) is required: \(what)" + ConfigErrors.originSuffix(r.origin))
    }
}
