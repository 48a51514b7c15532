#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import Yams

/// Turns the bytes of a YAML or JSON config document into a `ConfigNode` tree, refusing what
/// cannot be a config before the schema is looked at: more than 1 MiB, bytes that are not
/// UTF-8, no document at all, more than one document, duplicate keys, non-string keys, and
/// documents nested deeper than a config can be.
///
/// Depth: libyaml stops at 1000 nesting levels, and Yams recurses once per level while it
/// builds its tree, which a small thread stack (a Swift concurrency or NIO thread) might not
/// hold in a debug build. So the reading runs on a thread of its own with a 16 MiB stack
/// (reserved, touched only as deep as the document goes), and the tree handed back is cut at
/// 32 levels, so nothing deep ever reaches the caller's stack, not even when it is freed.
///
/// Errors are one line: `config: line N: problem (column C in SOURCE)` for YAML syntax.
enum ConfigDocument {
    /// The largest document accepted (files, HTTP bodies and MQTT payloads alike).
    static let maxBytes = 1 << 20
    static let parserStackBytes = 16 << 20
    /// Nodes after aliases are expanded (`*a` repeats the node anchored by `&a`): a small
    /// document with nested aliases could otherwise expand to billions of nodes.
    static let maxNodes = 200_000
    /// The deepest nesting kept (the schema needs 5: `model.normalization.mean[0]`).
    static let maxDepth = 32

