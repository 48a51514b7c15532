import EdgePruneCore
import EdgePruneHTTP
import Foundation
import XCTest

final class BearerTokenTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-token-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func write(_ content: String, mode: Int, name: String = "token") throws -> String {
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(content.utf8))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    private func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch let e as EdgePruneError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    func testLoadsAPrivateFileAndStripsOneTrailingNewline() throws {
        let token = "0123456789abcdef-XYZ"
        for (content, mode) in [(token, 0o600), (token + "\n", 0o600), (token + "\r\n", 0o400)] {
            let path = try write(content, mode: mode)
            let loaded = try BearerToken.load(path: path)
            XCTAssertTrue(loaded.matches(Array(token.utf8)), content.debugDescription)
            try FileManager.default.removeItem(atPath: path)
        }
    }

    func testRefusesFilesGroupOrOthersCanAccess() throws {
        for mode in [0o644, 0o640, 0o604, 0o620, 0o660] {
            let path = try write("0123456789abcdef-XYZ\n", mode: mode, name: "t\(mode)")
            let m = message { try BearerToken.load(path: path) }
            XCTAssertTrue(m.contains("run chmod 600 \(path)"), "mode \(String(mode, radix: 8)): \(m)")
            XCTAssertTrue(m.contains(String(mode, radix: 8)), m)
        }
    }

    func testRefusesShortTokensAndTokensWithSpaces() throws {
        let short = try write("too-short\n", mode: 0o600, name: "short")
        let m = message { try BearerToken.load(path: short) }
        XCTAssertTrue(m.contains("9 characters") && m.contains("at least 16"), m)
        XCTAssertTrue(m.contains(short), m)
        // Exactly 16 is enough; 15 is not.
        XCTAssertNoThrow(try BearerToken(String(repeating: "a", count: 16)))
        XCTAssertThrowsError(try BearerToken(String(repeating: "a", count: 15)))

        let spaced = try write("0123456789 abcdef\n", mode: 0o600, name: "spaced")
        XCTAssertTrue(message { try BearerToken.load(path: spaced) }.contains("space"))
        let twoLines = try write("0123456789abcdef\n\n", mode: 0o600, name: "two")
        XCTAssertTrue(message { try BearerToken.load(path: twoLines) }.contains("control"))
    }

    func testMissingFilesAndDirectoriesAreErrorsNamingThePath() throws {
        let missing = dir + "/absent"
        XCTAssertTrue(message { try BearerToken.load(path: missing) }.contains(missing))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir)
        XCTAssertTrue(message { try BearerToken.load(path: self.dir) }.contains("not a regular file"))
    }
}
