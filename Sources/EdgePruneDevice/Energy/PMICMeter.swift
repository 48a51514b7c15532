import EdgePruneCore

/// Board power on a Raspberry Pi 5 from its PMIC's ADCs, through `vcgencmd pmic_read_adc`
/// (the user needs the `video` group). Each read spawns the command, which costs a few
/// milliseconds: poll it at a few hertz, not per inference on a fast model.
///
/// Reported power = `correction.scale` · Σ V·I + `correction.offset`. The default (1, 0) reports
/// the PMIC rails alone; `PMICMeter.communityWallFit` (×1.1451 + 0.5879 W, a fit against a USB
/// power meter published by Pi users and quoted e.g. at pitop.hongjunwu.com/guide/power) is an
/// option for estimating wall power, not a calibrated figure.
public final class PMICMeter: EnergyMeter {
    public struct Correction: Sendable, Equatable {
        public var scale: Double
        public var offset: Double
        public init(scale: Double, offset: Double) { self.scale = scale; self.offset = offset }
    }

    public static let communityWallFit = Correction(scale: 1.1451, offset: 0.5879)

    public let name: String
    public let command: String
    public let timeout: Double
    public let correction: Correction
    private let now: () -> Double
    /// The last parsed report, for diagnostics (rail breakdown, input voltage).
    public private(set) var lastReport: PMICReport?

    public init(command: String = "/usr/bin/vcgencmd", timeout: Double = 1.0,
                correction: Correction = Correction(scale: 1, offset: 0),
                now: @escaping () -> Double = DeviceClock.monotonicSeconds) {
        self.command = command
        self.timeout = timeout
        self.correction = correction
        self.now = now
        self.name = "pmic (\(command) pmic_read_adc)"
    }

    public func read() throws -> EnergyReading {
        let output = try CommandRunner.run(command, ["pmic_read_adc"], timeout: timeout)
        let source = "'\(command) pmic_read_adc'"
        if output.status != 0 {
            let first = output.text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            throw EdgePruneError(.io, "\(source) exited with status \(output.status): \(first.prefix(120))")
        }
        let report = try PMICReport.parse(output.text, source: source)
        lastReport = report
        let watts = correction.scale * report.totalWatts + correction.offset
        guard watts.isFinite, watts >= 0 else {
            throw EdgePruneError(.format, "\(source): rails sum to \(watts) W after correction")
        }
        return .power(watts: watts, time: now())
    }
}
