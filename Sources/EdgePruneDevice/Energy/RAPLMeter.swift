import EdgePruneCore

/// Intel/AMD RAPL energy counters through the Linux powercap framework
/// (`/sys/class/powercap/intel-rapl:N`). `energy_uj` is a cumulative µJ counter that wraps to 0
/// after `max_energy_range_uj`; the reading carries that range so the tracker can unwrap it
/// (and tell a wrap from a counter that really went backwards).
///
/// Since Linux 5.10 `energy_uj` is readable by root only (CVE-2020-8694, "Platypus"); the error
/// then says so.
public final class RAPLMeter: EnergyMeter {
    public let name: String
    public let zone: String
    private let now: () -> Double
    private var rangeJoules: Double?

    /// A meter over one powercap zone directory (e.g. /sys/class/powercap/intel-rapl:0).
    public init(zone: String, now: @escaping () -> Double = DeviceClock.monotonicSeconds) {
        self.zone = zone
        let leaf = zone.split(separator: "/").last.map(String.init) ?? zone
        let label = (try? SysfsFile.readText(zone + "/name")) ?? "rapl"
        self.name = "\(label) (\(leaf))"
        self.now = now
    }

    /// The top-level zones (`intel-rapl:N`, one per package) under `root` that have an
    /// `energy_uj` file. Sub-zones (`intel-rapl:N:M`, core/uncore/dram) are parts of their
    /// package and are left out so that summing meters never counts energy twice.
    public static func discover(root: String = "/sys/class/powercap",
                                now: @escaping () -> Double = DeviceClock.monotonicSeconds) -> [RAPLMeter] {
        SysfsFile.list(root).compactMap { entry in
            let parts = entry.split(separator: ":")
            guard parts.count == 2, parts[0] == "intel-rapl", Int(parts[1]) != nil else { return nil }
            let zone = root + "/" + entry
            guard SysfsFile.exists(zone + "/energy_uj") else { return nil }
            return RAPLMeter(zone: zone, now: now)
        }
    }

    public func read() throws -> EnergyReading {
        if rangeJoules == nil {
            let range = try SysfsFile.readUInt(zone + "/max_energy_range_uj")
            guard range > 0 else { throw EdgePruneError(.format, "'\(zone)/max_energy_range_uj' is 0") }
            rangeJoules = Double(range) * 1e-6
        }
        let microjoules = try SysfsFile.readUInt(zone + "/energy_uj")
        return .energy(joules: Double(microjoules) * 1e-6, range: rangeJoules, time: now())
    }
}
