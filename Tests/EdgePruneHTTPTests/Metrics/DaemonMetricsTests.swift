import EdgePruneHTTP
import Foundation
import XCTest

final class DaemonMetricsTests: XCTestCase {
    func testEveryMetricIsExposedWithHelpAndType() throws {
        let metrics = DaemonMetrics()
        let parsed = try PrometheusText.parse(metrics.text())
        let expected: [(String, String)] = [
            (DaemonMetrics.Name.inferenceLatency, "histogram"),
            (DaemonMetrics.Name.level, "gauge"), (DaemonMetrics.Name.sparsity, "gauge"),
            (DaemonMetrics.Name.energyPerInference, "gauge"), (DaemonMetrics.Name.power, "gauge"),
            (DaemonMetrics.Name.accuracy, "gauge"),
            (DaemonMetrics.Name.levelSwitches, "counter"), (DaemonMetrics.Name.feedbackLabels, "counter"),
            (DaemonMetrics.Name.configVersion, "gauge"), (DaemonMetrics.Name.queueDepth, "gauge"),
        ]
        for (name, type) in expected {
            XCTAssertEqual(parsed.types[name], type, name)
            XCTAssertFalse((parsed.help[name] ?? "").isEmpty, "\(name) has no HELP")
        }
        // Estimates not made yet read NaN, not a misleading 0.
        XCTAssertTrue(parsed.value(DaemonMetrics.Name.energyPerInference)?.isNaN == true)
        XCTAssertTrue(parsed.value(DaemonMetrics.Name.accuracy, ["source": "shadow"])?.isNaN == true)
    }

    func testRecordedValuesAppearInTheExposition() throws {
        let metrics = DaemonMetrics()
        for s in [0.000_005, 0.000_02, 0.000_4, 0.003, 0.003, 2.0] { metrics.recordInference(seconds: s, level: 1) }
        metrics.recordInference(seconds: 0.001, level: 3)
        metrics.recordInference(seconds: .nan, level: 3)   // ignored
        metrics.recordInference(seconds: -1, level: 3)     // ignored
        metrics.setLevel(3, sparsity: 0.9)
        metrics.setEnergy(joulesPerInference: 0.0021, watts: 3.4)
        metrics.setAccuracy(labelled: 0.93, agreement: nil)
        metrics.addDrops(5, reason: "queue_full")
        metrics.addDrops(2, reason: "queue_full")
        metrics.addDrops(1, reason: "sensor_gap")
        metrics.addDrops(0, reason: "never")
        metrics.addErrors(4, kind: "sink")
        metrics.recordSwitch(from: 0, to: 2)
        metrics.recordSwitch(from: 2, to: 3)
        metrics.recordSwitch(from: 3, to: 1)
        metrics.recordSwitch(from: 1, to: 1)
        metrics.addFeedback(accepted: 7, refused: 2)
        metrics.configVersion(12)
        metrics.setQueueDepth(9)

        let p = try PrometheusText.parse(metrics.text())
        let latency = DaemonMetrics.Name.inferenceLatency
        XCTAssertEqual(p.value(latency + "_count"), 7)
        XCTAssertEqual(p.value(latency + "_sum")!, 2.007_425, accuracy: 1e-9)
        // Buckets are cumulative and +Inf holds everything.
        let buckets = p.samples.filter { $0.name == latency + "_bucket" }
        XCTAssertEqual(buckets.count, DaemonMetrics.latencyBuckets.count + 1)
        for (a, b) in zip(buckets, buckets.dropFirst()) { XCTAssertLessThanOrEqual(a.value, b.value) }
        XCTAssertEqual(p.value(latency + "_bucket", ["le": "1e-05"]), 1)
        XCTAssertEqual(p.value(latency + "_bucket", ["le": "0.001"]), 4)
        XCTAssertEqual(p.value(latency + "_bucket", ["le": "1.0"]), 6)
        XCTAssertEqual(p.value(latency + "_bucket", ["le": "+Inf"]), 7)

        XCTAssertEqual(p.value(DaemonMetrics.Name.inferences, ["level": "1"]), 6)
        XCTAssertEqual(p.value(DaemonMetrics.Name.inferences, ["level": "3"]), 1)
        XCTAssertEqual(p.value(DaemonMetrics.Name.level), 3)
        XCTAssertEqual(p.value(DaemonMetrics.Name.sparsity), 0.9)
        XCTAssertEqual(p.value(DaemonMetrics.Name.energyPerInference), 0.0021)
        XCTAssertEqual(p.value(DaemonMetrics.Name.power), 3.4)
        XCTAssertEqual(p.value(DaemonMetrics.Name.accuracy, ["source": "labels"]), 0.93)
        XCTAssertTrue(p.value(DaemonMetrics.Name.accuracy, ["source": "shadow"])?.isNaN == true)
        XCTAssertEqual(p.value(DaemonMetrics.Name.droppedWindows, ["reason": "queue_full"]), 7)
        XCTAssertEqual(p.value(DaemonMetrics.Name.droppedWindows, ["reason": "sensor_gap"]), 1)
        XCTAssertNil(p.value(DaemonMetrics.Name.droppedWindows, ["reason": "never"]))
        XCTAssertEqual(p.value(DaemonMetrics.Name.errors, ["kind": "sink"]), 4)
        XCTAssertEqual(p.value(DaemonMetrics.Name.levelSwitches, ["direction": "sparser"]), 2)
        XCTAssertEqual(p.value(DaemonMetrics.Name.levelSwitches, ["direction": "denser"]), 1)
        XCTAssertEqual(p.value(DaemonMetrics.Name.feedbackLabels, ["result": "accepted"]), 7)
        XCTAssertEqual(p.value(DaemonMetrics.Name.feedbackLabels, ["result": "refused"]), 2)
        XCTAssertEqual(p.value(DaemonMetrics.Name.configVersion), 12)
        XCTAssertEqual(p.value(DaemonMetrics.Name.queueDepth), 9)

        // Clearing an estimate goes back to NaN.
        metrics.setEnergy(joulesPerInference: nil, watts: nil)
        XCTAssertTrue(try PrometheusText.parse(metrics.text()).value(DaemonMetrics.Name.power)?.isNaN == true)
    }

