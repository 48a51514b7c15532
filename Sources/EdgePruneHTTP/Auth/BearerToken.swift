#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// The shared secret of the control API, sent by clients as `Authorization: Bearer <token>`.
///
/// A token is at least ``minimumLength`` characters of visible ASCII (no spaces or control
/// characters: it travels in an HTTP header). It never appears in logs or descriptions.
public struct BearerToken: Sendable, CustomStringConvertible {
    public static let minimumLength = 16
    /// Token files larger than this are refused (a token is a line, not a document).
    public static let maximumFileBytes = 4096

    let bytes: [UInt8]

    /// A token from its text; `source` names where it came from in error messages.
    public init(_ text: String, source: String = "the token") throws {
        let bytes = Array(text.utf8)
        guard bytes.count >= Self.minimumLength else {
            throw EdgePruneError(.input, "\(source): the token is \(bytes.count) characters; at least \(Self.minimumLength) are required")
        }
        if let bad = bytes.firstIndex(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw EdgePruneError(.input, "\(source): the token holds a space, control or non-ASCII character at byte \(bad); use visible ASCII only")
        }
        self.bytes = bytes
    }

    /// Loads the token from a file that only its owner may read or write (mode 0600 or 0400):
    /// a file with any group or other permission bit is refused, since anyone who can read the
    /// token can reconfigure the device. One trailing newline (LF or CRLF) is stripped.
    public static func load(path: String) throws -> BearerToken {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw EdgePruneError(.io, "token file '\(path)': cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw EdgePruneError(.io, "token file '\(path)': cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw EdgePruneError(.input, "token file '\(path)' is not a regular file")
        }
        let permissions = st.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw EdgePruneError(.input, "token file '\(path)' has mode \(String(permissions, radix: 8)): group or others may access it; run chmod 600 \(path)")
        }
        guard Int(st.st_size) <= maximumFileBytes else {
            throw EdgePruneError(.input, "token file '\(path)' is \(st.st_size) bytes; a token file holds one line of at most \(maximumFileBytes) bytes")
        }
        var content: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: maximumFileBytes + 1)
        while content.count <= maximumFileBytes {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw EdgePruneError(.io, "token file '\(path)': cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            content.append(contentsOf: buffer[0..<n])
        }
        guard content.count <= maximumFileBytes else {
            throw EdgePruneError(.input, "token file '\(path)' holds more than \(maximumFileBytes) bytes; a token file holds one line")
        }
        if content.last == UInt8(ascii: "\n") { content.removeLast() }
        if content.last == UInt8(ascii: "\r") { content.removeLast() }
        // Invalid UTF-8 decodes to U+FFFD, which the visible-ASCII check then refuses.
        return try BearerToken(String(decoding: content, as: UTF8.self), source: "token file '\(path)'")
    }

    /// Whether `presented` is this token, in time independent of the presented bytes (see
    /// ``ConstantTime``).
    public func matches(_ presented: [UInt8]) -> Bool {
        ConstantTime.equals(presented, bytes)
    }

    public var description: String { "BearerToken(\(bytes.count) characters, redacted)" }
}