    static func read(_ bytes: [UInt8], source: String) throws -> ConfigNode {
        guard bytes.count <= maxBytes else {
            throw EdgePruneError(.format, "config: \(source) has \(bytes.count) bytes; a config document is at most \(maxBytes) bytes")
        }
        if let bad = firstInvalidUTF8(bytes) {
            throw EdgePruneError(.format, "config: line \(line(ofOffset: bad, in: bytes)): not UTF-8 text (invalid byte 0x\(String(bytes[bad], radix: 16)) at offset \(bad) in \(source))")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let root: ConfigNode?
        do {
            root = try onLargeStack(text) { node in
                var budget = maxNodes
                return try node.map { try convert($0, depth: 0, budget: &budget, source: source) }
            }
        } catch let error as YamlError {
            throw EdgePruneError(.format, describe(error, bytes: bytes, source: source))
        }
        guard let root else {
            throw EdgePruneError(.format, "config: \(source) is empty (no YAML or JSON document, only blanks or comments)")
        }
        return root
    }

    /// A single value written outside a document (an environment override): YAML scalars,
    /// and flow lists or mappings (`[a, b]`). An empty string is null.
    static func readValue(_ text: String, origin: ConfigNode.Origin, name: String) throws -> ConfigNode {
        let bytes = Array(text.utf8)
        guard bytes.count <= 64 << 10 else {
            throw EdgePruneError(.input, "config: \(name) has \(bytes.count) bytes; an override is at most 65536")
        }
        let node: ConfigNode?
        do {
            node = try onLargeStack(text) { node in
                var budget = 10_000
                return try node.map { try convert($0, depth: 0, budget: &budget, source: name) }
            }
        } catch let error as YamlError {
            throw EdgePruneError(.input, "config: \(name) is not a YAML value: \(problem(of: error))")
        }
        guard var node else { return ConfigNode(.null, origin: origin) }
        relabel(&node, origin)
        return node
    }

    private static func relabel(_ node: inout ConfigNode, _ origin: ConfigNode.Origin) {
        node.origin = origin
        switch node.value {
        case .sequence(var items):
            for i in items.indices { relabel(&items[i], origin) }
            node.value = .sequence(items)
        case .mapping(var entries):
            for i in entries.indices { relabel(&entries[i].value, origin) }
            node.value = .mapping(entries)
        case .null, .scalar:
            break
        }
    }

    // MARK: - Conversion

    private static func convert(_ node: Yams.Node, depth: Int, budget: inout Int, source: String) throws -> ConfigNode {
        budget -= 1
        guard budget >= 0 else {
            throw EdgePruneError(.format, "config: \(source) expands to more than \(maxNodes) values (aliases repeating aliases?)")
        }
        let origin = node.mark.map { ConfigNode.Origin.line($0.line) } ?? .unknown
        guard depth <= maxDepth else {
            throw EdgePruneError(.format, "config: \(origin): nested more than \(maxDepth) levels deep; no config key is (in \(source))")
        }
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return ConfigNode(.null, origin: origin)
            }
            return ConfigNode(.scalar(scalar.string, quoted: scalar.style != .plain), origin: origin)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item, depth: depth + 1, budget: &budget, source: source)) }
            return ConfigNode(.sequence(items), origin: origin)
        case .mapping(let mapping):
            var entries: [(key: String, value: ConfigNode)] = []
            var seen: [String: Int] = [:]
            for (key, value) in mapping {
                let keyLine = key.mark?.line ?? 0
                guard case .scalar(let k) = key else {
                    throw EdgePruneError(.format, "config: line \(keyLine): a mapping key must be a plain string, not a list or a mapping (in \(source))")
                }
                if let first = seen[k.string] {
                    throw EdgePruneError(.format, "config: line \(keyLine): duplicate key '\(k.string)' (first on line \(first), in \(source))")
                }
                seen[k.string] = keyLine
                entries.append((key: k.string, value: try convert(value, depth: depth + 1, budget: &budget, source: source)))
            }
            return ConfigNode(.mapping(entries), origin: origin)
        case .alias:
            // Yams resolves aliases while composing; an unresolved one cannot reach here.
            throw EdgePruneError(.format, "config: \(origin): unresolved alias (in \(source))")
        }
    }

    // MARK: - Errors from Yams

    private static func describe(_ error: YamlError, bytes: [UInt8], source: String) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var text = problem
            if problem.hasPrefix("Maximum nesting level") {
                return "config: line \(mark.line): nested more than 1000 levels deep, the YAML reader's limit; no config key is (in \(source))"
            }
            if let context {
                if context.text.hasPrefix("expected a single document") {
                    return "config: line \(mark.line): a second YAML document starts here; a config is one document (in \(source))"
                }
                text += " (\(context.text) on line \(context.mark.line))"
            }
            return "config: line \(mark.line): \(text) (column \(mark.column) in \(source))"
        case .reader(let problem, let offset, _, _):
            let at = offset.map { min(max($0, 0), max(bytes.count - 1, 0)) } ?? 0
            return "config: line \(line(ofOffset: at, in: bytes)): \(problem) (in \(source))"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return "config: line \(context.mark.line): duplicate key \(keys) (in \(source))"
        default:
            return "config: \(source) could not be read as YAML: \(problem(of: error))"
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "\(problem) at column \(mark.column)"
        case .reader(let problem, _, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))"
        default:
            return String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "unreadable"
        }
    }

    // MARK: - Byte-level checks

    /// Offset of the first byte that is not part of valid UTF-8, nil when all of it is.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; scalar = UInt32(b & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(b & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(b & 0x07); minimum = 0x10000
            default: return i
            }
            guard i + length <= n else { return i }
            for k in 1..<length {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += length
        }
        return nil
    }

    static func line(ofOffset offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for b in bytes[..<min(offset, bytes.count)] where b == UInt8(ascii: "\n") { line += 1 }
        return line
    }

    // MARK: - The parser thread

    private final class ComposeJob<T>: @unchecked Sendable {
        let text: String
        let body: (Yams.Node?) throws -> T
        var result: Result<T, Error>?
        init(_ text: String, _ body: @escaping (Yams.Node?) throws -> T) {
            self.text = text
            self.body = body
        }
        func run() {
            // The Yams tree lives and dies on this thread: only `body`'s result leaves it.
            result = Result { try body(try Yams.compose(yaml: text)) }
        }
    }

    /// Runs Yams (and `body` on its tree) on a thread with a known, large stack (reserved,
    /// touched only as deep as the document nests), so a deep document cannot overflow the
    /// caller's stack, whatever thread the caller is on.
    private static func onLargeStack<T>(_ text: String, _ body: @escaping (Yams.Node?) throws -> T) throws -> T {
        let job = ComposeJob(text, body)
        let thread = try NativeThread("the config YAML reader thread", stackBytes: parserStackBytes) { job.run() }
        thread.join()
        guard let result = job.result else {
            throw EdgePruneError(.io, "config: the YAML reader thread ended without a result")
        }
        return try result.get()
    }
}
