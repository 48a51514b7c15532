import DaemonTestSupport
import Foundation
import XCTest

/// A throw-away certificate authority made with the openssl command line (EC P-256 keys, valid
/// two days), for TLS tests against a real broker.
final class TestPKI {
    static let openssl = ["/usr/bin/openssl", "/bin/openssl", "/usr/local/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Pair {
        let cert: String
        let key: String
    }

    let directory: String

    init() throws {
        guard Self.openssl != nil else { throw XCTSkip("openssl not installed: the TLS tests make their certificates with it") }
        directory = try MosquittoBroker.makeTempDirectory()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func certificateAuthority(_ name: String) throws -> Pair {
        let p = Pair(cert: "\(directory)/\(name).crt", key: "\(directory)/\(name).key")
        try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", p.key, "-out", p.cert, "-subj", "/CN=\(name)", "-days", "2"])
        return p
    }

    /// A certificate signed by `ca`; `subjectAltName` like `IP:127.0.0.1` or `DNS:other.example`.
    func issue(_ name: String, subjectAltName: String, by ca: Pair) throws -> Pair {
        let p = Pair(cert: "\(directory)/\(name).crt", key: "\(directory)/\(name).key")
        let csr = "\(directory)/\(name).csr", ext = "\(directory)/\(name).ext"
        try "subjectAltName=\(subjectAltName)\n".write(toFile: ext, atomically: true, encoding: .utf8)
        try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", p.key, "-out", csr, "-subj", "/CN=\(name)"])
        try run(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
                 "-out", p.cert, "-days", "2", "-extfile", ext])
        return p
    }

    private func run(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.openssl!)
        p.arguments = args
        let errPipe = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = errPipe
        try p.run()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw EdgeTestError("openssl \(args.first ?? "") failed: \(String(decoding: err, as: UTF8.self))")
        }
    }
}
