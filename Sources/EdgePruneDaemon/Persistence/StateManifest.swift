#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import EdgePruneCore

/// A content-addressed file in the state directory's `blobs/` folder: its name is its SHA-256.
public struct StoredBlob: Equatable, Hashable, Sendable, Codable {
    /// Lower-case hex SHA-256 of the content (also the file name under `blobs/`).
    public let sha256: String
    public let size: Int

    public init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }

    var json: CanonicalJSON { .object(["sha256": .string(sha256), "size": .integer(UInt64(size))]) }
}

/// The daemon's persisted state as one manifest names it.
public struct StateSnapshot: Equatable, Sendable {
    /// Commit number: 0 for an empty store, then 1, 2, ... one per commit, never reused.
    public var generation: UInt64
    /// The current config document (YAML or JSON text, as applied).
    public var config: StoredBlob?
    /// The version of `config` (the signed fleet version; 0 = none). Persisted so that rollback
    /// protection survives restarts.
    public var configVersion: UInt64
    /// The current model file (.onnx or .epm; ModelLoader tells them apart by content).
    public var model: StoredBlob?
    /// The active sparsity-ladder level.
    public var level: Int
    /// Monotonic counters the daemon reports (inferences, drops, errors, ...).
    public var counters: [String: UInt64]

    public static let empty = StateSnapshot(generation: 0, config: nil, configVersion: 0, model: nil,
                                            level: 0, counters: [:])

    public init(generation: UInt64, config: StoredBlob?, configVersion: UInt64, model: StoredBlob?,
                level: Int, counters: [String: UInt64]) {
        self.generation = generation
        self.config = config
        self.configVersion = configVersion
        self.model = model
        self.level = level
        self.counters = counters
    }

    var blobs: [StoredBlob] { [config, model].compactMap { $0 } }
}

/// Manifest files: `manifest.<generation, 20 digits>` holding one canonical-JSON line and a
/// checksum line:
///
///     {"configVersion":7,"counters":{"inferences":120},"format":1,"generation":42,"level":2,
///      "config":{"sha256":"…","size":311},"model":{"sha256":"…","size":90412}}
///     sha256 <hex of the first line's bytes>
///
/// (members in canonical order; shown wrapped here, one line on disk). A manifest is accepted
/// only if the checksum matches, the body is canonical, the format is 1 and the generation equals
/// the one in the file name.
enum StateManifest {
    static let format: UInt64 = 1
    static let prefix = "manifest."
    static let maxBytes = 1 << 20

    static func fileName(_ generation: UInt64) -> String {
        let digits = String(generation)
        return prefix + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// The generation a manifest file name carries, or nil if `name` is not a manifest name.
    static func generation(ofFileName name: String) -> UInt64? {
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    static func body(_ s: StateSnapshot) -> CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "format": .integer(format),
            "generation": .integer(s.generation),
            "configVersion": .integer(s.configVersion),
            "level": .integer(UInt64(s.level)),
            "counters": .object(s.counters.mapValues { .integer($0) }),
        ]
        if let c = s.config { members["config"] = c.json }
        if let m = s.model { members["model"] = m.json }
        return .object(members)
    }

    static func encode(_ s: StateSnapshot) -> [UInt8] {
        let body = body(s).bytes
        return body + Array("\nsha256 \(DurableFile.hex(SHA256.hash(data: body)))\n".utf8)
    }

    private struct Wire: Decodable {
        let format: UInt64
        let generation: UInt64
        let configVersion: UInt64
        let level: UInt64
        let counters: [String: UInt64]
        let config: StoredBlob?
        let model: StoredBlob?
    }

    /// Parses and checks a manifest file's bytes; the error says what is wrong in one line.
    static func decode(_ bytes: [UInt8], name: String) throws -> StateSnapshot {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            throw EdgePruneError(.format, "\(name): no checksum line (truncated?)")
        }
        let body = Array(bytes[..<newline])
        let trailer = String(decoding: bytes[(newline + 1)...], as: UTF8.self)
        guard trailer == "sha256 \(DurableFile.hex(SHA256.hash(data: body)))\n" else {
            throw EdgePruneError(.format, "\(name): checksum does not match the content")
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch {
            throw EdgePruneError(.format, "\(name): not a state manifest (\(error))")
        }
        guard wire.format == format else {
            throw EdgePruneError(.format, "\(name): manifest format \(wire.format), this build reads format \(format)")
        }
        guard wire.level <= UInt64(Int.max) else { throw EdgePruneError(.format, "\(name): level \(wire.level) out of range") }
        for blob in [wire.config, wire.model].compactMap({ $0 }) {
            guard StateManifest.isBlobName(blob.sha256), blob.size >= 0 else {
                throw EdgePruneError(.format, "\(name): bad blob reference '\(blob.sha256)'")
            }
        }
        let s = StateSnapshot(generation: wire.generation, config: wire.config, configVersion: wire.configVersion,
                              model: wire.model, level: Int(wire.level), counters: wire.counters)
        guard StateManifest.body(s).bytes == body else { throw EdgePruneError(.format, "\(name): body is not canonical") }
        guard generation(ofFileName: name) == s.generation else {
            throw EdgePruneError(.format, "\(name): holds generation \(s.generation), not the one in its name")
        }
        return s
    }

    /// True for a 64-character lower-case hex name (a blob file).
    static func isBlobName<S: StringProtocol>(_ name: S) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
