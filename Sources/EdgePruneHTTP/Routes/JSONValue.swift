/// A JSON document (RFC 8259) parsed strictly, for request bodies whose errors must name the
/// problem and its place. Foundation's JSONDecoder on Linux reports a valid number that does not
/// fit the target type (`-1` for an unsigned id, `1.5` for an integer) as "not valid JSON" with
/// no path, which would send users looking for a syntax error that is not there.
///
/// Numbers keep their source text, so the caller decides what fits. Objects keep member order
/// and refuse duplicate keys. Nesting is limited to ``maxDepth`` (a deep body must not exhaust
/// the stack).
indirect enum JSONValue: Equatable, Sendable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static let maxDepth = 32

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let x), .array(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// What the value is, for error messages: `a string`, `1.5`, `an object`...
    var kindDescription: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number(let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// A syntax error: what was wrong and where (line and column, 1-based, in bytes).
    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        let message: String
        let line: Int
        let column: Int
        var description: String { "\(message) at line \(line), column \(column)" }
    }

    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ message: String, at offset: Int? = nil) -> SyntaxError {
            let at = min(offset ?? i, bytes.count)
            var line = 1, lineStart = 0
            for k in 0..<at where bytes[k] == UInt8(ascii: "\n") {
                line += 1
                lineStart = k + 1
            }
            return SyntaxError(message: message, line: line, column: at - lineStart + 1)
        }

        var current: String {
            guard i < bytes.count else { return "the end of the body" }
            let b = bytes[i]
            return (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func document() throws(SyntaxError) -> JSONValue {
            skipSpace()
            let value = try self.value()
            skipSpace()
            guard i == bytes.count else { throw fail("unexpected \(current) after the JSON value") }
            return value
        }

        mutating func value() throws(SyntaxError) -> JSONValue {
            guard i < bytes.count else { throw fail("unexpected end of the body, expected a value") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: throw fail("unexpected \(current), expected a value")
            }
        }

        mutating func literal(_ word: String) throws(SyntaxError) {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else {
                throw fail("unexpected \(current), expected a value")
            }
            i += w.count
        }

        mutating func enter() throws(SyntaxError) {
            depth += 1
            guard depth <= JSONValue.maxDepth else { throw fail("nesting deeper than \(JSONValue.maxDepth) levels") }
        }

        mutating func object() throws(SyntaxError) -> JSONValue {
            try enter()
            i += 1
            var members: [(key: String, value: JSONValue)] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                depth -= 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                    throw fail("unexpected \(current), expected a member name in double quotes")
                }
                let keyOffset = i
                let key = try string()
                if members.contains(where: { $0.key == key }) { throw fail("duplicate key '\(key)'", at: keyOffset) }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("unexpected \(current), expected ':'") }
                i += 1
                skipSpace()
                members.append((key, try value()))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of the body, expected ',' or '}'") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw fail("unexpected \(current), expected ',' or '}'")
            }
            depth -= 1
            return .object(members)
        }

        mutating func array() throws(SyntaxError) -> JSONValue {
            try enter()
            i += 1
            var elements: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                depth -= 1
                return .array(elements)
            }
            while true {
                skipSpace()
                elements.append(try value())
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of the body, expected ',' or ']'") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                throw fail("unexpected \(current), expected ',' or ']'")
            }
            depth -= 1
            return .array(elements)
        }

        mutating func number() throws(SyntaxError) -> String {
            let start = i
            func digits(_ p: inout Parser) -> Int {
                let s = p.i
                while p.i < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.i]) { p.i += 1 }
                return p.i - s
            }
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            let n = digits(&self)
            guard n > 0 else { throw fail("a number needs digits after '-'") }
            if n > 1 && bytes[intStart] == UInt8(ascii: "0") { throw fail("a number must not start with 0", at: intStart) }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits(&self) > 0 else { throw fail("a number needs digits after '.'") }
            }
            if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits(&self) > 0 else { throw fail("a number needs digits in its exponent") }
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("a \\u escape needs 4 hex digits") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw fail("a \\u escape needs 4 hex digits")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws(SyntaxError) -> String {
            let open = i
            i += 1
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw fail("unterminated string", at: open) }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; break }
                if b < 0x20 { throw fail("control character 0x\(String(b, radix: 16)) in a string; escape it") }
                if b != UInt8(ascii: "\\") {
                    out.append(b)
                    i += 1
                    continue
                }
                i += 1
                guard i < bytes.count else { throw fail("unterminated string", at: open) }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("a high surrogate \\u escape must be followed by a low one")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("a lone low surrogate in a \\u escape")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string", at: i - 2)
                }
            }
            let text = String(decoding: out, as: UTF8.self)
            guard text.utf8.elementsEqual(out) else { throw fail("a string is not valid UTF-8", at: open) }
            return text
        }
    }
}
