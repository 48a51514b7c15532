import EdgePruneCore

/// Where each value read came from, by key path, so that range checks made after decoding can
/// still say "line 12" or "from EDGEPRUNE__HTTP__PORT".
final class ConfigOrigins: @unchecked Sendable {
    private(set) var byPath: [String: ConfigNode.Origin] = [:]

    func record(_ path: String, _ origin: ConfigNode.Origin) {
        byPath[path] = origin
    }

    func origin(of path: String) -> ConfigNode.Origin? {
        byPath[path]
    }
}

/// Builds the one-line errors: `config: <key path> <problem> (<origin>)`.
struct ConfigErrors: Sendable {
    var origins: [String: ConfigNode.Origin] = [:]

    func invalid(_ path: String, _ problem: String) -> EdgePruneError {
        EdgePruneError(.input, "config: \(path) \(problem)" + suffix(path))
    }

    func suffix(_ path: String) -> String {
        guard let origin = origins[path] else { return "" }
        let text = origin.description
        return text.isEmpty ? "" : " (\(text))"
    }

    static func originSuffix(_ origin: ConfigNode.Origin) -> String {
        let text = origin.description
        return text.isEmpty ? "" : " (\(text))"
    }

    /// Numbers as a reader wrote them: -3 rather than -3.0.
    static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// Reads one mapping of the document: typed values by key, each key remembered as read, and
/// `finish()` refuses every key that was not (a misspelt key must never be silently ignored).
struct MappingReader {
    let path: String
    let origin: ConfigNode.Origin
    private let entries: [(key: String, value: ConfigNode)]
    private var read: Set<String> = []
    private let origins: ConfigOrigins

    /// `node` must be a mapping; null reads as an empty mapping (`budgets:` with nothing under it).
    init(_ node: ConfigNode, path: String, origins: ConfigOrigins) throws {
        self.path = path
        self.origin = node.origin
        self.origins = origins
        switch node.value {
        case .mapping(let entries): self.entries = entries
        case .null: self.entries = []
        default: throw ConfigValue.typeError(path.isEmpty ? "the document" : path, "must be a mapping of keys", node)
        }
        origins.record(path, node.origin)
    }

    var keys: [String] { entries.map(\.key) }

    /// The origin table, for readers of nested values.
    var originsForChildren: ConfigOrigins { origins }

    func child(_ key: String) -> String { ConfigPath.key(path, key) }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The raw node at `key` (recording its origin), nil when absent.
    mutating func node(_ key: String) -> ConfigNode? {
        guard let node = entries.first(where: { $0.key == key })?.value else { return nil }
        read.insert(key)
        origins.record(child(key), node.origin)
        return node
    }

    mutating func mapping(_ key: String) throws -> MappingReader? {
        guard let node = node(key) else { return nil }
        return try MappingReader(node, path: child(key), origins: origins)
    }

    // Present and not null: the value; absent: nil. Null is an error for these (use the
    // `optional...` forms for keys where null means "none").
    mutating func string(_ key: String) throws -> String? {
        try node(key).map { try ConfigValue.string($0, child(key)) }
    }

    mutating func int(_ key: String) throws -> Int? {
        try node(key).map { try ConfigValue.int($0, child(key)) }
    }

    mutating func double(_ key: String) throws -> Double? {
        try node(key).map { try ConfigValue.double($0, child(key)) }
    }

    mutating func bool(_ key: String) throws -> Bool? {
        try node(key).map { try ConfigValue.bool($0, child(key)) }
    }

    mutating func stringList(_ key: String) throws -> [String]? {
        guard let node = node(key) else { return nil }
        return try ConfigValue.list(node, child(key), origins: origins) { try ConfigValue.string($0, $1) }
    }

    mutating func intList(_ key: String) throws -> [Int]? {
        guard let node = node(key) else { return nil }
        return try ConfigValue.list(node, child(key), origins: origins) { try ConfigValue.int($0, $1) }
    }

    mutating func doubleList(_ key: String) throws -> [Double]? {
        guard let node = node(key) else { return nil }
        return try ConfigValue.list(node, child(key), origins: origins) { try ConfigValue.double($0, $1) }
    }

    /// For keys where null means "none": absent → nil (leave as is), null → .some(nil).
    mutating func optionalString(_ key: String) throws -> String?? {
        guard let node = node(key) else { return nil }
        return node.isNull ? .some(nil) : .some(try ConfigValue.string(node, child(key)))
    }

    mutating func optionalInt(_ key: String) throws -> Int?? {
        guard let node = node(key) else { return nil }
        return node.isNull ? .some(nil) : .some(try ConfigValue.int(node, child(key)))
    }

