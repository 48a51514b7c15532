import EdgePruneCore

/// The output of `vcgencmd pmic_read_adc` on a Raspberry Pi 5 (Renesas DA9091 PMIC), parsed.
///
/// The firmware prints one rail measurement per line, names right-aligned, currents first:
///
///       VDD_CORE_A current(7)=2.34700000A
///       ...
///       VDD_CORE_V volt(15)=0.88000000V
///          EXT5V_V volt(24)=5.09066000V
///
/// The number in brackets is the ADC channel, which differs between the current and the voltage
/// of the same rail, so rails are paired by name (`VDD_CORE_A` with `VDD_CORE_V`), never by
/// channel. Rails without a partner (EXT5V_V, the 5 V input; BATT_V, the RTC cell) carry no
/// power figure. Variations handled: any indentation, a single-rail query
/// (`vcgencmd pmic_read_adc EXT5V_V`), CRLF line ends, `nan` values (BATT_V without a cell),
/// a label whose suffix disagrees with its unit, and the firmware's
/// `error=1 error_msg="..."` reply on boards without the command.
public struct PMICReport: Sendable, Equatable {
    public struct Rail: Sendable, Equatable {
        public let name: String
        public let volts: Double
        public let amps: Double
        public var watts: Double { volts * amps }
    }

    /// Rails with both a voltage and a current, sorted by name.
    public let rails: [Rail]
    /// EXT5V_V: the 5 V input as the PMIC sees it, when reported.
    public let inputVolts: Double?
    /// Lines that were not a well-formed measurement (kept for diagnostics, never fatal).
    public let ignoredLines: Int

    /// Σ V·I over the paired rails. This is what the PMIC's own outputs deliver; it leaves out
    /// the conversion losses from the 5 V input and whatever USB/HAT devices draw, so it is
    /// lower than the power at the wall (see `PMICMeter.correction`).
    public var totalWatts: Double { rails.reduce(0) { $0 + $1.watts } }

    public static func parse(_ text: String, source: String = "vcgencmd pmic_read_adc") throws -> PMICReport {
        if let line = text.split(whereSeparator: \.isNewline).first(where: { $0.contains("error_msg=") }) {
            let message = line.split(separator: "=", maxSplits: 2).dropFirst(2).first.map(String.init) ?? String(line)
            throw EdgePruneError(.unsupported, "\(source) failed: \(message) (pmic_read_adc exists on Raspberry Pi 5-class boards only)")
        }
        var volts: [String: Double] = [:], amps: [String: Double] = [:]
        var ignored = 0
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmed(where: { $0.isWhitespace })
            if line.isEmpty { continue }
            guard let m = parseLine(line) else { ignored += 1; continue }
            if m.isCurrent { amps[m.rail] = m.value } else { volts[m.rail] = m.value }
        }
        let rails = amps.keys.sorted().compactMap { name -> Rail? in
            guard let a = amps[name], let v = volts[name] else { return nil }
            return Rail(name: name, volts: v, amps: a)
        }
        guard !rails.isEmpty else {
            throw EdgePruneError(.format, "\(source): no rail with both a current (_A) and a voltage (_V) in \(text.count) characters of output")
        }
        return PMICReport(rails: rails, inputVolts: volts["EXT5V"], ignoredLines: ignored)
    }

    /// `NAME_A current(N)=X.XA` or `NAME_V volt(N)=X.XV`; nil for anything else, including
    /// non-finite or negative values and labels whose suffix, keyword and unit disagree.
    static func parseLine(_ line: String) -> (rail: String, isCurrent: Bool, value: Double)? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 2 else { return nil }
        let label = fields[0], measure = fields[1]
        guard let eq = measure.firstIndex(of: "=") else { return nil }
        let keyword = measure[..<eq].prefix { $0 != "(" }
        var valueText = measure[measure.index(after: eq)...]
        guard let unit = valueText.last else { return nil }
        valueText = valueText.dropLast()
        let isCurrent: Bool
        switch (label.suffix(2), keyword, unit) {
        case ("_A", "current", "A"): isCurrent = true
        case ("_V", "volt", "V"): isCurrent = false
        default: return nil
        }
        guard let value = Double(valueText), value.isFinite, value >= 0 else { return nil }
        return (String(label.dropLast(2)), isCurrent, value)
    }
}
