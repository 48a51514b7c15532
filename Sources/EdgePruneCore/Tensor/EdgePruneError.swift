/// The one error type of the runtime. Every message is a single line that names the problem and
/// where it is (node, tensor, file offset, key), so a user can act on it.
public struct EdgePruneError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case invalidModel = "invalid model"
        case unsupported = "unsupported"
        case shape = "shape error"
        case limit = "limit exceeded"
        case format = "malformed file"
        case io = "I/O error"
        case input = "invalid input"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        // Keep errors on one line whatever the source text held.
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
