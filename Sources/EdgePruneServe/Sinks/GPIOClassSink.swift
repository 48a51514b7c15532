import EdgePruneCore
import EdgePruneDevice

/// Drives a GPIO line from the predicted class (an LED or a relay): on for `onClasses`, off for
/// every other class; the line is written only when its value changes.
public final class GPIOClassSink: InferenceSink {
    public let name: String
    private let output: GPIOOutputSink

    /// `on` is the level for `onClasses` (0 for relay boards that close on low).
    public init(chip: any GPIOChip, line: UInt32, onClasses: Set<Int>, on: Int = 1) throws {
        output = try GPIOOutputSink(chip: chip, line: line, onClasses: onClasses, on: on)
        name = "gpio \(chip.name) line \(line)"
    }

    /// Value changes written so far.
    public var writes: Int { output.writes }

    public func emit(_ record: InferenceRecord) throws { try output.emit(classIndex: record.predicted) }

    public func close() { output.release() }
}
