import EdgePruneCore
@testable import EdgePruneDaemon
import XCTest

/// `recovery:` is off by default, reads every key, and refuses bad values naming the key.
final class RecoveryConfigTests: XCTestCase {
    private let minimal = ConfigTestKit.minimal

    func testOffByDefaultAndEveryKeyIsRead() throws {
        let defaults = try ConfigTestKit.parse(minimal)
        XCTAssertFalse(defaults.recovery.enabled)
        XCTAssertEqual(defaults.recovery, DaemonConfig.Recovery())
        XCTAssertEqual(defaults.recovery.effectiveLearningRate, 1e-3)

        let c = try ConfigTestKit.parse(minimal + """
            recovery:
              enabled: true
              window_capacity: 256
              max_samples: 500
              min_samples: 100
              min_new_samples: 20
              validation_fraction: 0.3
              epochs: 4
              batch_size: 16
              optimizer: sgd
              learning_rate: 0.02
              momentum: 0.8
              weight_decay: 0.0001
              cooldown_seconds: 60
              max_training_seconds: 30
              nice: 15
              significance: 0.1
            """)
        XCTAssertEqual(c.recovery, DaemonConfig.Recovery(
            enabled: true, windowCapacity: 256, maxSamples: 500, minSamples: 100, minNewSamples: 20, validationFraction: 0.3,
            epochs: 4, batchSize: 16, optimizer: .sgd, learningRate: 0.02, momentum: 0.8, weightDecay: 0.0001, cooldownSeconds: 60,
            maxTrainingSeconds: 30, nice: 15, significance: 0.1))
        XCTAssertEqual(try ConfigTestKit.parse(minimal + "recovery: {optimizer: sgd}\n").recovery.effectiveLearningRate, 1e-2)
        let env = try ConfigTestKit.parse(minimal, environment: ["EDGEPRUNE__RECOVERY__ENABLED": "true"])
        XCTAssertTrue(env.recovery.enabled)
    }

    func testBadValuesAreRefusedWithTheirKey() {
        let cases: [(String, [String])] = [
            ("window_capacity: 0", ["recovery.window_capacity", "got 0"]),
            ("max_samples: 1", ["recovery.max_samples"]),
            ("min_samples: 5000", ["recovery.min_samples", "recovery.max_samples (2000)", "got 5000"]),
            ("min_samples: 1", ["recovery.min_samples"]),
            ("min_new_samples: 0", ["recovery.min_new_samples"]),
            ("validation_fraction: 1", ["recovery.validation_fraction", "(0, 1)"]),
            ("validation_fraction: 0", ["recovery.validation_fraction"]),
            ("epochs: 0", ["recovery.epochs"]),
            ("batch_size: 0", ["recovery.batch_size"]),
            ("optimizer: lbfgs", ["recovery.optimizer"]),
            ("learning_rate: -1", ["recovery.learning_rate"]),
            ("learning_rate: 0", ["recovery.learning_rate"]),
            ("momentum: 1", ["recovery.momentum"]),
            ("weight_decay: -0.1", ["recovery.weight_decay"]),
            ("cooldown_seconds: -1", ["recovery.cooldown_seconds"]),
            ("max_training_seconds: 0", ["recovery.max_training_seconds"]),
            ("nice: 20", ["recovery.nice", "0...19"]),
            ("nice: -5", ["recovery.nice"]),
            ("significance: 0", ["recovery.significance"]),
            ("enabled: yes", ["recovery.enabled"]),
            ("epoch: 3", ["recovery.epoch"]),
        ]
        for (entry, parts) in cases {
            guard let e = ConfigTestKit.error(minimal + "recovery:\n  \(entry)\n") else { continue }
            for part in parts { XCTAssertTrue(e.message.contains(part), "\(entry): '\(e.message)' does not contain '\(part)'") }
        }
    }

    func testRemoteOverlaysCannotChangeIt() throws {
        let c = try ConfigTestKit.parse(minimal)
        XCTAssertThrowsError(try c.applyingRemoteOverlay(Array("recovery: {enabled: true}\n".utf8), source: "test")) {
            XCTAssertTrue("\($0)".contains("recovery"), "\($0)")
        }
    }
}

extension RecoveryConfigTests {
    func testBoardExamplesShowRecoveryDisabled() throws {
        for name in ["pi4", "pi5", "zero2w", "x86_64-generic"] {
            let c = try DaemonConfig.load(path: ConfigTestKit.repoPath("boards/\(name).yaml"), environment: [:],
                                          options: .init(checkFiles: false, hostname: "test-host"))
            XCTAssertFalse(c.recovery.enabled, name)
            XCTAssertNotEqual(c.recovery, DaemonConfig.Recovery(), "\(name) shows the keys")
        }
    }
}
