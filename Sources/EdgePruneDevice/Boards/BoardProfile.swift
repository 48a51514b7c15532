#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EdgePruneCore

/// What EdgePrune assumes about a board's power when no meter measures it: the inputs of
/// `ModelEnergyEstimator`. Profiles live as JSON in `boards/` (snake_case keys, see
/// boards/README.md); the same figures are built in (`BoardProfile.builtIn`) so a device needs
/// no file, and a test keeps the two identical.
///
/// Every figure is an estimate. `source` cites the published measurements behind the watts;
/// `estimate_notes` gives the reasoning behind the per-MAC and per-byte figures, which are
/// order-of-magnitude values, not measurements.
public struct BoardProfile: Codable, Equatable, Sendable {
    /// Short identifier, also the file name in boards/ ("pi5").
    public var name: String
    /// Human-readable board name.
    public var model: String
    /// CPU cores the runtime may keep busy.
    public var cores: Int
    /// Whole-board power with the OS idle (watts).
    public var idleWatts: Double
    /// Extra board power per fully busy core (watts): (load − idle) / cores from an all-core
    /// stress measurement.
    public var activeWattsPerCore: Double
    /// Incremental energy per multiply-accumulate beyond the busy-core power (joules).
    public var joulesPerMAC: Double
    /// Incremental energy per byte moved to or from DRAM (joules).
    public var joulesPerByte: Double
    /// Where the watts come from (publications, measurements).
    public var source: String
    /// Why the per-MAC and per-byte figures are what they are.
    public var estimateNotes: String

    enum CodingKeys: String, CodingKey {
        case name, model, cores, source
        case idleWatts = "idle_watts"
        case activeWattsPerCore = "active_watts_per_core"
        case joulesPerMAC = "joules_per_mac"
        case joulesPerByte = "joules_per_byte"
        case estimateNotes = "estimate_notes"
    }

    public init(name: String, model: String, cores: Int, idleWatts: Double, activeWattsPerCore: Double,
                joulesPerMAC: Double, joulesPerByte: Double, source: String, estimateNotes: String) {
        self.name = name
        self.model = model
        self.cores = cores
        self.idleWatts = idleWatts
        self.activeWattsPerCore = activeWattsPerCore
        self.joulesPerMAC = joulesPerMAC
        self.joulesPerByte = joulesPerByte
        self.source = source
        self.estimateNotes = estimateNotes
    }

    /// Checks every field; the error names the field and what is wrong with it.
    public func validate(origin: String = "board profile") throws {
        func bad(_ field: String, _ what: String) -> EdgePruneError {
            EdgePruneError(.input, "\(origin): '\(field)' \(what)")
        }
        if name.isEmpty { throw bad("name", "is empty") }
        if model.isEmpty { throw bad("model", "is empty") }
        guard (1...1024).contains(cores) else { throw bad("cores", "is \(cores); must be 1...1024") }
        for (field, value) in [("idle_watts", idleWatts), ("active_watts_per_core", activeWattsPerCore),
                               ("joules_per_mac", joulesPerMAC), ("joules_per_byte", joulesPerByte)] {
            guard value.isFinite, value >= 0 else { throw bad(field, "is \(value); must be a finite number >= 0") }
        }
        if idleWatts > 10_000 || activeWattsPerCore > 1_000 {
            throw bad(idleWatts > 10_000 ? "idle_watts" : "active_watts_per_core", "is implausibly large (watts, not milliwatts?)")
        }
        if source.trimmed(where: { $0.isWhitespace }).isEmpty {
            throw bad("source", "is empty; cite where the figures come from")
        }
    }

    /// Reads and validates a profile file. Missing fields, wrong types, negative or non-finite
    /// numbers give a one-line error naming the file and the field.
    public static func load(path: String) throws -> BoardProfile {
        let bytes = try FileIO.read(path, maxBytes: 1 << 20)
        return try decode(Data(bytes), origin: "'\(path)'")
    }

    public static func decode(_ data: Data, origin: String) throws -> BoardProfile {
        let profile: BoardProfile
        do {
            profile = try JSONDecoder().decode(BoardProfile.self, from: data)
        } catch let error as DecodingError {
            throw EdgePruneError(.format, "\(origin): \(describe(error))")
        } catch {
            throw EdgePruneError(.format, "\(origin): not a board profile (\(error))")
        }
        try profile.validate(origin: origin)
        return profile
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context.codingPath + [key])
            return "missing field '\(at)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' is not a \(type)"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null; expected a \(type)"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty ? "not valid JSON" : "field '\(at)' is malformed"
        @unknown default:
            return "not a board profile"
        }
    }
}
