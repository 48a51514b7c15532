#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEdgeGPIO
import EdgePruneCore

/// GPIO through the system's libgpiod, v1 (1.6) or v2 (2.x): the C shim `CEdgeGPIO` is
/// compiled against whichever <gpiod.h> the build machine has (see docs/sensors.md).
public final class LibgpiodBackend: GPIOBackend {
    /// Consumer label the kernel shows for our lines (gpioinfo).
    public let consumer: String

    public init(consumer: String = "edgeprune") { self.consumer = consumer }

    /// 1 or 2: the libgpiod API the shim was compiled against.
    public static var apiMajor: Int { Int(ep_gpio_api_major()) }
    /// The library's version string, e.g. "1.6.3".
    public static var libraryVersion: String { String(cString: ep_gpio_library_version()) }

    public var description: String { "libgpiod \(Self.libraryVersion) (v\(Self.apiMajor) API)" }

    public func openChip(_ nameOrPath: String) throws -> any GPIOChip {
        var chip: OpaquePointer?
        let rc = ep_gpio_chip_open(nameOrPath, &chip)
        guard rc == 0, let chip else {
            var message = "cannot open GPIO chip '\(nameOrPath)': \(String(cString: strerror(-rc)))"
            if -rc == EACCES { message += " (add the user to the gpio group or give it access to /dev/gpiochip*)" }
            if -rc == ENOTTY || -rc == ENODEV || -rc == EINVAL { message += " (not a GPIO character device)" }
            throw EdgePruneError(.io, message)
        }
        return LibgpiodChip(chip, consumer: consumer)
    }
}

final class LibgpiodChip: GPIOChip {
    let handle: OpaquePointer
    let consumer: String
    let name: String
    let label: String
    let lineCount: Int

    init(_ handle: OpaquePointer, consumer: String) {
        self.handle = handle
        self.consumer = consumer
        name = String(cString: ep_gpio_chip_name(handle))
        label = String(cString: ep_gpio_chip_label(handle))
        lineCount = Int(ep_gpio_chip_num_lines(handle))
    }

    // Requests keep the chip alive (libgpiod v1 frees a chip's lines with the chip).
    deinit { ep_gpio_chip_close(handle) }

    func lineOffset(named lineName: String) throws -> UInt32 {
        let rc = ep_gpio_chip_find_line(handle, lineName)
        guard rc >= 0 else {
            let why = -rc == ENOENT ? "no such line" : String(cString: strerror(-rc))
            throw EdgePruneError(.input, "GPIO chip '\(name)': line '\(lineName)': \(why)")
        }
        return UInt32(rc)
    }

    func requestInputs(_ offsets: [UInt32], flags: GPIOLineFlags) throws -> any GPIOLineRequest {
        try request(offsets, flags: flags, what: "input") { out in
            ep_gpio_request_input(handle, offsets, offsets.count, consumer, flags.rawValue, out)
        }
    }

    func requestOutputs(_ offsets: [UInt32], initial: [Int], flags: GPIOLineFlags) throws -> any GPIOLineRequest {
        try GPIORequestCheck.values(initial, count: offsets.count, chip: name)
        let values = initial.map(Int32.init)
        return try request(offsets, flags: flags, what: "output") { out in
            ep_gpio_request_output(handle, offsets, offsets.count, values, consumer, flags.rawValue, out)
        }
    }

    func requestEdgeEvents(_ offsets: [UInt32], edge: GPIOEdge, flags: GPIOLineFlags) throws -> any GPIOLineRequest {
        let e: Int32
        switch edge {
        case .rising: e = Int32(EP_GPIO_EDGE_RISING.rawValue)
        case .falling: e = Int32(EP_GPIO_EDGE_FALLING.rawValue)
        case .both: e = Int32(EP_GPIO_EDGE_BOTH.rawValue)
        }
        return try request(offsets, flags: flags, what: "\(edge.rawValue)-edge events") { out in
            ep_gpio_request_events(handle, offsets, offsets.count, e, consumer, flags.rawValue, out)
        }
    }

    private func request(_ offsets: [UInt32], flags: GPIOLineFlags, what: String,
                         _ call: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> any GPIOLineRequest {
        try GPIORequestCheck.offsets(offsets, chip: self)
        try GPIORequestCheck.flags(flags, chip: self)
        var req: OpaquePointer?
        let rc = call(&req)
        guard rc == 0, let req else {
            var message = "GPIO chip '\(name)': cannot request lines \(offsets) as \(what): \(String(cString: strerror(-rc)))"
            if -rc == EBUSY { message += " (another process or request holds a line)" }
            throw EdgePruneError(.io, message)
        }
        return LibgpiodRequest(req, chip: self, offsets: offsets)
    }
}

final class LibgpiodRequest: GPIOLineRequest {
    private var handle: OpaquePointer?
    private let chip: LibgpiodChip
    let offsets: [UInt32]
    private var values: [Int32]
    private var events: [ep_gpio_event]

    init(_ handle: OpaquePointer, chip: LibgpiodChip, offsets: [UInt32]) {
        self.handle = handle
        self.chip = chip
        self.offsets = offsets
        values = [Int32](repeating: 0, count: offsets.count)
        events = [ep_gpio_event](repeating: ep_gpio_event(), count: 64)
    }

    deinit { release() }

    private func live() throws -> OpaquePointer {
        guard let handle else { throw EdgePruneError(.input, "GPIO chip '\(chip.name)': lines \(offsets) were released") }
        return handle
    }

    private func fail(_ what: String, _ rc: Int32) -> EdgePruneError {
        EdgePruneError(.io, "GPIO chip '\(chip.name)' lines \(offsets): \(what) failed: \(String(cString: strerror(-rc)))")
    }

    func getValues() throws -> [Int] {
        let h = try live()
        let rc = ep_gpio_get_values(h, &values)
        guard rc == 0 else { throw fail("reading values", rc) }
        return values.map(Int.init)
    }

    func setValues(_ newValues: [Int]) throws {
        let h = try live()
        try GPIORequestCheck.values(newValues, count: offsets.count, chip: chip.name)
        let v = newValues.map(Int32.init)
        let rc = ep_gpio_set_values(h, v)
        guard rc == 0 else { throw fail("setting values", rc) }
    }

    func waitEdgeEvents(timeout: Double) throws -> Bool {
        let h = try live()
        let ns = timeout <= 0 ? 0 : Int64(min(timeout, 9e9) * 1e9)
        let rc = ep_gpio_wait_events(h, ns)
        guard rc >= 0 else { throw fail("waiting for edge events", rc) }
        return rc > 0
    }

    func readEdgeEvents(max: Int) throws -> [GPIOEdgeEvent] {
        let h = try live()
        let n = Swift.max(0, Swift.min(max, events.count))
        guard n > 0 else { return [] }
        let rc = ep_gpio_read_events(h, &events, n)
        guard rc >= 0 else { throw fail("reading edge events", rc) }
        return events[0..<Int(rc)].map {
            GPIOEdgeEvent(timestampNs: $0.timestamp_ns, offset: UInt32($0.offset),
                          rising: $0.edge == Int32(EP_GPIO_EDGE_RISING.rawValue))
        }
    }

    func release() {
        if let handle { ep_gpio_release(handle) }
        handle = nil
    }
}