    mutating func optionalDouble(_ key: String) throws -> Double?? {
        guard let node = node(key) else { return nil }
        return node.isNull ? .some(nil) : .some(try ConfigValue.double(node, child(key)))
    }

    /// A string that must be one of `choices`.
    mutating func choice<T>(_ key: String, _ choices: [(String, T)]) throws -> T? {
        guard let node = node(key) else { return nil }
        return try ConfigValue.choice(node, child(key), choices)
    }

    /// Refuses keys that were not read: `config: unknown key 'sinks[2].colour' (known: ...)`.
    func finish(known: [String]) throws {
        guard let unknown = entries.first(where: { !read.contains($0.key) }) else { return }
        throw unknownKey(unknown.key, known: known)
    }

    func unknownKey(_ key: String, known: [String]) -> EdgePruneError {
        var message = "config: unknown key '\(child(key))'"
        if let guess = ConfigValue.closest(to: key, in: known) {
            message += " (did you mean '\(guess)'?)"
        } else if !known.isEmpty {
            message += " (known keys here: \(known.joined(separator: ", ")))"
        }
        if let node = entries.first(where: { $0.key == key })?.value {
            message += ConfigErrors.originSuffix(node.origin)
        }
        return EdgePruneError(.input, message)
    }
}

/// Typed reads of single values, with errors naming the key path and the line.
enum ConfigValue {
    static func typeError(_ path: String, _ expectation: String, _ node: ConfigNode) -> EdgePruneError {
        let origin = node.origin.description
        return EdgePruneError(.input, "config: \(path) \(expectation), got \(node.shortDescription)" + (origin.isEmpty ? "" : " (\(origin))"))
    }

    static func string(_ node: ConfigNode, _ path: String) throws -> String {
        guard case .scalar(let text, _) = node.value else { throw typeError(path, "must be a string", node) }
        return text
    }

    static func int(_ node: ConfigNode, _ path: String) throws -> Int {
        guard case .scalar(let text, let quoted) = node.value, !quoted else {
            throw typeError(path, "must be an integer", node)
        }
        let unsigned = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !unsigned.isEmpty, unsigned.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw typeError(path, "must be an integer", node)
        }
        guard let value = Int(text.hasPrefix("+") ? String(unsigned) : text) else {
            throw typeError(path, "is out of range", node)
        }
        return value
    }

    static func double(_ node: ConfigNode, _ path: String) throws -> Double {
        guard case .scalar(let text, let quoted) = node.value, !quoted, let value = parseNumber(text) else {
            throw typeError(path, "must be a number", node)
        }
        guard value.isFinite else { throw typeError(path, "must be a finite number", node) }
        return value
    }

    /// Decimal numbers only (`12`, `-0.5`, `1e-3`): not YAML's `.inf`/`.nan`, not hex.
    static func parseNumber(_ text: String) -> Double? {
        guard !text.isEmpty, text.utf8.allSatisfy({ b in
            (0x30...0x39).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
        }) else { return nil }
        return Double(text)
    }

    static func bool(_ node: ConfigNode, _ path: String) throws -> Bool {
        if case .scalar(let text, let quoted) = node.value, !quoted {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        throw typeError(path, "must be true or false", node)
    }

    static func choice<T>(_ node: ConfigNode, _ path: String, _ choices: [(String, T)]) throws -> T {
        if case .scalar(let text, _) = node.value, let hit = choices.first(where: { $0.0 == text }) {
            return hit.1
        }
        throw typeError(path, "must be one of \(choices.map(\.0).joined(separator: ", "))", node)
    }

    static func list<T>(_ node: ConfigNode, _ path: String, origins: ConfigOrigins,
                        _ element: (ConfigNode, String) throws -> T) throws -> [T] {
        guard case .sequence(let items) = node.value else { throw typeError(path, "must be a list", node) }
        var values: [T] = []
        values.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let itemPath = ConfigPath.index(path, i)
            origins.record(itemPath, item.origin)
            values.append(try element(item, itemPath))
        }
        return values
    }

    /// The known key within edit distance 2 of a misspelt one (`sorce` → `source`), or the
    /// one known key it is the start of.
    static func closest(to key: String, in known: [String]) -> String? {
        let target = Array(key.lowercased().utf8)
        var best: (String, Int)?
        for candidate in known {
            let d = distance(target, Array(candidate.utf8))
            if d <= 2, d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        // `ca` for `ca_file`, `latency` for `latency_p95_ms`: a unique known key it begins.
        if best == nil, key.count >= 2 {
            let extended = known.filter { $0.hasPrefix(key.lowercased()) }
            if extended.count == 1 { return extended[0] }
        }
        return best?.0
    }

    private static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
