import EdgePruneAdaptive
import EdgePruneCore
@testable import EdgePruneDaemon
import EdgePruneDevice
import Foundation
import XCTest

/// Every example in boards/ parses and says what its comments say.
final class BoardExampleConfigTests: XCTestCase {
    private let examples = ["pi4", "pi5", "zero2w", "x86_64-generic"]

    private func load(_ name: String, checkFiles: Bool = false) throws -> DaemonConfig {
        try DaemonConfig.load(path: ConfigTestKit.repoPath("boards/\(name).yaml"), environment: [:],
                              options: .init(checkFiles: checkFiles, hostname: "test-host"))
    }

    func testEveryBoardHasAnExampleAndEveryExampleParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ConfigTestKit.repoPath("boards"))
        XCTAssertEqual(Set(files.filter { $0.hasSuffix(".yaml") }), Set(examples.map { $0 + ".yaml" }))
        for name in examples {
            let config = try load(name)
            XCTAssertEqual(config.device.board, .builtIn(name), name)
            XCTAssertEqual(try config.boardProfile().name, name)
            // What the runtime will be given must pass the runtime's own checks.
            let board = try config.boardProfile()
            try config.runnerOptions(denseAccuracy: 0.95, board: board).validate(topLevel: 10)
        }
    }

    func testX86ExampleReplaysTheDigitsFixtureRelativeToTheFile() throws {
        let config = try load("x86_64-generic")
        guard case .replay(let replay) = config.source else { return XCTFail("not a replay source: \(config.source)") }
        XCTAssertEqual(replay.format, .npy)
        XCTAssertEqual(replay.rate, 200)
        XCTAssertTrue(replay.loop)
        XCTAssertTrue(replay.path.hasPrefix("/"), "relative path not resolved: \(replay.path)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: replay.path), replay.path)
        // The fixture has 64 values per sample: the window is one sample of the 64-input MLP.
        let values = try ReplaySource.npy(replay.path, rate: nil).channelCount
        XCTAssertEqual(values.map { $0 * config.window.size }, 64)
        XCTAssertEqual(config.sinks, [.stdout, .file(.init(path: "/var/log/edgeprune/inferences.jsonl"))])
        // With file checks on, the token file of a fresh machine is what is missing.
        let e = edgeErrorOf { _ = try self.load("x86_64-generic", checkFiles: true) }
        XCTAssertTrue(e?.message.contains("http.token_file '/etc/edgeprune/token'") ?? false, e?.message ?? "")
    }

    func testPiExamplesUseTheirBoardsHardware() throws {
        let pi4 = try load("pi4")
        guard case .gpio(let gpio) = pi4.source else { return XCTFail("pi4 example is not a GPIO source") }
        XCTAssertEqual(gpio.chip, "gpiochip0")
        XCTAssertEqual(gpio.lines, [.offset(17), .offset(27)])
        XCTAssertEqual(gpio.trigger, .init(lines: [.offset(22)], edge: .rising))
        XCTAssertEqual(gpio.flags, .pullDown)
        XCTAssertTrue(pi4.mqtt.enabled)
        XCTAssertEqual(pi4.topic(for: .init(topic: "edgeprune/{device}/inference")), "edgeprune/pi4-pump-03/inference")
        // board_defaults: the Pi 4 profile's budgets, in SI units.
        let c = pi4.controllerConfig(denseAccuracy: nil, board: try pi4.boardProfile())
        XCTAssertEqual(c.latencyP95Budget!, 0.010, accuracy: 1e-12)
        XCTAssertEqual(c.powerBudget, 4.5)
        XCTAssertEqual(c.accuracyFloor, 0.92)

        let pi5 = try load("pi5")
        guard case .iio(let iio) = pi5.source else { return XCTFail("pi5 example is not an IIO source") }
        XCTAssertEqual(iio.channels, ["accel_x", "accel_y", "accel_z"])
        XCTAssertFalse(iio.buffered)
        XCTAssertEqual(iio.interval, 0.01, accuracy: 1e-12)
        XCTAssertEqual(pi5.window.layout, .channelMajor)
        XCTAssertEqual(pi5.sinks.last, .gpio(.init(chip: "gpiochip0", line: .name("GPIO23"), onClasses: [2], on: 0)))
        guard case .explicit(let n) = pi5.model.normalization else { return XCTFail("pi5 normalization") }
        XCTAssertNoThrow(try n.check(channels: 3))

        let zero = try load("zero2w")
        guard case .iio(let adc) = zero.source else { return XCTFail("zero2w example is not an IIO source") }
        XCTAssertTrue(adc.buffered)
        XCTAssertEqual(adc.bufferLength, 64)
        XCTAssertEqual(zero.queue.policy, .dropNewest)
        let z = zero.controllerConfig(denseAccuracy: nil, board: .zero2w)
        XCTAssertEqual(z.latencyP95Budget!, 0.020, accuracy: 1e-12)
        XCTAssertEqual(z.powerBudget, 1.3)
        XCTAssertEqual(z.energyBudget!, 0.005, accuracy: 1e-12)
    }

    /// The commented alternatives in the examples are valid too.
    func testCommentedAlternativesParse() throws {
        for name in examples {
            let text = try String(contentsOfFile: ConfigTestKit.repoPath("boards/\(name).yaml"), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (i, line) in lines.enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("#   gpio:") || trimmed.hasPrefix("#   iio:") else { continue }
                // Swap the source for the commented one (kept at its indentation under source:).
                let alternative = String(trimmed.dropFirst(4))
                var doc = lines
                let sourceLine = doc.firstIndex(of: "source:")!
                var end = sourceLine + 1
                while end < doc.count, doc[end].hasPrefix(" ") || doc[end].isEmpty { end += 1 }
                doc.replaceSubrange(sourceLine..<end, with: ["source:", "  " + alternative, ""])
                let joined = doc.joined(separator: "\n")
                XCTAssertNoThrow(try DaemonConfig.parse(Array(joined.utf8), source: "\(name).yaml line \(i + 1)", environment: [:],
                                                        options: .init(checkFiles: false, hostname: "h")),
                                 "\(name).yaml line \(i + 1): \(alternative)")
            }
        }
    }

    func testSystemdUnitHasTheRequiredSettings() throws {
        let unit = try String(contentsOfFile: ConfigTestKit.repoPath("boards/edgeprune.service"), encoding: .utf8)
        let settings = Set(unit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") })
        for required in ["Type=notify", "WatchdogSec=30", "NotifyAccess=main", "Restart=on-failure", "User=edgeprune",
                         "StateDirectory=edgeprune", "ProtectSystem=strict", "ReadWritePaths=/var/lib/edgeprune",
                         "NoNewPrivileges=yes", "PrivateTmp=yes", "SupplementaryGroups=gpio",
                         "ExecStart=/usr/local/bin/edgeprune serve --config /etc/edgeprune/config.yaml"] {
            XCTAssertTrue(settings.contains(required), "edgeprune.service lacks \(required)")
        }
    }

    private func edgeErrorOf(_ body: () throws -> Void) -> EdgePruneError? {
        do { try body() } catch let e as EdgePruneError { return e } catch { XCTFail("\(error)") }
        XCTFail("did not throw")
        return nil
    }
}
