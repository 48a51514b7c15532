@testable import EdgePruneServe
import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneDevice
import EdgePruneONNX
import Foundation
import Logging
import XCTest

/// The two threads with a real model and a replayed file: every window accounted for, results
/// in the sinks in order, changes carried in between inferences, a prompt stop.
final class InferenceLoopTests: XCTestCase {
    final class Collect: InferenceSink {
        let name = "collect"
        let lock = NSLock()
        var records: [InferenceRecord] = []
        var failEvery = 0
        func emit(_ r: InferenceRecord) throws {
            try lock.withLock {
                records.append(r)
                if failEvery > 0, records.count % failEvery == 0 { throw EdgePruneError(.io, "scripted sink failure") }
            }
        }
        func close() {}
    }

    private func makeLoop(rate: Double?, loop: Bool, capacity: Int, policy: BackpressurePolicy, sink: Collect) throws -> InferenceLoop {
        let fixtures = DaemonHarness.fixtures
        let graph = try ModelLoader.load(fixtures.appendingPathComponent("models/digits_mlp.onnx").path)
        let model = try AdaptiveModel(graph: graph)
        let runner = try AdaptiveRunner(model: model, options: RunnerOptions(controller: ControllerConfig()), board: .x86_64Generic)
        let source = try ReplaySource.npy(fixtures.appendingPathComponent("digits/test_x_mlp.npy").path, rate: rate, loop: loop)
        let pipeline = try SensorPipeline(source: source, windower: Windower(size: 1, hop: 1, channels: 64),
                                          queue: BoundedQueue(capacity: capacity, policy: policy))
        return InferenceLoop(pipeline: pipeline, runner: runner, sinks: [sink], metrics: nil, logger: Logger(label: "test"))
    }

    func testEveryWindowIsAnInferenceOrACountedDropAndTheLoopEndsWithTheSource() throws {
        for policy in [BackpressurePolicy.block, .dropOldest, .dropNewest] {
            try checkAccounting(policy)
        }
    }

    private func checkAccounting(_ policy: BackpressurePolicy) throws {
        let sink = Collect()
        sink.failEvery = 50
        let loop = try makeLoop(rate: nil, loop: false, capacity: 4, policy: policy, sink: sink)
        loop.start()
        XCTAssertTrue(loop.wait(timeout: 30), "the loop did not end after the replay finished")
        XCTAssertFalse(loop.isRunning)
        let counters = try XCTUnwrap(loop.perform { $0.counters })
        let q = loop.queue.stats
        XCTAssertEqual(loop.source.windows, 360)
        XCTAssertTrue(loop.source.finished)
        XCTAssertEqual(counters.inferences + q.dropped, 360, "inferences \(counters.inferences), drops \(q)")
        XCTAssertEqual(q.pushed, 360)
        XCTAssertEqual(UInt64(sink.records.count), counters.inferences)
        let firstID = try XCTUnwrap(sink.records.first?.id, "no inference reached the sink")
        XCTAssertEqual(sink.records.map(\.id), (0..<UInt64(sink.records.count)).map { firstID + $0 }, "ids consecutive, in order")
        XCTAssertEqual(counters.sinkErrors["collect"] ?? 0, counters.inferences / 50, "each failing emit is counted, and the loop goes on")
        if policy == .block {
            XCTAssertEqual(counters.inferences, 360, "block loses nothing")
        }
        XCTAssertTrue(sink.records.allSatisfy { $0.confidence > 0 && $0.confidence <= 1 })
    }

    func testPerformRunsBetweenInferencesAndStopIsPrompt() throws {
        let sink = Collect()
        let loop = try makeLoop(rate: 500, loop: true, capacity: 16, policy: .dropOldest, sink: sink)
        loop.start()
        XCTAssertTrue(waitFor { sink.lock.withLock { sink.records.count } > 20 })
        let seen = loop.perform(timeout: 2) { s -> (UInt64, Int) in
            (s.counters.inferences, sink.lock.withLock { sink.records.count })
        }
        let (inferences, records) = try XCTUnwrap(seen)
        XCTAssertEqual(Int(inferences), records, "perform ran between two inferences, after the sinks saw the last one")
        let t0 = Date()
        XCTAssertTrue(loop.stop(timeout: 5))
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2)
        XCTAssertFalse(loop.isRunning)
        XCTAssertEqual(loop.perform { _ in 42 }, 42, "after the end, perform runs on the caller")
    }

    func testConfidenceOfLogitsAndOfProbabilities() {
        let logits: [Float] = [2, 0, 0]
        let e = Float(exp(2.0))
        XCTAssertEqual(logits.withUnsafeBufferPointer(InferenceLoop.confidence), e / (e + 2), accuracy: 1e-6)
        let probs: [Float] = [0.7, 0.2, 0.1]
        XCTAssertEqual(probs.withUnsafeBufferPointer(InferenceLoop.confidence), 0.7, accuracy: 1e-6)
        let nan: [Float] = [.nan, .nan]
        XCTAssertEqual(nan.withUnsafeBufferPointer(InferenceLoop.confidence), 0)
    }

    private func waitFor(_ timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
