import EdgePruneCore

/// Drives GPIO output lines from a predicted class: an LED that lights for "anomaly", a relay
/// that closes for class 3, or several lines showing a class code.
///
/// `mapping[class]` gives one 0/1 per line; classes not in the mapping get `otherwise`. The
/// lines are requested at construction, start at `otherwise`, and are written only when the
/// value changes (a decision stream at 200 Hz does not mean 200 ioctls per second).
public final class GPIOOutputSink {
    public let chipName: String
    public let lines: [UInt32]
    public let mapping: [Int: [Int]]
    public let otherwise: [Int]
    /// The values the lines are driven to now.
    public private(set) var current: [Int]
    /// Writes done (value changes), not counting the initial value.
    public private(set) var writes = 0
    private var request: (any GPIOLineRequest)?

    public init(chip: any GPIOChip, lines: [UInt32], mapping: [Int: [Int]], otherwise: [Int],
                flags: GPIOLineFlags = []) throws {
        func check(_ values: [Int], _ what: String) throws {
            guard values.count == lines.count, values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw EdgePruneError(.input, "GPIO output on '\(chip.name)' lines \(lines): \(what) must be \(lines.count) value(s) of 0 or 1, got \(values)")
            }
        }
        try check(otherwise, "the default")
        for (cls, values) in mapping.sorted(by: { $0.key < $1.key }) { try check(values, "class \(cls)") }
        chipName = chip.name
        self.lines = lines
        self.mapping = mapping
        self.otherwise = otherwise
        current = otherwise
        request = try chip.requestOutputs(lines, initial: otherwise, flags: flags)
    }

    /// One line: `onClasses` drive it to `on`, every other class to 1 - `on`.
    public convenience init(chip: any GPIOChip, line: UInt32, onClasses: Set<Int>, on: Int = 1,
                            flags: GPIOLineFlags = []) throws {
        guard on == 0 || on == 1 else { throw EdgePruneError(.input, "GPIO output level must be 0 or 1, got \(on)") }
        var mapping: [Int: [Int]] = [:]
        for c in onClasses { mapping[c] = [on] }
        try self.init(chip: chip, lines: [line], mapping: mapping, otherwise: [1 - on], flags: flags)
    }

    deinit { release() }

    /// Drives the lines for `classIndex`. Returns true when the lines changed.
    @discardableResult
    public func emit(classIndex: Int) throws -> Bool {
        guard let request else { throw EdgePruneError(.input, "GPIO output on '\(chipName)' lines \(lines) was released") }
        let target = mapping[classIndex] ?? otherwise
        guard target != current else { return false }
        try request.setValues(target)
        current = target
        writes += 1
        return true
    }

    /// Gives the lines back to the kernel (they keep their last level on most drivers).
    public func release() {
        request?.release()
        request = nil
    }
}
