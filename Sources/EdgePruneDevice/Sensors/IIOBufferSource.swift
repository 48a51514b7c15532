#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// Samples from an IIO device's buffer: the character device /dev/iio:deviceN filled by the
/// driver's trigger (an accelerometer's data-ready interrupt, an ADC's hrtimer trigger).
///
/// At start it disables the buffer, writes `scan_elements/in_<id>_en` (1 for the chosen
/// channels and the timestamp when present, 0 for the rest), `buffer/length`, then
/// `buffer/enable` = 1; `close()` writes `buffer/enable` = 0. The record layout comes from
/// each enabled channel's `_type` and `_index` (see `IIOScanLayout`). A sample holds the
/// converted values of the chosen channels in scan-index order; its time is the timestamp
/// channel in seconds when enabled, else the clock at the read. Setting the trigger
/// (`trigger/current_trigger`) is left to the board's setup: it is driver-specific.
public final class IIOBufferSource: SensorSource {
    public let name: String
    public let device: IIODevice
    public let layout: IIOScanLayout
    public var channelCount: Int? { valueCount }
    public private(set) var rejectedCount = 0
    /// Records decoded since start.
    public private(set) var records = 0

    private let devicePath: String
    private let valueCount: Int
    private let timestampElement: Int?
    private let clock: any SensorClock
    private var fd: Int32 = -1
    private var bytes: [UInt8] = []
    private var used = 0
    private var decoded: [Double] = []
    private var atEnd = false

    /// `channels`: scan element ids to enable ("accel_x"...), nil for every one but the
    /// timestamp. `devicePath` defaults to /dev/<device id>; tests pass a regular file of
    /// records. `configure: false` leaves scan_elements and buffer/ as they are.
    public init(device: IIODevice, channels ids: [String]?, bufferLength: Int = 128, devicePath: String? = nil,
                configure: Bool = true, clock: any SensorClock = MonotonicSensorClock()) throws {
        guard bufferLength >= 1 && bufferLength <= 1 << 20 else {
            throw EdgePruneError(.input, "IIO buffer length must be 1...\(1 << 20), got \(bufferLength)")
        }
        let scan = device.path + "/scan_elements"
        let available = SysfsFile.list(scan).filter { $0.hasPrefix("in_") && $0.hasSuffix("_en") }
            .map { String($0.dropFirst(3).dropLast(3)) }
        guard !available.isEmpty else {
            throw EdgePruneError(.io, "IIO device \(device.id) (\(device.name)) has no scan elements in '\(scan)' (no buffer support)")
        }
        let chosen = ids ?? available.filter { $0 != "timestamp" }
        if let missing = chosen.first(where: { !available.contains($0) }) {
            throw EdgePruneError(.input, "IIO device \(device.id) (\(device.name)) has no scan element '\(missing)'; available: \(available.joined(separator: ", "))")
        }
        guard !chosen.isEmpty, Set(chosen).count == chosen.count else {
            throw EdgePruneError(.input, "IIO device \(device.id): choose one or more distinct scan elements, got \(chosen)")
        }
        let enabled = available.filter { chosen.contains($0) || $0 == "timestamp" }

        var elements: [IIOScanElement] = []
        for id in enabled {
            let type = try IIOScanType(parsing: try SysfsFile.readText("\(scan)/in_\(id)_type"), where: "\(scan)/in_\(id)_type")
            let indexText = try SysfsFile.readText("\(scan)/in_\(id)_index")
            guard let index = Int(indexText), index >= 0 else {
                throw EdgePruneError(.format, "'\(scan)/in_\(id)_index' holds '\(indexText.prefix(40))', not a scan index")
            }
            let channel = device.channels.first { $0.id == id }
            let present = Set(SysfsFile.list(device.path))
            let typeName = IIODevice.type(of: id)
            var scale = 1.0, offset = 0.0
            if let channel {
                (scale, offset) = (channel.scale, channel.offset)
            } else if id != "timestamp" {
                // Buffer-only channels still have their scale/offset attributes.
                scale = try IIODevice.attribute(device.path, present, id: id, type: typeName, suffix: "scale") ?? 1
                offset = try IIODevice.attribute(device.path, present, id: id, type: typeName, suffix: "offset") ?? 0
            }
            elements.append(IIOScanElement(id: id, index: index, type: type, byteOffset: 0, scale: scale, offset: offset))
        }
        layout = try IIOScanLayout(elements: elements)
        if let dup = Dictionary(grouping: layout.elements, by: \.index).first(where: { $0.value.count > 1 }) {
            throw EdgePruneError(.format, "IIO device \(device.id): scan elements \(dup.value.map(\.id)) share index \(dup.key)")
        }
        timestampElement = layout.elements.firstIndex { $0.id == "timestamp" }
        var count = 0
        for e in layout.elements where e.id != "timestamp" { count += e.type.repeatCount }
        valueCount = count
        self.device = device
        self.clock = clock
        self.devicePath = devicePath ?? "/dev/" + device.id
        name = "iio buffer \(device.name) [\(chosen.joined(separator: ", "))]"
        configured = configure

        if configure {
            try Self.write(device.path + "/buffer/enable", "0")
            for id in available { try Self.write("\(scan)/in_\(id)_en", enabled.contains(id) ? "1" : "0") }
            try Self.write(device.path + "/buffer/length", String(bufferLength))
            try Self.write(device.path + "/buffer/enable", "1")
        }
        fd = open(self.devicePath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let why = String(cString: strerror(errno))
            if configure { try? Self.write(device.path + "/buffer/enable", "0") }
            throw EdgePruneError(.io, "cannot open IIO buffer '\(self.devicePath)': \(why)")
        }
        bytes = [UInt8](repeating: 0, count: max(layout.recordBytes * 64, 4096) / layout.recordBytes * layout.recordBytes)
    }

