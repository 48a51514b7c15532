/// One value of a config document as the config layer reads it: YAML (or JSON, which is YAML)
/// reduced to null, scalars, lists and mappings with string keys, each remembering where it came
/// from so that errors can say "line 12" or "EDGEPRUNE__HTTP__PORT".
struct ConfigNode: Sendable {
    enum Value: Sendable {
        case null
        /// The scalar's text; `quoted` for quoted and block scalars, which are always strings
        /// ("8080" in quotes is not a number, `8080` is).
        case scalar(String, quoted: Bool)
        case sequence([ConfigNode])
        /// Keys in document order (duplicates are refused when the document is read).
        case mapping([(key: String, value: ConfigNode)])
    }

    /// Where a value came from.
    enum Origin: Sendable, Equatable, CustomStringConvertible {
        case line(Int)
        case environment(String)
        case unknown

        var description: String {
            switch self {
            case .line(let n): return "line \(n)"
            case .environment(let name): return "from \(name)"
            case .unknown: return ""
            }
        }
    }

    var value: Value
    var origin: Origin

    init(_ value: Value, origin: Origin) {
        self.value = value
        self.origin = origin
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    var mappingEntries: [(key: String, value: ConfigNode)]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    /// What the value is, for "got ..." in error messages: numbers and booleans as written,
    /// other scalars in quotes (shortened), collections by kind.
    var shortDescription: String {
        switch value {
        case .null:
            return "null"
        case .scalar(let text, let quoted):
            let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
            if !quoted, Double(text) != nil || ["true", "false"].contains(text) { return shown }
            return "'\(shown)'"
        case .sequence:
            return "a list"
        case .mapping:
            return "a mapping"
        }
    }

    /// The value at `key` of a mapping node, nil when absent or when this is not a mapping.
    subscript(key: String) -> ConfigNode? {
        mappingEntries?.first { $0.key == key }?.value
    }

    /// Sets `key` of a mapping node (appending it when absent).
    mutating func set(_ key: String, _ node: ConfigNode) {
        guard case .mapping(var entries) = value else { return }
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].value = node
        } else {
            entries.append((key: key, value: node))
        }
        value = .mapping(entries)
    }
}

/// Key paths as errors show them: `budgets.latency_p95_ms`, `sinks[2].colour`.
enum ConfigPath {
    static func key(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : parent + "." + key
    }

    static func index(_ parent: String, _ index: Int) -> String {
        parent + "[\(index)]"
    }
}
