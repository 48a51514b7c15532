import EdgePruneCore

/// Which edges of a line to watch.
public enum GPIOEdge: String, Sendable, CaseIterable {
    case rising, falling, both
}

/// One edge seen on a line: kernel timestamp (ns), line offset, and whether the line went up.
public struct GPIOEdgeEvent: Equatable, Sendable {
    public var timestampNs: UInt64
    public var offset: UInt32
    public var rising: Bool

    public init(timestampNs: UInt64, offset: UInt32, rising: Bool) {
        self.timestampNs = timestampNs
        self.offset = offset
        self.rising = rising
    }
}

/// Electrical options of a request (values match the C shim's EP_GPIO_FLAG_*).
public struct GPIOLineFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// The line's logical value is the inverse of its physical level (a button to ground).
    public static let activeLow = GPIOLineFlags(rawValue: 1 << 0)
    public static let biasDisable = GPIOLineFlags(rawValue: 1 << 1)
    public static let pullUp = GPIOLineFlags(rawValue: 1 << 2)
    public static let pullDown = GPIOLineFlags(rawValue: 1 << 3)
}

/// Opens GPIO chips. `LibgpiodBackend` is the real one; `FakeGPIOBackend` serves scripted
/// `FakeGPIOChip`s to tests and to demos on machines without GPIO.
public protocol GPIOBackend: AnyObject {
    /// "libgpiod 1.6.3 (v1 API)", "fake".
    var description: String { get }
    /// Opens a chip by name ("gpiochip0"), number ("0") or path ("/dev/gpiochip0").
    func openChip(_ nameOrPath: String) throws -> any GPIOChip
}

/// An open GPIO chip. The chip stays open while it or any request from it is referenced.
/// Not thread-safe: use a chip and its requests from one thread.
public protocol GPIOChip: AnyObject {
    var name: String { get }
    var label: String { get }
    var lineCount: Int { get }
    /// The offset of a named line ("GPIO17" on a Raspberry Pi).
    func lineOffset(named name: String) throws -> UInt32
    func requestInputs(_ offsets: [UInt32], flags: GPIOLineFlags) throws -> any GPIOLineRequest
    /// `initial` holds one 0/1 per line.
    func requestOutputs(_ offsets: [UInt32], initial: [Int], flags: GPIOLineFlags) throws -> any GPIOLineRequest
    func requestEdgeEvents(_ offsets: [UInt32], edge: GPIOEdge, flags: GPIOLineFlags) throws -> any GPIOLineRequest
}

/// Lines held by this process. Released on `release()` or when the last reference goes.
public protocol GPIOLineRequest: AnyObject {
    var offsets: [UInt32] { get }
    /// Logical values (0/1) in `offsets` order.
    func getValues() throws -> [Int]
    /// Drives output lines; one 0/1 per line in `offsets` order.
    func setValues(_ values: [Int]) throws
    /// Waits up to `timeout` seconds for an edge; true when events are pending.
    func waitEdgeEvents(timeout: Double) throws -> Bool
    /// Pending events (at most `max`), oldest first, without blocking.
    func readEdgeEvents(max: Int) throws -> [GPIOEdgeEvent]
    func release()
}

/// Checks done before asking a backend for lines, so both backends reject the same requests
/// with the same messages.
enum GPIORequestCheck {
    static let maxLines = 64

    static func offsets(_ offsets: [UInt32], chip: any GPIOChip) throws {
        guard !offsets.isEmpty else { throw EdgePruneError(.input, "GPIO chip '\(chip.name)': a request needs at least one line") }
        guard offsets.count <= maxLines else {
            throw EdgePruneError(.limit, "GPIO chip '\(chip.name)': \(offsets.count) lines in one request, the limit is \(maxLines)")
        }
        if let bad = offsets.first(where: { Int($0) >= chip.lineCount }) {
            throw EdgePruneError(.input, "GPIO chip '\(chip.name)' has \(chip.lineCount) lines; line \(bad) does not exist")
        }
        if Set(offsets).count != offsets.count {
            throw EdgePruneError(.input, "GPIO chip '\(chip.name)': line offsets \(offsets) repeat a line")
        }
    }

    static func flags(_ flags: GPIOLineFlags, chip: any GPIOChip) throws {
        let bias = flags.intersection([.biasDisable, .pullUp, .pullDown])
        guard bias.rawValue & (bias.rawValue - 1) == 0 else {
            throw EdgePruneError(.input, "GPIO chip '\(chip.name)': choose one bias (disable, pull-up or pull-down), not several")
        }
    }

    static func values(_ values: [Int], count: Int, chip: String) throws {
        guard values.count == count else {
            throw EdgePruneError(.input, "GPIO chip '\(chip)': \(values.count) values for \(count) lines")
        }
        if let bad = values.first(where: { $0 != 0 && $0 != 1 }) {
            throw EdgePruneError(.input, "GPIO chip '\(chip)': line value \(bad) is not 0 or 1")
        }
    }
}
