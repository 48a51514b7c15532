import EdgePruneCore
@testable import EdgePruneDaemon
import Foundation
import XCTest

/// Helpers shared by the config tests.
enum ConfigTestKit {
    /// The smallest valid document: a source and no HTTP API (which would need a token file).
    static let minimal = """
        source: {stdin: {}}
        http: {enabled: false}

        """

    static let options = DaemonConfig.ParseOptions(checkFiles: false, hostname: "test-host")

    static func parse(_ yaml: String, environment: [String: String] = [:],
                      options: DaemonConfig.ParseOptions = options) throws -> DaemonConfig {
        try DaemonConfig.parse(Array(yaml.utf8), source: "test.yaml", environment: environment, options: options)
    }

    /// The error parsing `yaml` throws; fails the test when it parses.
    static func error(_ yaml: String, environment: [String: String] = [:],
                      options: DaemonConfig.ParseOptions = options,
                      file: StaticString = #filePath, line: UInt = #line) -> EdgePruneError? {
        do {
            _ = try parse(yaml, environment: environment, options: options)
            XCTFail("parsed, but should have been refused:\n\(yaml)", file: file, line: line)
        } catch let e as EdgePruneError {
            XCTAssertFalse(e.description.contains("\n"), "error is not one line: \(e)", file: file, line: line)
            XCTAssertTrue(e.message.hasPrefix("config: "), "error does not start with 'config: ': \(e)", file: file, line: line)
            return e
        } catch {
            XCTFail("threw \(error), not an EdgePruneError", file: file, line: line)
        }
        return nil
    }

    /// Asserts that `yaml` is refused with a message containing every one of `parts`.
    static func assertRefused(_ yaml: String, _ parts: String..., environment: [String: String] = [:],
                              file: StaticString = #filePath, line: UInt = #line) {
        guard let e = error(yaml, environment: environment, file: file, line: line) else { return }
        for part in parts {
            XCTAssertTrue(e.message.contains(part), "'\(e.message)' does not contain '\(part)'", file: file, line: line)
        }
    }

    static func repoPath(_ relative: String) -> String {
        "\(#filePath)".components(separatedBy: "/Tests/").first! + "/" + relative
    }

    /// A fresh temporary directory, removed by the caller's `tearDown` through `remove`.
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-config-\(getpid())-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @discardableResult
    static func write(_ dir: String, _ name: String, _ text: String, mode: Int = 0o644) -> String {
        let path = dir + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        return path
    }
}