    private let configured: Bool

    deinit { close() }

    /// Writes a sysfs attribute (the whole value in one write, as sysfs wants).
    static func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw EdgePruneError(.io, "cannot open '\(path)' for writing: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        let data = Array((text + "\n").utf8)
        let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == data.count else {
            throw EdgePruneError(.io, "cannot write '\(text)' to '\(path)': \(n < 0 ? String(cString: strerror(errno)) : "short write")")
        }
    }

    public func read(timeout: Double) throws -> SensorReadResult {
        let record = layout.recordBytes
        if used < record {
            guard fd >= 0, !atEnd else { return .finished }
            guard try pollReadable(fd, timeout: timeout, what: "IIO buffer '\(devicePath)'") else { return .timedOut }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return .timedOut }
                throw EdgePruneError(.io, "cannot read IIO buffer '\(devicePath)': \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                // End of file: only a regular file (a recording) ends; a partial record is garbage.
                atEnd = true
                if used > 0 { rejectedCount += 1; used = 0 }
                return .finished
            }
            used += n
            if used < record { return .timedOut }
        }
        bytes.withUnsafeBytes { layout.decode($0.baseAddress!, into: &decoded) }
        records += 1
        var values: [Float] = []
        values.reserveCapacity(valueCount)
        var time = clock.now()
        var k = 0
        for (i, e) in layout.elements.enumerated() {
            for _ in 0..<e.type.repeatCount {
                if i == timestampElement { time = decoded[k] / 1e9 } else { values.append(Float(decoded[k])) }
                k += 1
            }
        }
        // Move the rest down (records are small; at most a buffer's worth is pending).
        bytes.withUnsafeMutableBytes { b in
            if used > record { memmove(b.baseAddress!, b.baseAddress! + record, used - record) }
        }
        used -= record
        return .sample(SensorSample(time: time, values: values))
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
            if configured { try? Self.write(device.path + "/buffer/enable", "0") }
        }
        atEnd = true
        used = 0
    }
}
