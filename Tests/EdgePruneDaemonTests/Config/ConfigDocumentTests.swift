import EdgePruneCore
@testable import EdgePruneDaemon
import Foundation
import XCTest

/// What is refused before the schema is even looked at: size, encoding, syntax, shape.
final class ConfigDocumentTests: XCTestCase {
    private func refusal(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> EdgePruneError? {
        do {
            _ = try DaemonConfig.parse(bytes, source: "doc.yaml", environment: [:], options: ConfigTestKit.options)
            XCTFail("parsed", file: file, line: line)
        } catch let e as EdgePruneError {
            XCTAssertFalse(e.description.contains("\n"), "not one line: \(e)", file: file, line: line)
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
        return nil
    }

    private func assertRefused(_ text: String, _ parts: String..., file: StaticString = #filePath, line: UInt = #line) {
        let e = refusal(Array(text.utf8), file: file, line: line)
        for part in parts {
            XCTAssertTrue(e?.message.contains(part) ?? false, "'\(e?.message ?? "")' lacks '\(part)'", file: file, line: line)
        }
    }

    func testMalformedYAMLNamesTheLine() {
        // An over-indented key on line 4.
        assertRefused("source:\n  stdin: {}\nhttp:\n    enabled: false\n  port: 80\n", "config: line 5:", "doc.yaml")
        // A mapping value where none is allowed.
        assertRefused("source: {stdin: {}}\nlog: level: info\n", "config: line 2:", "mapping values are not allowed")
        // An unterminated quoted string.
        assertRefused("source: {stdin: {}}\ndevice:\n  id: \"abc\n", "config: line ")
        // A tab used for indentation.
        assertRefused("source:\n\tstdin: {}\n", "config: line 2:")
    }

    func testMalformedJSONNamesTheLine() {
        let json = """
            {
              "source": {"stdin": {}},
              "http": {"enabled": false,
              "log": {"level": "info"}
            }
            """
        // The missing brace of "http" is found where the document ends.
        assertRefused(json, "config: line ", "did not find expected")
        assertRefused("{\"source\": {\"stdin\": {}}, \"http\": {\"enabled\": false}]\n", "config: line 1:")
        assertRefused("{\"source\": {\"stdin\": {}},\n \"http\": {\"enabled\" false}}\n", "config: line 2:")
    }

    func testWellFormedJSONIsAccepted() throws {
        let json = """
            {
            \t"device": {"id": "json-box", "groups": ["a", "b"]},
            \t"source": {"udp": {"port": 9000, "payload": "f32le", "channels": 3}},
            \t"budgets": {"latency_p95_ms": 2.5, "accuracy_floor": null},
            \t"http": {"enabled": false}
            }
            """
        let config = try ConfigTestKit.parse(json)
        XCTAssertEqual(config.device.id, "json-box")
        XCTAssertEqual(config.device.groups, ["a", "b"])
        XCTAssertEqual(config.source, .udp(.init(port: 9000, payload: .float32LE, channels: 3)))
        XCTAssertEqual(config.budgets.latencyP95Ms, 2.5)
        XCTAssertNil(config.budgets.accuracyFloor)
    }

    func testEmptyAndCommentOnlyDocumentsAreRefused() {
        assertRefused("", "config: doc.yaml is empty")
        assertRefused("  \n\n", "is empty")
        assertRefused("# just a comment\n# another\n", "is empty")
        assertRefused("---\n", "config: ")
    }

    func testRootMustBeAMapping() {
        assertRefused("- source\n- http\n", "the document must be a mapping of sections", "got a list")
        assertRefused("hello\n", "the document must be a mapping", "got 'hello'")
        assertRefused("[1, 2]", "got a list")
        assertRefused("42", "got 42")
    }

    func testDuplicateKeysAreRefusedWithTheirLine() {
        assertRefused("source: {stdin: {}}\nhttp:\n  enabled: false\n  port: 80\n  port: 81\n", "duplicate key 'port'", "line 4")
        assertRefused("source: {stdin: {}}\nhttp: {enabled: false}\nhttp: {port: 1}\n", "duplicate key 'http'", "line 2")
        // Keys that differ only in being quoted are the same key.
        assertRefused("source: {stdin: {}}\nhttp: {enabled: false}\nlog: {level: info, \"level\": debug}\n", "duplicate key 'level'")
        assertRefused("{\"source\": {\"stdin\": {}}, \"source\": {\"stdin\": {}}}", "duplicate key 'source'")
    }

    func testMoreThanOneDocumentIsRefused() {
        assertRefused(ConfigTestKit.minimal + "---\n" + ConfigTestKit.minimal, "config: line 3:", "second YAML document")
    }

    func testSizeLimitIsOneMebibyte() throws {
        // Just under the limit parses (a long comment), one byte over does not.
        let body = ConfigTestKit.minimal + "#"
        let filler = String(repeating: "x", count: DaemonConfig.maxDocumentBytes - body.utf8.count - 1) + "\n"
        XCTAssertEqual((body + filler).utf8.count, DaemonConfig.maxDocumentBytes)
        XCTAssertNoThrow(try ConfigTestKit.parse(body + filler))
        let e = refusal(Array((body + "x" + filler).utf8))
        XCTAssertTrue(e?.message.contains("has 1048577 bytes; a config document is at most 1048576 bytes") ?? false, e?.message ?? "")

        // load(path:) refuses the oversized file before reading it.
        let dir = ConfigTestKit.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = ConfigTestKit.write(dir, "big.yaml", body + "x" + filler)
        do {
            _ = try DaemonConfig.load(path: path, environment: [:], options: ConfigTestKit.options)
            XCTFail("loaded")
        } catch let e as EdgePruneError {
            XCTAssertTrue(e.message.hasPrefix("config: "), e.message)
            XCTAssertTrue(e.message.contains("big.yaml"), e.message)
        }
        let missing = dir + "/absent.yaml"
        XCTAssertThrowsError(try DaemonConfig.load(path: missing, environment: [:])) { error in
            XCTAssertEqual((error as? EdgePruneError)?.kind, .io)
            XCTAssertTrue((error as? EdgePruneError)?.message.contains("absent.yaml") ?? false)
        }
    }

    func testNonUTF8IsRefusedWithItsLine() {
        var bytes = Array((ConfigTestKit.minimal + "device: {id: ab").utf8)
        bytes.append(0xFF)
        bytes += Array("}\n".utf8)
        let e = refusal(bytes)
        XCTAssertTrue(e?.message.contains("config: line 3: not UTF-8") ?? false, e?.message ?? "")
        XCTAssertTrue(e?.message.contains("0xff") ?? false, e?.message ?? "")
        // Overlong encodings and lone surrogates are not UTF-8 either.
        XCTAssertEqual(ConfigDocument.firstInvalidUTF8([0x41, 0xC0, 0x80]), 1)
        XCTAssertEqual(ConfigDocument.firstInvalidUTF8([0xED, 0xA0, 0x80]), 0)
        XCTAssertEqual(ConfigDocument.firstInvalidUTF8([0xE2, 0x82]), 0)
        XCTAssertNil(ConfigDocument.firstInvalidUTF8(Array("grüße – 温度 🌡".utf8)))
        // UTF-8 text outside ASCII is fine in values.
        XCTAssertNoThrow(try ConfigTestKit.parse(ConfigTestKit.minimal + "# Küche\nmodel: {path: /var/lib/modèle.epm}\n"))
    }

    func testDeepNestingIsRefusedWithoutOverflowingTheStack() {
        // Deeper than any key (33 levels): refused by the config reader.
        let nested = "source: {stdin: {}}\nx: " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n"
        assertRefused(nested, "config: line 2: nested more than 32 levels deep")
        // 10 000 levels: libyaml stops at 1000, after Yams has recursed that deep on the
        // reader's own thread.
        let deep = "source: {stdin: {}}\nx: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        assertRefused(deep, "config: line 2: nested more than 1000 levels deep")
        let blocks = "source: {stdin: {}}\nx:\n" + (1...1200).map { String(repeating: " ", count: $0) + "- \n" }.joined()
        assertRefused(blocks, "nested more than")
        // The same from threads with small stacks (an HTTP handler's, say): 999 levels is
        // within libyaml's limit, so Yams builds the whole tree; refused, not crashed.
        let limit = "source: {stdin: {}}\nx: " + String(repeating: "[", count: 998) + String(repeating: "]", count: 998) + "\n"
        for doc in [deep, limit] {
            let done = expectation(description: "parsed on a small stack")
            let thread = Thread {
                do {
                    _ = try ConfigTestKit.parse(doc)
                    XCTFail("parsed a deep document")
                } catch {
                    XCTAssertTrue("\(error)".contains("nested more than"), "\(error)")
                }
                done.fulfill()
            }
            thread.stackSize = 128 << 10
            thread.start()
            wait(for: [done], timeout: 60)
        }
    }

    func testAliasExpansionIsBounded() {
        // Each level repeats the previous one 9 times: 9^8 (43 million) values once expanded.
        var doc = "source: {stdin: {}}\nhttp: {enabled: false}\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for i in 1...8 {
            let refs = Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ")
            doc += "a\(i): &a\(i) [\(refs)]\n"
        }
        assertRefused(doc, "expands to more than")
        // Aliases that expand to little are fine (and the keys are then refused as unknown).
        assertRefused("source: {stdin: {}}\nhttp: {enabled: false}\ndevice: &d {id: box}\nmodel: *d\n", "unknown key 'model.id'")
    }

    func testMappingKeysMustBeStrings() {
        assertRefused("source: {stdin: {}}\n? [a, b]\n: 1\n", "a mapping key must be a plain string")
    }

}
