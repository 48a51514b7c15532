#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// A scripted GPIO chip for tests and for demos on machines without GPIO (these build
/// machines have none). It enforces what the kernel enforces: lines that exist, one request
/// per line, outputs only on output requests, edges only on edge requests with a matching
/// edge. Values are logical (active-low is the script's business). Thread-safe, so a test
/// can inject edges from another thread while a source waits on them.
public final class FakeGPIOChip: GPIOChip, @unchecked Sendable {
    public let name: String
    public let label: String
    public let lineCount: Int
    private let lineNames: [String: UInt32]

    private enum Use { case input, output, edges(GPIOEdge) }
    private var levels: [UInt32: Int] = [:]
    private var holders: [UInt32: (Use, ObjectIdentifier)] = [:]
    private var pending: [ObjectIdentifier: [GPIOEdgeEvent]] = [:]
    private var writes: [(offset: UInt32, value: Int)] = []
    private var clockNs: UInt64 = 1_000_000_000
    private var failure: EdgePruneError?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(name: String = "gpiochip0", label: String = "fake-gpio", lineCount: Int = 32,
                lineNames: [String: UInt32] = [:]) {
        self.name = name
        self.label = label
        self.lineCount = lineCount
        self.lineNames = lineNames
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    // MARK: script

    /// Sets an input line's level without an edge event (a level present before any request).
    public func setLevel(_ offset: UInt32, _ value: Int) {
        locked { levels[offset] = value == 0 ? 0 : 1 }
    }

    /// The line goes to `rising ? 1 : 0`; requests watching that edge get an event stamped
    /// `timestampNs` (default: a fake clock advancing 1 ms per injected edge). An edge that
    /// does not change the level is still delivered, as bouncing contacts do on real lines.
    public func injectEdge(_ offset: UInt32, rising: Bool, timestampNs: UInt64? = nil) {
        locked {
            levels[offset] = rising ? 1 : 0
            clockNs = timestampNs ?? (clockNs + 1_000_000)
            if let (use, owner) = holders[offset], case .edges(let edge) = use,
               edge == .both || (edge == .rising) == rising {
                pending[owner, default: []].append(GPIOEdgeEvent(timestampNs: clockNs, offset: offset, rising: rising))
                pthread_cond_broadcast(changed)
            }
        }
    }

    /// The next backend call on any request throws `error` (a vanished chip, an EIO).
    public func failNextCall(with error: EdgePruneError) { locked { failure = error } }

    /// The level a line is at (driven outputs, scripted inputs); nil if never set.
    public func level(_ offset: UInt32) -> Int? { locked { levels[offset] } }

    /// Every value written to an output line, in order (the initial value of a request included).
    public var outputWrites: [(offset: UInt32, value: Int)] { locked { writes } }

    /// Whether a request currently holds the line.
    public func isRequested(_ offset: UInt32) -> Bool { locked { holders[offset] != nil } }

    // MARK: GPIOChip

    public func lineOffset(named lineName: String) throws -> UInt32 {
        guard let o = lineNames[lineName] else {
            throw EdgePruneError(.input, "GPIO chip '\(name)': line '\(lineName)': no such line")
        }
        return o
    }

    public func requestInputs(_ offsets: [UInt32], flags: GPIOLineFlags) throws -> any GPIOLineRequest {
        try request(offsets, flags: flags, use: .input, what: "input", initial: nil)
    }

    public func requestOutputs(_ offsets: [UInt32], initial: [Int], flags: GPIOLineFlags) throws -> any GPIOLineRequest {
        try GPIORequestCheck.values(initial, count: offsets.count, chip: name)
        return try request(offsets, flags: flags, use: .output, what: "output", initial: initial)
    }

    public func requestEdgeEvents(_ offsets: [UInt32], edge: GPIOEdge, flags: GPIOLineFlags) throws -> any GPIOLineRequest {
        try request(offsets, flags: flags, use: .edges(edge), what: "\(edge.rawValue)-edge events", initial: nil)
    }

    private func request(_ offsets: [UInt32], flags: GPIOLineFlags, use: Use, what: String,
                         initial: [Int]?) throws -> any GPIOLineRequest {
        try GPIORequestCheck.offsets(offsets, chip: self)
        try GPIORequestCheck.flags(flags, chip: self)
        let r = FakeGPIORequest(chip: self, offsets: offsets)
        let id = ObjectIdentifier(r)
        try locked {
            if let busy = offsets.first(where: { holders[$0] != nil }) {
                throw EdgePruneError(.io, "GPIO chip '\(name)': cannot request lines \(offsets) as \(what): Device or resource busy (line \(busy) is held by another request)")
            }
            for (i, o) in offsets.enumerated() {
                holders[o] = (use, id)
                if let initial {
                    levels[o] = initial[i]
                    writes.append((o, initial[i]))
                }
            }
        }
        return r
    }

    // MARK: called by FakeGPIORequest

    fileprivate func takeFailure() throws {
        try locked {
            if let f = failure { failure = nil; throw f }
        }
    }

    fileprivate func values(_ offsets: [UInt32]) -> [Int] { locked { offsets.map { levels[$0] ?? 0 } } }

    fileprivate func drive(_ offsets: [UInt32], _ values: [Int], owner: ObjectIdentifier) throws {
        try locked {
            for o in offsets {
                guard let (use, who) = holders[o], who == owner, case .output = use else {
                    throw EdgePruneError(.io, "GPIO chip '\(name)' lines \(offsets): setting values failed: Operation not permitted (line \(o) is not an output)")
                }
            }
            for (o, v) in zip(offsets, values) { levels[o] = v; writes.append((o, v)) }
        }
    }

    fileprivate func isEdgeRequest(_ owner: ObjectIdentifier, _ offsets: [UInt32]) -> Bool {
        locked {
            guard let (use, who) = holders[offsets[0]], who == owner, case .edges = use else { return false }
            return true
        }
    }

    fileprivate func wait(_ owner: ObjectIdentifier, timeout: Double) -> Bool {
        locked {
            let deadline = DeviceClock.monotonicSeconds() + max(0, timeout)
            while (pending[owner] ?? []).isEmpty {
                let now = DeviceClock.monotonicSeconds()
                if now >= deadline { return false }
                var ts = timespec()
                let whole = deadline.rounded(.down)
                ts.tv_sec = Int(whole)
                ts.tv_nsec = Int((deadline - whole) * 1e9)
                pthread_cond_timedwait(changed, mutex, &ts)
            }
            return true
        }
    }

    fileprivate func take(_ owner: ObjectIdentifier, max: Int) -> [GPIOEdgeEvent] {
        locked {
            let queued = pending[owner] ?? []
            let n = Swift.min(max, queued.count)
            pending[owner] = Array(queued.dropFirst(n))
            return Array(queued.prefix(n))
        }
    }

    fileprivate func free(_ owner: ObjectIdentifier, _ offsets: [UInt32]) {
        locked {
            for o in offsets where holders[o]?.1 == owner { holders[o] = nil }
            pending[owner] = nil
        }
    }
}

final class FakeGPIORequest: GPIOLineRequest {
    private let chip: FakeGPIOChip
    let offsets: [UInt32]
    private var released = false

