/// A JSON value restricted to what signed payloads and state manifests hold (objects, strings,
/// unsigned integers), with exactly one byte serialisation.
///
/// Canonical form (the RFC 8785 JCS rules for these types):
/// - UTF-8, no whitespace outside strings;
/// - object members sorted by the UTF-8 bytes of their keys, each key once;
/// - strings: `"` and `\` escaped as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D as
///   `\b \t \n \f \r`; other code points below U+0020 as `\u00xx` (lower-case hex); everything
///   else, `/` and non-ASCII included, written literally;
/// - integers in decimal, no sign, no leading zeros, no fraction or exponent.
///
/// A reader that accepts JSON more liberally (escapes, whitespace, key order, duplicate keys) can
/// check canonicity by re-serialising what it parsed and comparing bytes; signed payloads are
/// checked this way, so one accepted payload has exactly one byte string.
public indirect enum CanonicalJSON: Equatable, Sendable {
    case string(String)
    case integer(UInt64)
    case object([String: CanonicalJSON])

    /// The canonical bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .integer(let v):
            out.append(contentsOf: String(v).utf8)
        case .string(let s):
            Self.writeString(s, into: &out)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
