import EdgePruneCore

/// A power monitor exposed through Linux hwmon (`/sys/class/hwmon/hwmonN`), such as the TI
/// INA219/INA226 through the `ina2xx` driver or the INA238/INA260 drivers.
///
/// The meter prefers a cumulative `energyK_input` (µJ) when the driver offers one, since it
/// integrates on the chip and misses nothing between reads; otherwise it reads the
/// instantaneous `powerK_input` (µW) and the tracker integrates it over time. Older kernels
/// put the attributes under `hwmonN/device/`; both places are searched.
public final class HwmonMeter: EnergyMeter {
    /// Chip names (the hwmon `name` attribute) of the current/power monitors we know.
    public static let knownChips: Set<String> = [
        "ina209", "ina219", "ina220", "ina226", "ina230", "ina231", "ina2xx", "ina233", "ina238", "ina260",
    ]

    public enum Channel: Equatable, Sendable {
        case energy(path: String)   // µJ, cumulative
        case power(path: String)    // µW, instantaneous
    }

    public let name: String
    public let channel: Channel
    private let now: () -> Double

    /// A meter over one attribute file; `discover` builds these from a hwmon tree.
    public init(name: String, channel: Channel, now: @escaping () -> Double = DeviceClock.monotonicSeconds) {
        self.name = name
        self.channel = channel
        self.now = now
    }

    /// Opens the hwmon device at `dir` (e.g. /sys/class/hwmon/hwmon3); nil when it has neither
    /// an energy nor a power input.
    public convenience init?(device dir: String, now: @escaping () -> Double = DeviceClock.monotonicSeconds) {
        let chip = (try? SysfsFile.readText(dir + "/name")) ?? "hwmon"
        guard let channel = Self.channel(in: dir) else { return nil }
        let leaf = dir.split(separator: "/").last.map(String.init) ?? dir
        self.init(name: "\(chip) (\(leaf))", channel: channel, now: now)
    }

    /// Every hwmon device under `root` whose `name` is one of `chips` and that has an energy or
    /// power input, in hwmon order. Unreadable devices are skipped.
    public static func discover(root: String = "/sys/class/hwmon", chips: Set<String> = knownChips,
                                now: @escaping () -> Double = DeviceClock.monotonicSeconds) -> [HwmonMeter] {
        SysfsFile.list(root).compactMap { entry in
            let dir = root + "/" + entry
            guard let chip = try? SysfsFile.readText(dir + "/name"), chips.contains(chip) else { return nil }
            return HwmonMeter(device: dir, now: now)
        }
    }

    /// The lowest-numbered `energyK_input`, else the lowest-numbered `powerK_input`.
    static func channel(in dir: String) -> Channel? {
        for base in [dir, dir + "/device"] {
            let names = SysfsFile.list(base)
            if let e = lowest(names, prefix: "energy") { return .energy(path: base + "/" + e) }
        }
        for base in [dir, dir + "/device"] {
            let names = SysfsFile.list(base)
            if let p = lowest(names, prefix: "power") { return .power(path: base + "/" + p) }
        }
        return nil
    }

    private static func lowest(_ names: [String], prefix: String) -> String? {
        names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix(prefix), n.hasSuffix("_input") else { return nil }
            let digits = n.dropFirst(prefix.count).dropLast("_input".count)
            guard let k = Int(digits) else { return nil }
            return (k, n)
        }.min { $0.0 < $1.0 }?.1
    }

    public func read() throws -> EnergyReading {
        switch channel {
        case .energy(let path):
            let microjoules = try SysfsFile.readUInt(path)
            return .energy(joules: Double(microjoules) * 1e-6, range: nil, time: now())
        case .power(let path):
            let microwatts = try SysfsFile.readUInt(path)
            return .power(watts: Double(microwatts) * 1e-6, time: now())
        }
    }
}
