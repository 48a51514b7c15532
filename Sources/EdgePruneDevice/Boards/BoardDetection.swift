import EdgePruneCore

extension BoardProfile {
    /// Picks the built-in profile of the board this runs on: the device-tree model string first
    /// (`/proc/device-tree/model`, e.g. "Raspberry Pi 5 Model B Rev 1.0"), then /proc/cpuinfo
    /// (its `Model` line, the Raspberry Pi `Revision` code, or an x86 `vendor_id`). Nil when
    /// the board is not one we have a profile for: guessing another board's watts would be
    /// worse than saying "unknown".
    public static func detect(cpuinfoPath: String = "/proc/cpuinfo",
                              modelPath: String = "/proc/device-tree/model") -> BoardProfile? {
        let model = try? SysfsFile.readText(modelPath)
        let cpuinfo = try? SysfsFile.readText(cpuinfoPath, maxBytes: 1 << 20)
        return identify(model: model, cpuinfo: cpuinfo).flatMap { builtIn(named: $0) }
    }

    /// The profile name for a model string and/or cpuinfo text, without touching files.
    public static func identify(model: String?, cpuinfo: String?) -> String? {
        if let model, let name = profileName(forModel: model) { return name }
        guard let cpuinfo else { return nil }
        var vendor: String?
        for line in cpuinfo.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmed(where: { $0.isWhitespace })
            let value = line[line.index(after: colon)...].trimmed(where: { $0.isWhitespace })
            switch key {
            case "Model":
                if let name = profileName(forModel: value) { return name }
            case "Revision":
                if let name = profileName(forRevision: value) { return name }
            case "vendor_id":
                vendor = value
            default:
                break
            }
        }
        if let vendor, ["GenuineIntel", "AuthenticAMD", "HygonGenuine", "CentaurHauls"].contains(vendor) {
            return "x86_64-generic"
        }
        return nil
    }

    static func profileName(forModel model: String) -> String? {
        if model.contains("Raspberry Pi Zero 2") { return "zero2w" }
        // Pi 500 and Compute Module 5 share the Pi 5's BCM2712; Pi 400 and CM4 the Pi 4's BCM2711.
        if model.contains("Raspberry Pi 5") || model.contains("Compute Module 5") { return "pi5" }
        if model.contains("Raspberry Pi 4") || model.contains("Compute Module 4") { return "pi4" }
        return nil
    }

    /// New-style Raspberry Pi revision codes (bit 23 set) keep the board type in bits 4-11
    /// (Raspberry Pi documentation, "Raspberry Pi revision codes").
    static func profileName(forRevision text: String) -> String? {
        guard let code = UInt32(text, radix: 16), code & (1 << 23) != 0 else { return nil }
        switch (code >> 4) & 0xff {
        case 0x11, 0x13, 0x14: return "pi4"        // 4B, 400, CM4
        case 0x12: return "zero2w"                 // Zero 2 W
        case 0x17, 0x18, 0x19, 0x1a: return "pi5"  // 5, CM5, 500, CM5 Lite
        default: return nil
        }
    }
}
