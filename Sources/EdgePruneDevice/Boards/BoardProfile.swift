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
/// order-of-magnitude values, not measurements. The CPU, GPIO and default-budget fields are
/// optional in files (a profile written before they existed still loads); `hardware_source`
/// cites them in the built-in profiles.
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
    /// The CPU's default maximum clock (MHz). Optional in files, like every field below: nil
    /// means unknown.
    public var clockMHz: Int?
    /// Arm Advanced SIMD (NEON) is available (`asimd` in /proc/cpuinfo).
    public var neon: Bool?
    /// The Armv8.2 dot-product instructions (SDOT/UDOT, `asimddp`) are available.
    public var dotprod: Bool?
    /// The GPIO chip behind the board's pin header; nil for boards without one.
    public var gpio: GPIOHeader?
    /// Budgets a config can take from the board (`budgets.board_defaults: true`).
    public var defaultBudgets: DefaultBudgets?
    /// Where the clock, CPU features and GPIO facts come from.
    public var hardwareSource: String?

    /// The GPIO chip that drives the 40-pin header.
    public struct GPIOHeader: Codable, Equatable, Sendable {
        /// Chip names to try, in order (a kernel change renumbered the Pi 5's chip).
        public var chips: [String]
        /// The chip's label as `gpiodetect` shows it; stable across kernels.
        public var label: String
        /// Lines on the chip (offsets 0...lineCount-1).
        public var lineCount: Int
        /// Names of the header lines applications may use; "GPIOn" is offset n.
        public var lines: [String]
        public var notes: String

        enum CodingKeys: String, CodingKey {
            case chips, label, lines, notes
            case lineCount = "line_count"
        }

        public init(chips: [String], label: String, lineCount: Int, lines: [String], notes: String) {
            self.chips = chips
            self.label = label
            self.lineCount = lineCount
            self.lines = lines
            self.notes = notes
        }
    }

    /// Starting budgets for a board (not measurements; `notes` says how they were chosen).
    public struct DefaultBudgets: Codable, Equatable, Sendable {
        public var latencyP95Ms: Double
        public var powerW: Double
        public var notes: String

        enum CodingKeys: String, CodingKey {
            case notes
            case latencyP95Ms = "latency_p95_ms"
            case powerW = "power_w"
        }

        public init(latencyP95Ms: Double, powerW: Double, notes: String) {
            self.latencyP95Ms = latencyP95Ms
            self.powerW = powerW
            self.notes = notes
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, model, cores, source, neon, dotprod, gpio
        case idleWatts = "idle_watts"
        case activeWattsPerCore = "active_watts_per_core"
        case joulesPerMAC = "joules_per_mac"
        case joulesPerByte = "joules_per_byte"
        case estimateNotes = "estimate_notes"
        case clockMHz = "clock_mhz"
        case defaultBudgets = "default_budgets"
        case hardwareSource = "hardware_source"
    }

    public init(name: String, model: String, cores: Int, idleWatts: Double, activeWattsPerCore: Double,
                joulesPerMAC: Double, joulesPerByte: Double, source: String, estimateNotes: String,
                clockMHz: Int? = nil, neon: Bool? = nil, dotprod: Bool? = nil, gpio: GPIOHeader? = nil,
                defaultBudgets: DefaultBudgets? = nil, hardwareSource: String? = nil) {
        self.name = name
        self.model = model
        self.cores = cores
        self.idleWatts = idleWatts
        self.activeWattsPerCore = activeWattsPerCore
        self.joulesPerMAC = joulesPerMAC
        self.joulesPerByte = joulesPerByte
        self.source = source
        self.estimateNotes = estimateNotes
        self.clockMHz = clockMHz
        self.neon = neon
        self.dotprod = dotprod
        self.gpio = gpio
        self.defaultBudgets = defaultBudgets
        self.hardwareSource = hardwareSource
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
        if let clockMHz, !(1...20_000).contains(clockMHz) {
            throw bad("clock_mhz", "is \(clockMHz); must be 1...20000 (MHz, not Hz or GHz)")
        }
        if dotprod == true, neon == false { throw bad("dotprod", "is true while 'neon' is false; the dot product is a NEON extension") }
        if let gpio {
            if gpio.chips.isEmpty || gpio.chips.contains(where: \.isEmpty) { throw bad("gpio.chips", "must list at least one chip name, none empty") }
            if gpio.label.isEmpty { throw bad("gpio.label", "is empty") }
            guard (1...4096).contains(gpio.lineCount) else { throw bad("gpio.line_count", "is \(gpio.lineCount); must be 1...4096") }
            if let i = gpio.lines.firstIndex(where: \.isEmpty) { throw bad("gpio.lines[\(i)]", "is empty") }
            if Set(gpio.lines).count != gpio.lines.count { throw bad("gpio.lines", "repeats a name") }
            if gpio.lines.count > gpio.lineCount { throw bad("gpio.lines", "has more names than the chip's \(gpio.lineCount) lines") }
        }
        if let b = defaultBudgets {
            for (field, value) in [("default_budgets.latency_p95_ms", b.latencyP95Ms), ("default_budgets.power_w", b.powerW)] {
                guard value.isFinite, value > 0 else { throw bad(field, "is \(value); must be a finite number > 0") }
            }
        }
        if let hardwareSource, hardwareSource.trimmed(where: { $0.isWhitespace }).isEmpty {
            throw bad("hardware_source", "is empty; cite where the clock, CPU features and GPIO facts come from")
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
