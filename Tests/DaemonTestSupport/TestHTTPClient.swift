#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

#if canImport(Glibc)
private let systemConnect = Glibc.connect
private let systemSend = Glibc.send
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let systemConnect = Darwin.connect
private let systemSend = Darwin.send
private let noSignal: Int32 = 0
#endif

/// A small HTTP/1.1 client over a plain TCP socket to 127.0.0.1, for driving the real server:
/// the tests need control over framing that a high-level client hides (a declared
/// Content-Length with no body sent, chunked bodies, duplicate headers). Blocking I/O runs on a
/// thread of its own, never on the cooperative pool the server's handlers need. Every socket has
/// 10 s send and receive timeouts, so a server bug fails a test instead of hanging it.
public struct TestHTTPClient {
    public enum Framing: Sendable {
        /// `Content-Length` = body size, body sent.
        case contentLength
        /// `Transfer-Encoding: chunked` in chunks of this many bytes.
        case chunked(Int)
        /// `Content-Length: n` declared, but only the headers are sent before reading the reply.
        case declaredOnly(Int)
        /// No body and no framing headers.
        case none
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object (fails the caller's expectation with nil otherwise).
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }

        public var errorMessage: String? { json?["error"] as? String }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int

    public init(port: Int) { self.port = port }

    public func send(_ method: String, _ path: String, headers: [(String, String)] = [],
              body: [UInt8] = [], framing: Framing? = nil) async throws -> Reply {
        let port = self.port
        let framing = framing ?? (body.isEmpty && (method == "GET" || method == "DELETE") ? .none : .contentLength)
        return try await Self.onThread {
            try Self.exchange(port: port, method: method, path: path, headers: headers, body: body, framing: framing)
        }
    }

    /// Whether something accepts TCP connections on the port.
    public static func canConnect(port: Int) -> Bool {
        guard let fd = try? connect(port: port) else { return false }
        close(fd)
        return true
    }

    // MARK: Plumbing

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    private static func connect(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): \(message)")
        }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, noSignal) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    private static func exchange(port: Int, method: String, path: String, headers: [(String, String)],
                                 body: [UInt8], framing: Framing) throws -> Reply {
        let fd = try connect(port: port)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        switch framing {
        case .contentLength: head += "Content-Length: \(body.count)\r\n"
        case .chunked: head += "Transfer-Encoding: chunked\r\n"
        case .declaredOnly(let n): head += "Content-Length: \(n)\r\n"
        case .none: break
        }
        head += "\r\n"
        try writeAll(fd, Array(head.utf8))
        switch framing {
        case .contentLength:
            try writeAll(fd, body)
        case .chunked(let size):
            var offset = 0
            while offset < body.count {
                let end = min(offset + size, body.count)
                try writeAll(fd, Array((String(end - offset, radix: 16) + "\r\n").utf8) + body[offset..<end] + Array("\r\n".utf8))
                offset = end
            }
            try writeAll(fd, Array("0\r\n\r\n".utf8))
        case .declaredOnly, .none:
            break
        }
        var reader = Reader(fd: fd)
        return try reader.readReply()
    }

    /// Reads one response: status line, headers, then a body framed by Content-Length or chunked.
    private struct Reader {
        let fd: Int32
        var buffer: [UInt8] = []

        mutating func fill() throws -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
                if n == 0 { return false }
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
        }

        mutating func line() throws -> String {
            while true {
                if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(buffer[..<i])
                    buffer.removeSubrange(...i)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                guard try fill() else { throw Failure(description: "connection closed mid-line") }
            }
        }

        mutating func bytes(_ n: Int) throws -> [UInt8] {
            while buffer.count < n {
                guard try fill() else { throw Failure(description: "connection closed after \(buffer.count) of \(n) body bytes") }
            }
            let out = Array(buffer[..<n])
            buffer.removeSubrange(..<n)
            return out
        }

        mutating func readReply() throws -> Reply {
            let statusLine = try line()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                throw Failure(description: "bad status line '\(statusLine)'")
            }
            var headers: [(String, String)] = []
            while true {
                let l = try line()
                if l.isEmpty { break }
                guard let colon = l.firstIndex(of: ":") else { throw Failure(description: "bad header '\(l)'") }
                headers.append((String(l[..<colon]), l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            let reply = Reply(status: status, headers: headers, body: [])
            var body: [UInt8] = []
            if let length = reply.header("content-length").flatMap({ Int($0) }) {
                body = try bytes(length)
            } else if reply.header("transfer-encoding")?.lowercased() == "chunked" {
                while true {
                    let sizeLine = try line()
                    guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                        throw Failure(description: "bad chunk size '\(sizeLine)'")
                    }
                    if size == 0 { _ = try line(); break }
                    body += try bytes(size)
                    _ = try line()
                }
            }
            return Reply(status: status, headers: headers, body: body)
        }
    }
}
