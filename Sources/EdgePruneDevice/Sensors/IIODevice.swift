#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// One Linux IIO channel read through sysfs, e.g. `in_accel_x_raw` or `in_voltage0_raw`.
///
/// value = (raw + offset) * scale, with `_offset` and `_scale` taken from the channel's own
/// attribute (`in_accel_x_scale`) or else the one its type shares (`in_accel_scale`); absent
/// means offset 0 and scale 1. The result is in the IIO ABI's units: m/s² for accel, rad/s for
/// anglvel, millivolts for voltage, milli-°C for temp. Channels that only expose a processed
/// `_input` value (already in those units) are read as they are.
public struct IIOChannel: Equatable, Sendable {
    /// The attribute stem without "in_" and the suffix: "accel_x", "voltage0", "temp".
    public let id: String
    /// The IIO channel type: "accel", "voltage", "anglvel", "temp", ...
    public let type: String
    /// The file read for each value (`..._raw`, or `..._input` when `processed`).
    public let path: String
    public let processed: Bool
    public let scale: Double
    public let offset: Double

    public func convert(raw: Double) -> Double { processed ? raw : (raw + offset) * scale }
}

/// An IIO device under /sys/bus/iio/devices (the root is a parameter so tests use a fake tree).
public struct IIODevice: Equatable, Sendable {
    /// The device directory, e.g. /sys/bus/iio/devices/iio:device0.
    public let path: String
    /// "iio:device0".
    public let id: String
    /// The driver's `name` attribute, e.g. "adxl345", "ads1015".
    public let name: String
    /// Channels with a `_raw` or `_input` attribute, sorted by id.
    public let channels: [IIOChannel]

    public static let defaultRoot = "/sys/bus/iio/devices"

    public init(path: String) throws {
        guard SysfsFile.exists(path) else { throw EdgePruneError(.io, "IIO device '\(path)' does not exist") }
        self.path = path
        id = path.split(separator: "/").last.map(String.init) ?? path
        name = (try? SysfsFile.readText(path + "/name")) ?? id
        channels = try Self.channels(in: path)
    }

    /// Every iio:deviceN under `root`, in number order. Unreadable devices are skipped.
    public static func list(root: String = defaultRoot) -> [IIODevice] {
        SysfsFile.list(root).filter { $0.hasPrefix("iio:device") }.compactMap { try? IIODevice(path: root + "/" + $0) }
    }

    /// The device whose `name` is `name`, or whose id is `name` ("iio:device2").
    public static func find(_ name: String, root: String = defaultRoot) throws -> IIODevice {
        let all = list(root: root)
        if let d = all.first(where: { $0.name == name || $0.id == name }) { return d }
        let known = all.map { "\($0.id) (\($0.name))" }.joined(separator: ", ")
        throw EdgePruneError(.io, "no IIO device named '\(name)' under '\(root)'" + (known.isEmpty ? " (no IIO devices)" : "; found \(known)"))
    }

    public func channel(_ id: String) throws -> IIOChannel {
        guard let c = channels.first(where: { $0.id == id }) else {
            throw EdgePruneError(.input, "IIO device \(self.id) (\(name)) has no channel '\(id)'; channels: \(channels.map(\.id).joined(separator: ", "))")
        }
        return c
    }

    /// Reads one channel's converted value.
    public func read(_ channel: IIOChannel) throws -> Double {
        let text = try SysfsFile.readText(channel.path, maxBytes: 256)
        guard let raw = Double(text), raw.isFinite else {
            throw EdgePruneError(.format, "'\(channel.path)' holds '\(text.prefix(40))', not a number")
        }
        return channel.convert(raw: raw)
    }

    /// "accel_x" -> "accel", "voltage0" -> "voltage", "voltage0-voltage1" -> "voltage",
    /// "humidityrelative" -> "humidityrelative".
    static func type(of id: String) -> String {
        String(id.prefix { $0.isLetter })
    }

    static func channels(in dir: String) throws -> [IIOChannel] {
        let names = SysfsFile.list(dir)
        let present = Set(names)
        var result: [IIOChannel] = []
        var seen = Set<String>()
        for file in names where file.hasPrefix("in_") && (file.hasSuffix("_raw") || file.hasSuffix("_input")) {
            let processed = file.hasSuffix("_input")
            let id = String(file.dropFirst(3).dropLast(processed ? 6 : 4))
            // A channel with both _raw and _input is read raw (exact, and its scale is known).
            if processed && present.contains("in_\(id)_raw") { continue }
            guard !id.isEmpty, !seen.contains(id) else { continue }
            seen.insert(id)
            let type = type(of: id)
            let scale = try attribute(dir, present, id: id, type: type, suffix: "scale") ?? 1
            let offset = try attribute(dir, present, id: id, type: type, suffix: "offset") ?? 0
            result.append(IIOChannel(id: id, type: type, path: dir + "/" + file, processed: processed, scale: scale, offset: offset))
        }
        return result.sorted { SysfsFile.naturalLess($0.id, $1.id) }
    }

    /// `in_<id>_<suffix>`, else the type's shared `in_<type>_<suffix>`.
    static func attribute(_ dir: String, _ present: Set<String>, id: String, type: String, suffix: String) throws -> Double? {
        for stem in [id, type] where present.contains("in_\(stem)_\(suffix)") {
            let path = "\(dir)/in_\(stem)_\(suffix)"
            let text = try SysfsFile.readText(path, maxBytes: 256)
            guard let v = Double(text), v.isFinite else {
                throw EdgePruneError(.format, "'\(path)' holds '\(text.prefix(40))', not a number")
            }
            return v
        }
        return nil
    }
}

/// Polls sysfs channels of one IIO device at a fixed interval: a sample is the converted
/// values of `channels` in the order given, stamped with the clock at the read.
public final class IIOSysfsSource: SensorSource {
    public let name: String
    public let device: IIODevice
    public let selected: [IIOChannel]
    public var channelCount: Int? { selected.count }
    public private(set) var rejectedCount = 0
    public let interval: Double
    private let clock: any SensorClock
    private var nextTick: Double?
    private var closed = false

    public init(device: IIODevice, channels ids: [String], interval: Double,
                clock: any SensorClock = MonotonicSensorClock()) throws {
        guard interval.isFinite, interval > 0 else {
            throw EdgePruneError(.input, "IIO sampling interval must be a positive number of seconds, got \(interval)")
        }
        guard !ids.isEmpty else { throw EdgePruneError(.input, "IIO device \(device.id) (\(device.name)): choose at least one channel") }
        self.device = device
        selected = try ids.map(device.channel)
        self.interval = interval
        self.clock = clock
        name = "iio \(device.name) [\(ids.joined(separator: ", "))] every \(interval) s"
    }

    public func read(timeout: Double) throws -> SensorReadResult {
        guard !closed else { return .finished }
        let now = clock.now()
        let due = nextTick ?? now
        if due - now > timeout {
            clock.sleep(timeout)
            return .timedOut
        }
        clock.sleep(due - now)
        let next = due + interval
        nextTick = next < clock.now() ? clock.now() + interval : next
        let values = try selected.map { Float(try device.read($0)) }
        return .sample(SensorSample(time: due, values: values))
    }

    public func close() { closed = true }
}
