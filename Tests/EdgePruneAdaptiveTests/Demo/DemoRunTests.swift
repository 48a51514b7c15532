import Foundation
import XCTest
import EdgePruneCore
import EdgePruneDevice
@testable import EdgePruneAdaptive

final class DemoRunTests: XCTestCase {
    typealias Kit = SwitchingTestKit

    /// The busy threads really run between start and stop, and stop joins them.
    func testBackgroundLoadStartsAndStops() throws {
        let load = try BackgroundLoad(threads: 2, bufferFloats: 1 << 16)
        XCTAssertFalse(load.isRunning)
        try load.start()
        XCTAssertTrue(load.isRunning)
        let deadline = Date().addingTimeInterval(10)
        while load.passes < 10 && Date() < deadline { usleep(1000) }
        XCTAssertGreaterThanOrEqual(load.passes, 10)
        load.stop()
        XCTAssertFalse(load.isRunning)
        let after = load.passes
        usleep(20_000)
        XCTAssertEqual(load.passes, after, "no pass completes after stop() returned")
        try load.start()  // restartable
        load.stop()
        Kit.assertThrows("thread count must be >= 0") { _ = try BackgroundLoad(threads: -1) }
    }

    func testScriptValidationNamesTheField() {
        Kit.assertThrows("the load phase must be >= 0") { try DemoScript(load: -1).validate() }
        Kit.assertThrows("runs no inference") { try DemoScript(before: 0, load: 0, after: 0).validate() }
        Kit.assertThrows("label fraction must be in 0...1") { try DemoScript(labelFraction: 1.5).validate() }
        Kit.assertThrows("rate must be >= 0") { try DemoScript(rate: .nan).validate() }
    }

    /// A short real run: calibration covers every level, the trace covers the script, labels are
    /// matched, decisions line up with their indices, the figures cover the load phase.
    func testShortRunProducesCalibrationTraceAndFigures() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g, options: AdaptiveModel.Options(measureAllLevelsAtLoad: true))
        let split = try MonDigits.testSplit()
        let rows = Array(split.rows.prefix(100)), labels = Array(split.labels.prefix(100))
        let levels = try Demo.calibrate(model, inputs: rows, labels: labels, runs: 20)
        XCTAssertEqual(levels.map(\.level), [0, 1, 2, 3])
        XCTAssertEqual(model.activeLevel, 0)
        for l in levels {
            XCTAssertGreaterThan(l.p95Ms, 0)
            XCTAssertLessThanOrEqual(l.p50Ms, l.p95Ms)
            XCTAssertGreaterThan(l.accuracy, 0.5, "level \(l.level) of the digits MLP")
        }
        let config = ControllerConfig(latencyP95Budget: levels[0].p95Ms * 1.5 / 1000, accuracyFloor: levels[0].accuracy - 0.03,
                                      cooldownInferences: 20, cooldownSeconds: 0)
        let runner = try AdaptiveRunner(model: model, options: RunnerOptions(controller: config), board: .x86_64Generic,
                                        profiles: Demo.profiles(levels))
        let script = DemoScript(before: 50, load: 100, after: 100, rate: 1000, busyThreads: 1, labelFraction: 0.5, labelDelay: 5, stride: 10)
        var progressCalls = 0
        let r = try Demo.run(runner, inputs: rows, labels: labels, levels: levels, script: script) { _ in progressCalls += 1 }
        XCTAssertGreaterThanOrEqual(progressCalls, 1)
        XCTAssertEqual(r.steps.first?.inference, 0)
        XCTAssertEqual(r.steps.last?.inference, 249)
        XCTAssertEqual(r.decisions.count, r.decisionIndices.count)
        XCTAssertEqual(r.figures.loadResponses.count, 1)
        XCTAssertEqual(r.figures.loadResponses[0].start, 50)
        XCTAssertEqual(r.figures.loadResponses[0].end, 150)
        XCTAssertGreaterThan(r.counters["accuracy.matched"] ?? 0, 80, "about half of 250 labels, 5 inferences late")
        XCTAssertEqual(r.counters["accuracy.notes"], 250)
        XCTAssertGreaterThan(r.busyPasses, 0)
        // The trace marks the load phase.
        XCTAssertTrue(r.steps.contains { $0.load > 0 && (50..<150).contains($0.inference) })
        XCTAssertFalse(r.steps.contains { $0.load > 0 && $0.inference < 50 })
    }
}
