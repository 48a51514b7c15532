import EdgePruneCore

extension DaemonConfig {
    /// Two remote overlays as one: `later`'s keys replace `earlier`'s, section by section, and
    /// keys only `earlier` set are kept. The daemon persists this running sum, so a restart
    /// re-applies every remote change (and only those) on top of the local config file: a value
    /// the local file sets and no overlay touched still follows later edits of the file. Both
    /// documents must be overlays (`applyingRemoteOverlay` has accepted them); the result is
    /// compact JSON.
    public static func mergeRemoteOverlays(_ earlier: [UInt8]?, _ later: [UInt8]) throws -> [UInt8] {
        var merged = try earlier.map { try ConfigDocument.read($0, source: "the persisted remote config") }
            ?? ConfigNode(.mapping([]), origin: .unknown)
        let next = try ConfigDocument.read(later, source: "the remote update")
        if merged.isNull { merged = ConfigNode(.mapping([]), origin: .unknown) }
        for (section, node) in next.mappingEntries ?? [] {
            guard var target = merged[section], target.mappingEntries != nil, let entries = node.mappingEntries else {
                merged.set(section, node)
                continue
            }
            for (key, value) in entries { target.set(key, value) }
            merged.set(section, target)
        }
        return Array(merged.json.utf8)
    }
}

extension ConfigNode {
    /// The node as JSON: plain scalars that read as numbers, booleans or null stay bare, every
    /// other scalar is a string (as the config reader would take it).
    var json: String {
        switch value {
        case .null:
            return "null"
        case .scalar(let text, let quoted):
            if !quoted, Double(text) != nil || ["true", "false", "null", "~"].contains(text) {
                return text == "~" ? "null" : text
            }
            return Self.quote(text)
        case .sequence(let items):
            return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .mapping(let entries):
            return "{" + entries.map { Self.quote($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += "\\u00" + String(u.value, radix: 16).leftPadded(2) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
