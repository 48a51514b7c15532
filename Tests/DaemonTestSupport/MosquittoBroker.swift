import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real Mosquitto broker for one test: a temp directory with its config and log, a free
/// loopback port, the process started by `start()` and stopped (SIGTERM, then SIGKILL) by
/// `stop()` or deinit. Tests skip only when the binary is absent.
public final class MosquittoBroker {
    public static let binary = "/usr/sbin/mosquitto"

    public let directory: String
    public let port: Int
    private var process: Process?

    /// `persistence`: retained messages survive a restart (saved at SIGTERM), as on a real
    /// broker. `listenerOptions`: extra lines for the listener (TLS files).
    public init(persistence: Bool = false, allowAnonymous: Bool = true, listenerOptions: [String] = []) throws {
        try Self.skipUnlessInstalled()
        directory = try Self.makeTempDirectory()
        port = try Self.freeLoopbackPort()
        var lines = ["listener \(port) 127.0.0.1"] + listenerOptions + [
            "allow_anonymous \(allowAnonymous)",
            "persistence \(persistence)",
            "log_dest file \(directory)/mosquitto.log",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            "connection_messages true",
        ]
        if persistence { lines.append("persistence_location \(directory)/") }
        if geteuid() == 0 { lines.append("user root") }  // else mosquitto drops to a user that cannot write here
        try (lines.joined(separator: "\n") + "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var configPath: String { directory + "/mosquitto.conf" }

    /// The running broker's process id.
    public var pid: pid_t? { process?.processIdentifier }

    public static func skipUnlessInstalled() throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("mosquitto not installed: \(binary) is missing (apt-get install mosquitto)")
        }
    }

    /// Starts the broker and waits (up to 5 s) until its port accepts connections.
    public func start() throws {
        precondition(process == nil, "broker already running")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["-c", configPath]
        let errPath = directory + "/stderr.log"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let err = FileHandle(forWritingAtPath: errPath)
        p.standardOutput = err
        p.standardError = err
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if !p.isRunning {
                process = nil
                throw EdgeTestError("mosquitto exited at start (status \(p.terminationStatus)): \(logTail())")
            }
            if Self.canConnect(port: port) { return }
            usleep(10_000)
        }
        stop()
        throw EdgeTestError("mosquitto did not accept connections on 127.0.0.1:\(port) within 5 s: \(logTail())")
    }

    /// SIGTERM (mosquitto saves its persistence file), SIGKILL after 3 s.
    public func stop() {
        guard let p = process else { return }
        process = nil
        if p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(3)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }

    public func restart() throws {
        stop()
        try start()
    }

    /// The last lines of the broker's log and stderr, for failure messages.
    public func logTail(lines: Int = 15) -> String {
        let log = (try? String(contentsOfFile: directory + "/mosquitto.log", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: directory + "/stderr.log", encoding: .utf8)) ?? ""
        return (log + err).split(separator: "\n").suffix(lines).joined(separator: " | ")
    }

    public static func makeTempDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/edgeprune-mqtt-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw EdgeTestError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        return String(cString: p)
    }

    /// A port nobody listens on right now (bound to 0 and released).
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EdgeTestError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw EdgeTestError("bind: \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}

public struct EdgeTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
