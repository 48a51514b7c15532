import EdgePruneCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bound AF_UNIX datagram socket (a path, or an abstract name when `abstract`).
final class FakeSystemd: @unchecked Sendable {
    let fd: Int32
    let address: String
    private var path: String?

    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let name = "edgeprune-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8]
        if abstract {
            bytes = [0] + Array(name.utf8)
            address = "@" + name
        } else {
            let p = NSTemporaryDirectory() + name
            path = p
            bytes = Array(p.utf8)
            address = p
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else { throw EdgePruneError(.io, "bind failed: \(errno)") }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    func receive() -> String? {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }
}

extension FakeSystemd {
    /// Every message received until `timeout` passes with none.
    func drain(quiet timeout: Double = 0.3) -> [String] {
        var tv = timeval(tv_sec: 0, tv_usec: Int(timeout * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [String] = []
        while let m = receive() { out.append(m) }
        return out
    }
}