    func testTwoInstancesDoNotShareSeriesAndTheFactoryFeedsTheSameRegistry() throws {
        let a = DaemonMetrics(), b = DaemonMetrics()
        a.addErrors(3, kind: "sensor")
        // swift-metrics API through the instance's factory, with no global bootstrap.
        a.factory.makeCounter(label: "edgeprune_test_events_total", dimensions: [("k", "v")]).increment(by: 5)
        let pa = try PrometheusText.parse(a.text()), pb = try PrometheusText.parse(b.text())
        XCTAssertEqual(pa.value(DaemonMetrics.Name.errors, ["kind": "sensor"]), 3)
        XCTAssertNil(pb.value(DaemonMetrics.Name.errors, ["kind": "sensor"]))
        XCTAssertEqual(pa.value("edgeprune_test_events_total", ["k": "v"]), 5)
        XCTAssertNil(pb.value("edgeprune_test_events_total", ["k": "v"]))
    }

    func testConcurrentRecordingLosesNothing() throws {
        let metrics = DaemonMetrics()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<2000 {
                metrics.recordInference(seconds: 0.0001, level: i % 3)
                metrics.addDrops(1, reason: t % 2 == 0 ? "queue_full" : "sensor_gap")
            }
        }
        let p = try PrometheusText.parse(metrics.text())
        XCTAssertEqual(p.value(DaemonMetrics.Name.inferenceLatency + "_count"), 16_000)
        let perLevel = (0..<3).map { p.value(DaemonMetrics.Name.inferences, ["level": String($0)]) ?? 0 }
        XCTAssertEqual(perLevel.reduce(0, +), 16_000)
        XCTAssertEqual((p.value(DaemonMetrics.Name.droppedWindows, ["reason": "queue_full"]) ?? 0)
                       + (p.value(DaemonMetrics.Name.droppedWindows, ["reason": "sensor_gap"]) ?? 0), 16_000)
    }
}