    init(chip: FakeGPIOChip, offsets: [UInt32]) {
        self.chip = chip
        self.offsets = offsets
    }

    deinit { release() }

    private func live() throws {
        guard !released else { throw EdgePruneError(.input, "GPIO chip '\(chip.name)': lines \(offsets) were released") }
        try chip.takeFailure()
    }

    func getValues() throws -> [Int] {
        try live()
        return chip.values(offsets)
    }

    func setValues(_ values: [Int]) throws {
        try live()
        try GPIORequestCheck.values(values, count: offsets.count, chip: chip.name)
        try chip.drive(offsets, values, owner: ObjectIdentifier(self))
    }

    func waitEdgeEvents(timeout: Double) throws -> Bool {
        try live()
        guard chip.isEdgeRequest(ObjectIdentifier(self), offsets) else {
            throw EdgePruneError(.io, "GPIO chip '\(chip.name)' lines \(offsets): waiting for edge events failed: Invalid argument (not an edge request)")
        }
        return chip.wait(ObjectIdentifier(self), timeout: timeout)
    }

    func readEdgeEvents(max: Int) throws -> [GPIOEdgeEvent] {
        try live()
        return chip.take(ObjectIdentifier(self), max: max)
    }

    func release() {
        guard !released else { return }
        released = true
        chip.free(ObjectIdentifier(self), offsets)
    }
}

/// Serves `FakeGPIOChip`s by name ("gpiochip0"), number ("0") or path ("/dev/gpiochip0").
public final class FakeGPIOBackend: GPIOBackend {
    public let chips: [FakeGPIOChip]
    public var description: String { "fake GPIO (\(chips.map(\.name).joined(separator: ", ")))" }

    public init(chips: [FakeGPIOChip]) { self.chips = chips }

    public func openChip(_ nameOrPath: String) throws -> any GPIOChip {
        let key: String
        if nameOrPath.hasPrefix("/dev/") { key = String(nameOrPath.dropFirst(5)) }
        else if !nameOrPath.isEmpty, nameOrPath.allSatisfy(\.isNumber) { key = "gpiochip" + nameOrPath }
        else { key = nameOrPath }
        guard let chip = chips.first(where: { $0.name == key }) else {
            throw EdgePruneError(.io, "cannot open GPIO chip '\(nameOrPath)': No such file or directory")
        }
        return chip
    }
}
