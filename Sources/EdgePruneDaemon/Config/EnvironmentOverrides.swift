import EdgePruneCore

/// `EDGEPRUNE__<SECTION>__<KEY>=value`: environment variables that set config keys after the
/// file is read and before it is validated (systemd `Environment=`, containers).
///
/// - The name is `EDGEPRUNE` and the key path, joined by double underscores; it is
///   case-insensitive (`EDGEPRUNE__HTTP__PORT`, `edgeprune__http__port`). Single underscores
///   belong to key names: `EDGEPRUNE__BUDGETS__LATENCY_P95_MS`.
/// - Deeper keys take more segments (`EDGEPRUNE__SOURCE__REPLAY__RATE`,
///   `EDGEPRUNE__MQTT__TLS__CA_FILE`); a number selects an existing list entry
///   (`EDGEPRUNE__SINKS__1__PATH`).
/// - The value is read as YAML: `8081` is a number, `true` a boolean, `"8081"` a string, an
///   empty value is null (it clears an optional key such as a budget), and `[a, b]` is a list.
/// - Missing sections and keys are created; a key the schema does not know is refused by
///   validation like a misspelt key in the file, naming the variable.
/// - Variables are applied in name order; two that name the same key are an error.
enum EnvironmentOverrides {
    static let prefix = "EDGEPRUNE__"

    static func apply(_ environment: [String: String], to root: inout ConfigNode) throws {
        var targets: [String: String] = [:]
        for name in environment.keys.sorted() where name.uppercased().hasPrefix(prefix) {
            let value = environment[name]!
            let segments = name.dropFirst(prefix.count).split(separator: "__", omittingEmptySubsequences: false).map { $0.lowercased() }
            if let empty = segments.firstIndex(where: \.isEmpty) {
                throw EdgePruneError(.input, "config: \(name): empty key at segment \(empty + 1) (segments are separated by exactly two underscores)")
            }
            let target = segments.joined(separator: ".")
            if let other = targets[target] {
                throw EdgePruneError(.input, "config: \(other) and \(name) both set \(target)")
            }
            targets[target] = name
            let node = try ConfigDocument.readValue(value, origin: .environment(name), name: name)
            try set(&root, segments[...], to: node, name: name, path: "")
        }
    }

    private static func set(_ node: inout ConfigNode, _ segments: ArraySlice<String>, to value: ConfigNode,
                            name: String, path: String) throws {
        guard let segment = segments.first else {
            node = value
            return
        }
        let rest = segments.dropFirst()
        switch node.value {
        case .null:
            // A missing or empty section: create it.
            node = ConfigNode(.mapping([]), origin: .environment(name))
            try set(&node, segments, to: value, name: name, path: path)
        case .mapping:
            var child = node[segment] ?? ConfigNode(.null, origin: .environment(name))
            try set(&child, rest, to: value, name: name, path: ConfigPath.key(path, segment))
            node.set(segment, child)
        case .sequence(var items):
            guard let index = Int(segment), segment.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw EdgePruneError(.input, "config: \(name): \(path.isEmpty ? "the document" : path) is a list; select an entry by number, not '\(segment)'")
            }
            guard index < items.count else {
                throw EdgePruneError(.input, "config: \(name): \(path) has \(items.count) entries; there is no entry \(index)")
            }
            try set(&items[index], rest, to: value, name: name, path: ConfigPath.index(path, index))
            node.value = .sequence(items)
        case .scalar:
            throw EdgePruneError(.input, "config: \(name): \(path) is a single value in the config, so it has no key '\(segment)'")
        }
    }
}
