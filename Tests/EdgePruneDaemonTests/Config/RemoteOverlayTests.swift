import EdgePruneCore
@testable import EdgePruneDaemon
import Foundation
import XCTest

final class RemoteOverlayTests: XCTestCase {
    private var running: DaemonConfig!

    override func setUpWithError() throws {
        running = try ConfigTestKit.parse("""
            source: {udp: {port: 9000}}
            http: {token_file: /t}
            budgets: {latency_p95_ms: 5, power_w: 3.5, accuracy_floor: 0.9}
            controller: {hysteresis: 0.2, min_level: 0, max_level: 4}
            log: {level: info}

            """)
    }

    private func overlay(_ text: String) throws -> DaemonConfig {
        try running.applyingRemoteOverlay(Array(text.utf8), source: "PUT /config")
    }

    private func refused(_ text: String, _ parts: String..., file: StaticString = #filePath, line: UInt = #line) {
        let before = running
        do {
            _ = try overlay(text)
            XCTFail("overlay applied: \(text)", file: file, line: line)
        } catch let e as EdgePruneError {
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
            for part in parts { XCTAssertTrue(e.message.contains(part), "'\(e.message)' lacks '\(part)'", file: file, line: line) }
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
        XCTAssertEqual(running, before, "a refused overlay changed the running config", file: file, line: line)
    }

    func testAllowedSectionsMergeKeyByKey() throws {
        let updated = try overlay("budgets: {latency_p95_ms: 4}\ncontroller: {cooldown_seconds: 3}\nlog: {level: debug}\n")
        XCTAssertEqual(updated.budgets.latencyP95Ms, 4)
        XCTAssertEqual(updated.budgets.powerW, 3.5, "keys the overlay does not give are kept")
        XCTAssertEqual(updated.budgets.accuracyFloor, 0.9)
        XCTAssertEqual(updated.controller.cooldownSeconds, 3)
        XCTAssertEqual(updated.controller.hysteresis, 0.2)
        XCTAssertEqual(updated.controller.maxLevel, 4)
        XCTAssertEqual(updated.log.level, .debug)
        // Everything else is untouched.
        var expected = running!
        expected.budgets.latencyP95Ms = 4
        expected.controller.cooldownSeconds = 3
        expected.log.level = .debug
        XCTAssertEqual(updated, expected)
        // The running value itself is not changed by computing an overlay.
        XCTAssertEqual(running.budgets.latencyP95Ms, 5)
    }

    func testNullRemovesAnOptionalBudgetAndJSONWorks() throws {
        let updated = try overlay("{\"budgets\": {\"power_w\": null, \"priority\": \"budget-first\"}, \"controller\": {\"max_level\": null}}")
        XCTAssertNil(updated.budgets.powerW)
        XCTAssertEqual(updated.budgets.latencyP95Ms, 5)
        XCTAssertEqual(updated.budgets.priority, .budgetFirst)
        XCTAssertNil(updated.controller.maxLevel)
        XCTAssertEqual(try overlay("{}"), running, "an empty mapping changes nothing")
        XCTAssertEqual(try overlay("budgets:\n"), running, "an empty section changes nothing")
    }

    func testOtherSectionsCannotBeChangedRemotely() {
        refused("http: {port: 9999}\n", "config: key 'http' cannot be changed remotely", "(only budgets, controller, log)", "line 1")
        refused("budgets: {latency_p95_ms: 1}\nmqtt: {enabled: true}\n", "key 'mqtt' cannot be changed remotely", "line 2")
        for section in ["device", "model", "source", "window", "queue", "sinks", "state"] {
            refused("\(section): {}\n", "key '\(section)' cannot be changed remotely")
        }
        refused("budget: {latency_p95_ms: 1}\n", "unknown key 'budget'", "did you mean 'budgets'?")
        refused("budgets: {latency_p95_ms: 1, colour: red}\n", "unknown key 'budgets.colour'")
    }

    func testAnInvalidMergedResultLeavesTheConfigUntouched() {
        refused("budgets: {latency_p95_ms: -3}\n", "budgets.latency_p95_ms must be a number > 0, got -3 (line 1)")
        refused("controller: {min_level: 5}\n", "controller.max_level must be >= controller.min_level (5), got 4")
        refused("budgets: {latency_p95_ms: 3}\ncontroller: {hysteresis: 2}\n", "controller.hysteresis must be in [0, 1), got 2")
        refused("log: {level: loud}\n", "log.level must be one of")
    }

    func testMalformedOverlaysAreRefusedWithTheLine() {
        refused("budgets: {latency_p95_ms: 3\n", "config: line ", "PUT /config")
        refused("{\"budgets\": {\"latency_p95_ms\": 3},}\n}", "config: line ")
        refused("", "is empty")
        refused("[budgets]", "the document must be a mapping of keys, got a list")
        refused("budgets: {latency_p95_ms: 1}\nbudgets: {latency_p95_ms: 2}\n", "duplicate key 'budgets'")
        var oversized = Array("budgets: {latency_p95_ms: 1}\n#".utf8)
        oversized += [UInt8](repeating: UInt8(ascii: "x"), count: DaemonConfig.maxDocumentBytes)
        let before = running
        XCTAssertThrowsError(try running.applyingRemoteOverlay(oversized, source: "mqtt")) { error in
            XCTAssertTrue((error as? EdgePruneError)?.message.contains("a config document is at most 1048576 bytes") ?? false)
        }
        XCTAssertEqual(running, before)
    }

    func testOverlaysRespectTheRunningConfigsOtherSettings() throws {
        // The merged result is validated whole: a controller change is checked against the
        // running controller's other keys, not against defaults.
        XCTAssertNoThrow(try overlay("controller: {max_level: 2}\n"))
        let lowered = try overlay("controller: {max_level: 0}\n")
        XCTAssertEqual(lowered.controller.maxLevel, 0)
        XCTAssertThrowsError(try lowered.applyingRemoteOverlay(Array("controller: {min_level: 1}\n".utf8), source: "mqtt"))
    }
}
