import EdgePruneAdaptive
import EdgePruneCore
@testable import EdgePruneDaemon
import EdgePruneDevice
import Foundation
import XCTest

/// The config's units and names become the runtime's.
final class RuntimeMappingTests: XCTestCase {
    func testControllerConfigConvertsUnitsAndNames() throws {
        let c = try ConfigTestKit.parse(ConfigTestKit.minimal + """
            budgets: {latency_p95_ms: 4.5, energy_mj: 2, power_w: 3.5, accuracy_floor: 0.9, priority: budget-first}
            controller: {hysteresis: 0.15, cooldown_inferences: 20, cooldown_seconds: 0.5, min_level: 1, max_level: 3,
                         rollback_window_inferences: 100, rollback_block_seconds: 30, min_latency_samples: 10, min_feedback: 12}

            """)
        let cc = c.controllerConfig(denseAccuracy: 0.97)
        XCTAssertEqual(cc.latencyP95Budget!, 0.0045, accuracy: 1e-15)
        XCTAssertEqual(cc.energyBudget!, 0.002, accuracy: 1e-15)
        XCTAssertEqual(cc.powerBudget, 3.5)
        XCTAssertEqual(cc.accuracyFloor, 0.9)
        XCTAssertEqual(cc.denseAccuracy, 0.97)
        XCTAssertEqual(cc.priority, .budgetFirst)
        XCTAssertEqual(cc.hysteresisBand, 0.15)
        XCTAssertEqual(cc.cooldownInferences, 20)
        XCTAssertEqual(cc.cooldownSeconds, 0.5)
        XCTAssertEqual(cc.minLevel, 1)
        XCTAssertEqual(cc.maxLevel, 3)
        XCTAssertEqual(cc.rollbackWindowInferences, 100)
        XCTAssertEqual(cc.rollbackBlockSeconds, 30)
        XCTAssertEqual(cc.minLatencySamples, 10)
        XCTAssertEqual(cc.minFeedback, 12)
        // What the config does not set keeps the runtime's defaults.
        XCTAssertEqual(cc.switchTimeoutSeconds, ControllerConfig().switchTimeoutSeconds)
        XCTAssertEqual(cc.journalCapacity, ControllerConfig().journalCapacity)
        try cc.validate(topLevel: 3)

        // No budgets: none in the runtime either.
        let none = try ConfigTestKit.parse(ConfigTestKit.minimal).controllerConfig(denseAccuracy: nil)
        XCTAssertFalse(none.hasBudget)
        XCTAssertEqual(none, ControllerConfig())
    }

    func testRunnerOptionsCarryShadowAndLabelSettings() throws {
        let c = try ConfigTestKit.parse(ConfigTestKit.minimal + "controller: {shadow_fraction: 0.2, label_max_age_seconds: 15}\n")
        let r = c.runnerOptions(denseAccuracy: nil)
        XCTAssertEqual(r.shadowFraction, 0.2)
        XCTAssertEqual(r.labelMaxAge, 15)
        XCTAssertEqual(r.controller, c.controllerConfig(denseAccuracy: nil))
        let defaults = RunnerOptions(controller: ControllerConfig())
        XCTAssertEqual(r.latencyWindow, defaults.latencyWindow)
        XCTAssertEqual(r.pendingCapacity, defaults.pendingCapacity)
        try r.validate(topLevel: 5)
    }

    func testBoardDefaultsFillOnlyUnsetBudgets() throws {
        let yaml = ConfigTestKit.minimal + "budgets: {board_defaults: true, power_w: 2}\n"
        let c = try ConfigTestKit.parse(yaml)
        let cc = c.controllerConfig(denseAccuracy: nil, board: .pi5)
        XCTAssertEqual(cc.latencyP95Budget!, BoardProfile.pi5.defaultBudgets!.latencyP95Ms / 1000, accuracy: 1e-15)
        XCTAssertEqual(cc.powerBudget, 2, "a budget the config gives wins over the board's")
        // Without the flag, or without a board, nothing is filled in.
        XCTAssertNil(try ConfigTestKit.parse(ConfigTestKit.minimal).controllerConfig(denseAccuracy: nil, board: .pi5).latencyP95Budget)
        XCTAssertNil(c.controllerConfig(denseAccuracy: nil).latencyP95Budget)
    }

    func testBoardChoiceResolvesToAProfile() throws {
        let dir = ConfigTestKit.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = ConfigTestKit.write(dir, "model", "Raspberry Pi Zero 2 W Rev 1.0\u{0}")
        let none = dir + "/none"
        let auto = try ConfigTestKit.parse(ConfigTestKit.minimal)
        XCTAssertEqual(try auto.boardProfile(modelPath: model, cpuinfoPath: none).name, "zero2w")
        XCTAssertEqual(try auto.boardProfile(modelPath: none, cpuinfoPath: none).name, "x86_64-generic", "unknown boards fall back")

        let named = try ConfigTestKit.parse(ConfigTestKit.minimal + "device: {board: pi4}\n")
        XCTAssertEqual(try named.boardProfile(modelPath: model, cpuinfoPath: none), .pi4, "a named board is not detected")

        var custom = BoardProfile.pi4
        custom.name = "my-board"
        custom.cores = 2
        ConfigTestKit.write(dir, "my-board.json", String(data: try JSONEncoder().encode(custom), encoding: .utf8)!)
        let fromFile = try ConfigTestKit.parse(ConfigTestKit.minimal + "device: {board: my-board.json}\n",
                                               options: .init(checkFiles: true, hostname: "h", baseDirectory: dir))
        XCTAssertEqual(try fromFile.boardProfile(), custom)
        ConfigTestKit.write(dir, "my-board.json", "{\"name\": \"x\"}")
        XCTAssertThrowsError(try fromFile.boardProfile()) { error in
            let message = (error as? EdgePruneError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("config: device.board:"), message)
            XCTAssertTrue(message.contains("missing field"), message)
        }
    }

    func testTopicsClientIDAndNormalization() throws {
        let c = try ConfigTestKit.parse(ConfigTestKit.minimal + """
            device: {id: press-7}
            mqtt: {enabled: true, fleet_keys: [/k], topic_prefix: plant/edge}
            model: {normalization: model}

            """)
        XCTAssertEqual(c.mqttClientID, "edgeprune-press-7")
        XCTAssertEqual(c.topic(for: .init()), "plant/edge/devices/press-7/inference")
        XCTAssertEqual(c.topic(for: .init(topic: "site/{device}/out/{device}")), "site/press-7/out/press-7")
        let fromModel = try Normalization(mean: [1], std: [2])
        XCTAssertEqual(c.normalization(fromModel: fromModel), fromModel)
        XCTAssertNil(c.normalization(fromModel: nil))
        XCTAssertNil(try ConfigTestKit.parse(ConfigTestKit.minimal).normalization(fromModel: fromModel))
    }

    func testProgrammaticConfigsValidateLikeParsedOnes() throws {
        var c = DaemonConfig(source: .udp(.init(port: 9000)), http: .init(enabled: false))
        XCTAssertNoThrow(try c.validate())
        c.budgets.latencyP95Ms = -1
        XCTAssertThrowsError(try c.validate()) { error in
            XCTAssertEqual((error as? EdgePruneError)?.message, "config: budgets.latency_p95_ms must be a number > 0, got -1")
        }
    }
}
