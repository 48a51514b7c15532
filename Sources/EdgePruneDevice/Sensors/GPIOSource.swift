import EdgePruneCore

/// Samples from GPIO lines: line values as inputs, taken either on every edge of trigger lines
/// or at a fixed interval.
///
/// - `.edges(lines, edge)`: each edge event on a trigger line gives one sample
///   `[level, input values...]`, where `level` is 1 for a rising and 0 for a falling edge and
///   the input values are read right after the event. The time is the kernel's event
///   timestamp in seconds (CLOCK_MONOTONIC on current kernels; libgpiod v1 on kernels before
///   5.7 stamps with CLOCK_REALTIME).
/// - `.interval(seconds)`: a sample `[input values...]` every `seconds`, timed on `clock`.
///
/// Trigger lines and input lines must be different lines (a line can be requested once).
public final class GPIOSource: SensorSource {
    public enum Trigger: Equatable, Sendable {
        case edges(lines: [UInt32], edge: GPIOEdge)
        case interval(seconds: Double)
    }

    public let name: String
    public let channelCount: Int?
    public private(set) var rejectedCount = 0
    /// Edge events seen (each one became a sample).
    public private(set) var edgeCount = 0
    public let trigger: Trigger

    private var inputs: (any GPIOLineRequest)?
    private var edges: (any GPIOLineRequest)?
    private var pending: [GPIOEdgeEvent] = []
    private var pendingHead = 0
    private let clock: any SensorClock
    private var nextTick: Double?
    private var closed = false

    public init(chip: any GPIOChip, inputs inputLines: [UInt32], trigger: Trigger,
                flags: GPIOLineFlags = [], clock: any SensorClock = MonotonicSensorClock()) throws {
        self.trigger = trigger
        self.clock = clock
        switch trigger {
        case .edges(let lines, let edge):
            if let both = lines.first(where: inputLines.contains) {
                throw EdgePruneError(.input, "GPIO chip '\(chip.name)': line \(both) is both a trigger and an input; use different lines")
            }
            edges = try chip.requestEdgeEvents(lines, edge: edge, flags: flags)
            channelCount = 1 + inputLines.count
            name = "gpio \(chip.name) \(edge.rawValue) edges on \(lines)" + (inputLines.isEmpty ? "" : ", inputs \(inputLines)")
        case .interval(let seconds):
            guard seconds.isFinite, seconds > 0 else {
                throw EdgePruneError(.input, "GPIO sampling interval must be a positive number of seconds, got \(seconds)")
            }
            guard !inputLines.isEmpty else {
                throw EdgePruneError(.input, "GPIO chip '\(chip.name)': interval sampling needs at least one input line")
            }
            channelCount = inputLines.count
            name = "gpio \(chip.name) inputs \(inputLines) every \(seconds) s"
        }
        if !inputLines.isEmpty {
            inputs = try chip.requestInputs(inputLines, flags: flags)
        }
    }

    deinit { close() }

    public func read(timeout: Double) throws -> SensorReadResult {
        guard !closed else { return .finished }
        switch trigger {
        case .edges:
            return try readEdge(timeout: timeout)
        case .interval(let seconds):
            let now = clock.now()
            let due = nextTick ?? now
            if due - now > timeout {
                clock.sleep(timeout)
                return .timedOut
            }
            clock.sleep(due - now)
            // Keep the grid; after a stall, restart it rather than bursting to catch up.
            let next = due + seconds
            nextTick = next < clock.now() ? clock.now() + seconds : next
            let values = try inputs!.getValues().map(Float.init)
            return .sample(SensorSample(time: due, values: values))
        }
    }

    private func readEdge(timeout: Double) throws -> SensorReadResult {
        guard let edges else { return .finished }
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
            guard try edges.waitEdgeEvents(timeout: timeout) else { return .timedOut }
            pending = try edges.readEdgeEvents(max: 64)
            if pending.isEmpty { return .timedOut }
        }
        let event = pending[pendingHead]
        pendingHead += 1
        edgeCount += 1
        var values: [Float] = [event.rising ? 1 : 0]
        if let inputs { values += try inputs.getValues().map(Float.init) }
        return .sample(SensorSample(time: Double(event.timestampNs) / 1e9, values: values))
    }

    public func close() {
        closed = true
        edges?.release()
        inputs?.release()
        edges = nil
        inputs = nil
    }
}
