#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// One sample from an energy meter. Meters report either a cumulative energy counter or an
/// instantaneous power; the tracker turns both into joules between two instants.
public enum EnergyReading: Sendable, Equatable {
    /// A cumulative energy counter in joules. `range` is the counter's span when it wraps
    /// (RAPL `max_energy_range_uj`): after reaching `range` it starts again from 0.
    case energy(joules: Double, range: Double?, time: Double)
    /// An instantaneous power in watts.
    case power(watts: Double, time: Double)

    /// Seconds on the meter's monotonic clock when the sample was taken.
    public var time: Double {
        switch self {
        case .energy(_, _, let t), .power(_, let t): return t
        }
    }
}

/// A source of board energy measurements. `read()` throws an `EdgePruneError` naming the file or
/// command when the meter is gone (`.io`), or its output is not a number (`.format`).
/// Implementations are not thread-safe; read a meter from one thread.
public protocol EnergyMeter: AnyObject {
    var name: String { get }
    func read() throws -> EnergyReading
}

/// CLOCK_MONOTONIC in seconds: the default clock of the meters and the tracker.
public enum DeviceClock {
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Reads small sysfs/procfs text files. Sysfs attributes report a size of 4096 whatever they
/// hold, so the file is read until end of file rather than to its stat size.
public enum SysfsFile {
    public static func readText(_ path: String, maxBytes: Int = 65_536) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            var message = "cannot open '\(path)': \(String(cString: strerror(code)))"
            if code == EACCES && path.hasSuffix("energy_uj") {
                message += " (energy_uj is readable by root only since Linux 5.10, CVE-2020-8694)"
            }
            throw EdgePruneError(.io, message)
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: maxBytes)
        var done = 0
        while done < maxBytes {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, maxBytes - done) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw EdgePruneError(.io, "cannot read '\(path)': \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            done += n
        }
        guard done < maxBytes else { throw EdgePruneError(.limit, "'\(path)' holds more than \(maxBytes) bytes") }
        // The device tree ends strings with NUL; sysfs ends lines with a newline.
        let text = String(decoding: bytes[..<done], as: UTF8.self)
        return text.trimmed(where: { $0 == "\0" || $0.isWhitespace })
    }

    /// Reads a file holding one non-negative integer (sysfs units: µJ, µW).
    public static func readUInt(_ path: String) throws -> UInt64 {
        let text = try readText(path, maxBytes: 256)
        guard let value = UInt64(text) else {
            throw EdgePruneError(.format, "'\(path)' holds '\(text.prefix(40))', not a non-negative integer")
        }
        return value
    }

    /// Names in a directory (without . and ..), sorted so discovery is deterministic.
    public static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { a, b in naturalLess(a, b) }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// "hwmon2" < "hwmon10": compares the trailing numbers as numbers.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        func split(_ s: String) -> (String, Int?) {
            let digits = s.reversed().prefix { $0.isNumber }
            guard !digits.isEmpty else { return (s, nil) }
            return (String(s.dropLast(digits.count)), Int(String(digits.reversed())))
        }
        let (pa, na) = split(a), (pb, nb) = split(b)
        if pa == pb, let na, let nb { return na < nb }
        return a < b
    }
}

extension StringProtocol {
    /// The text without leading and trailing characters for which `isTrimmed` holds.
    func trimmed(where isTrimmed: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = lastIndex(where: { !isTrimmed($0) })!
        return String(self[first...last])
    }
}

extension EdgePruneError: EdgePruneErrorKindCarrier {
    var isFormatError: Bool { kind == .format }
}
