import DaemonTestSupport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the real `edgeprune serve` binary for end-to-end tests: a scratch directory with a
/// token, a small ladder model and a config; start, wait until /healthz answers, SIGTERM or
/// SIGKILL, restart on the same state directory.
final class DaemonHarness: @unchecked Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var fixtures: URL { packageRoot.appendingPathComponent("Tests/Fixtures") }

    let dir: URL
    let token: String
    let httpPort: Int
    private(set) var process: Process?
    private var logIndex = 0

    var statePath: String { dir.appendingPathComponent("state").path }
    var configPath: String { dir.appendingPathComponent("config.yaml").path }
    var outputPath: String { dir.appendingPathComponent("inferences.jsonl").path }
    var client: TestHTTPClient { TestHTTPClient(port: httpPort) }
    var auth: [(String, String)] { [("Authorization", "Bearer \(token)")] }

    /// The edgeprune binary next to the test bundle or in the package's .build/debug.
    static func binary() throws -> URL {
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("edgeprune"),
                          packageRoot.appendingPathComponent(".build/debug/edgeprune")]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw XCTSkip("edgeprune binary not found (looked at \(candidates.map(\.path))); build it with swift build --build-tests")
    }

    /// A ladder model made once per test run from the bundled 64-input digits MLP
    /// (`edgeprune prune`, levels 0.5 and 0.8), and a second one (levels 0.3, 0.6) for model uploads.
    static func ladderModel(_ ladder: String) throws -> URL {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-e2e-\(getpid())-mlp-\(ladder.replacingOccurrences(of: ",", with: "_")).epm")
        if FileManager.default.fileExists(atPath: out.path) { return out }
        let digits = fixtures.appendingPathComponent("digits")
        let r = try run(binary(), ["prune", fixtures.appendingPathComponent("models/digits_mlp.onnx").path, "--ladder", ladder,
                                   "--calib", digits.appendingPathComponent("calib_x_mlp.npy").path,
                                   "--labels", digits.appendingPathComponent("calib_y.npy").path, "-o", out.path])
        guard r == 0 else { throw XCTSkip("could not make the ladder model (edgeprune prune exited \(r))") }
        return out
    }

    init(tag: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-\(tag)-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        token = (0..<32).map { _ in "abcdefghijkmnpqrstuvwxyz23456789".randomElement()! }.map(String.init).joined()
        let tokenPath = dir.appendingPathComponent("token").path
        FileManager.default.createFile(atPath: tokenPath, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        httpPort = try Self.freePort()
    }

    deinit {
        kill9()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Writes the config: replay of the digits test inputs at `rate`, a file sink, HTTP on a free
    /// port, `extra` YAML appended (mqtt, budgets ...).
    func writeConfig(model: URL, rate: Double = 200, persistSeconds: Double = 1, extra: String = "") throws {
        let yaml = """
            device: {id: e2e-01, groups: [lab]}
            model: {path: "\(model.path)"}
            source: {replay: {path: "\(Self.fixtures.appendingPathComponent("digits/test_x_mlp.npy").path)", rate: \(rate), loop: true}}
            sinks:
              - {type: file, path: "\(outputPath)", max_bytes: 1048576, keep: 1}
            http: {enabled: true, port: \(httpPort), token_file: "\(dir.appendingPathComponent("token").path)", max_body_bytes: 4096, max_model_bytes: 4194304}
            state: {directory: "\(statePath)", persist_interval_seconds: \(persistSeconds)}
            log: {level: info}
            \(extra)
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and waits (up to `timeout` s) until /healthz says ok.
    func start(timeout: Double = 20, environment: [String: String] = [:]) async throws {
        let p = Process()
        p.executableURL = try Self.binary()
        p.arguments = ["serve", "--config", configPath]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        logIndex += 1
        let log = dir.appendingPathComponent("daemon-\(logIndex).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !p.isRunning { throw Failure("the daemon exited with \(p.terminationStatus) at start: \(logTail())") }
            if let r = try? await client.send("GET", "/healthz"), r.status == 200 { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw Failure("the daemon did not become healthy within \(timeout) s: \(logTail())")
    }

    /// SIGTERM; waits for the exit and returns its status (nil when it did not exit in time).
    func terminate(timeout: Double = 15) -> Int32? {
        guard let p = process, p.isRunning else { return process?.terminationStatus }
        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { return nil }
        process = nil
        return p.terminationReason == .exit ? p.terminationStatus : -p.terminationStatus
    }

    func kill9() {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// The last lines of the newest daemon log.
    func logTail(lines: Int = 20) -> String {
        let log = dir.appendingPathComponent("daemon-\(logIndex).log")
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    func status() async throws -> [String: Any] {
        let r = try await client.send("GET", "/status", headers: auth)
        guard r.status == 200, let json = r.json else { throw Failure("GET /status: \(r.status) \(r.text)") }
        return json
    }

    /// Polls `condition` every 20 ms up to `timeout` s.
    static func eventually(_ timeout: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try await condition() { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        } while Date() < deadline
        return false
    }

    static func run(_ binary: URL, _ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Failure("cannot find a free port: \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}
