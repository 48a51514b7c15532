#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import EdgePruneDevice

extension DaemonConfig {
    /// `device:` who this device is and which board it runs on.
    public struct Device: Sendable, Equatable {
        /// 1-64 characters of `A-Z a-z 0-9 . _ -` (safe in MQTT topics and file names).
        /// Default: the host name, sanitised (`Device.defaultID`).
        public var id: String
        /// Fleet groups (same name rules); group-targeted MQTT configs apply to members.
        public var groups: [String]
        public var board: Board

        public init(id: String? = nil, groups: [String] = [], board: Board = .auto) {
            self.id = id ?? Device.defaultID(hostname: Device.hostname())
            self.groups = groups
            self.board = board
        }

        static let keys = ["id", "groups", "board"]

        /// The host name made into a valid id: characters outside `A-Z a-z 0-9 . _ -` become
        /// `-`, at most 64 characters; "edgeprune" when nothing is left.
        public static func defaultID(hostname: String) -> String {
            var id = String(String.UnicodeScalarView(hostname.unicodeScalars.map { s in
                s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "_" || s == "-") ? s : "-"
            }).prefix(64))
            while id.hasPrefix("-") { id.removeFirst() }
            return id.isEmpty ? "edgeprune" : id
        }

        static func hostname() -> String {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.string("id") { id = v }
            if let v = try r.stringList("groups") { groups = v }
            if let node = r.node("board") {
                let text = try ConfigValue.string(node, r.child("board"))
                board = Board(text)
            }
            try r.finish(known: Self.keys)
        }
    }

    /// `device.board`: which board profile (cores, power figures, GPIO chip) applies.
    public enum Board: Sendable, Equatable, CustomStringConvertible {
        /// Detected from /proc/device-tree/model (then /proc/cpuinfo); x86_64-generic when
        /// nothing matches.
        case auto
        /// A built-in profile: pi4, pi5, zero2w, x86_64-generic.
        case builtIn(String)
        /// A JSON profile file (boards/README.md describes the format).
        case file(String)

        /// "auto", a built-in name, or a path (contains '/' or ends in .json). Anything else is
        /// kept as `.builtIn` and refused by validation, naming the choices.
        public init(_ text: String) {
            if text == "auto" {
                self = .auto
            } else if text.contains("/") || text.lowercased().hasSuffix(".json") {
                self = .file(text)
            } else {
                self = .builtIn(text)
            }
        }

        public var description: String {
            switch self {
            case .auto: return "auto"
            case .builtIn(let name): return name
            case .file(let path): return path
            }
        }
    }

    /// `model:` the model to run and how its input is prepared.
    public struct Model: Sendable, Equatable {
        /// A .epm or .onnx file. Optional: a model installed later by POST /model (kept in the
        /// state directory) wins over it; without either the daemon has nothing to run.
        public var path: String?
        /// Worker threads for inference, 1...64.
        public var threads: Int
        /// Starting ladder level; the level persisted in the state directory wins after a restart.
        public var level: Int
        public var normalization: NormalizationChoice

        public init(path: String? = nil, threads: Int = 1, level: Int = 0, normalization: NormalizationChoice = .none) {
            self.path = path
            self.threads = threads
            self.level = level
            self.normalization = normalization
        }

        static let keys = ["path", "threads", "level", "normalization"]

        mutating func merge(_ r: inout MappingReader) throws {
            if let v = try r.optionalString("path") { path = v }
            if let v = try r.int("threads") { threads = v }
            if let v = try r.int("level") { level = v }
            if let node = r.node("normalization") {
                normalization = try NormalizationChoice.read(node, path: r.child("normalization"), origins: r)
            }
            try r.finish(known: Self.keys)
        }
    }

    /// `model.normalization`: x' = (x - mean[c]) / std[c] applied to each window.
    public enum NormalizationChoice: Sendable, Equatable {
        case none
        /// The mean and std stored in the model's metadata.
        case model
        /// One mean/std pair for every channel, or one pair per channel.
        case explicit(Normalization)

        static func read(_ node: ConfigNode, path: String, origins r: MappingReader) throws -> NormalizationChoice {
            if case .scalar = node.value {
                return try ConfigValue.choice(node, path, [("none", NormalizationChoice.none), ("model", .model)])
            }
            guard case .mapping = node.value else {
                throw ConfigValue.typeError(path, "must be none, model or {mean: [...], std: [...]}", node)
            }
            var m = try MappingReader(node, path: path, origins: r.originsForChildren)
            let mean = try m.doubleList("mean")
            let std = try m.doubleList("std")
            try m.finish(known: ["mean", "std"])
            guard let mean, let std else {
                throw EdgePruneError(.input, "config: \(path) needs both mean and std lists" + ConfigErrors.originSuffix(node.origin))
            }
            do {
                return .explicit(try Normalization(mean: mean.map(Float.init), std: std.map(Float.init)))
            } catch let error as EdgePruneError {
                throw EdgePruneError(.input, "config: \(path): \(error.message)" + ConfigErrors.originSuffix(node.origin))
            }
        }
    }
}
