import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

final class AccuracyMonitorTests: XCTestCase {
    private func monitor(window: Int = 256, capacity: Int = 1024, maxAge: Double = 60, fraction: Double = 0.05,
                         scores: ClassScores = .logits) throws -> AccuracyMonitor {
        try AccuracyMonitor(classes: 10, window: window, pendingCapacity: capacity, maxAge: maxAge,
                            shadowFraction: fraction, scores: scores)
    }

    func testFeedbackMatchesIdsAndCountsCorrectAndWrong() throws {
        let m = try monitor()
        for id in 0..<100 { XCTAssertTrue(m.noteInference(id: UInt64(id), level: id % 2 == 0 ? 1 : 2, predicted: id % 10, time: Double(id) * 0.1)) }
        XCTAssertEqual(m.pendingCount, 100)
        // Labels arrive out of order; even ids are labelled with their prediction (correct), odd
        // ids with another class.
        for id in (0..<100).reversed() {
            let label = id % 2 == 0 ? id % 10 : (id + 1) % 10
            XCTAssertEqual(m.feedback(id: UInt64(id), label: label, time: 20), .matched(correct: id % 2 == 0))
        }
        XCTAssertEqual(m.pendingCount, 0)
        XCTAssertEqual(m.accuracy(level: 1), ProportionEstimate(successes: 50, trials: 50))
        XCTAssertEqual(m.accuracy(level: 2), ProportionEstimate(successes: 0, trials: 50))
        XCTAssertNil(m.accuracy(level: 0))
        XCTAssertEqual(m.counters.matched, 100)
        XCTAssertEqual(m.counters.correct, 50)
    }

    func testDuplicateUnknownAndOutOfRangeLabelsAreCountedAndNotResults() throws {
        let m = try monitor()
        m.noteInference(id: 7, level: 0, predicted: 3, time: 0)
        m.noteInference(id: 8, level: 0, predicted: 4, time: 0)
        XCTAssertEqual(m.feedback(id: 7, label: 10, time: 1), .labelOutOfRange)
        XCTAssertEqual(m.feedback(id: 7, label: -1, time: 1), .labelOutOfRange)
        XCTAssertEqual(m.pendingCount, 2, "an out-of-range label leaves the inference pending")
        XCTAssertEqual(m.feedback(id: 7, label: 3, time: 1), .matched(correct: true))
        XCTAssertEqual(m.feedback(id: 7, label: 3, time: 2), .duplicate)
        XCTAssertEqual(m.feedback(id: 7, label: 5, time: 2), .duplicate)
        XCTAssertEqual(m.feedback(id: 12345, label: 3, time: 2), .unknownId)
        XCTAssertEqual(m.feedback(id: 8, label: 9, time: 2), .matched(correct: false))
        XCTAssertEqual(m.accuracy(level: 0), ProportionEstimate(successes: 1, trials: 2), "only the two matches count")
        let c = m.counters
        XCTAssertEqual([c.labelsOutOfRange, c.duplicateLabels, c.unknownIds, c.matched, c.lateLabels], [2, 2, 1, 2, 0])
    }

    func testLateLabelsExpireByAge() throws {
        let m = try monitor(maxAge: 10)
        m.noteInference(id: 1, level: 0, predicted: 1, time: 0)
        m.noteInference(id: 2, level: 0, predicted: 2, time: 5)
        XCTAssertEqual(m.feedback(id: 1, label: 1, time: 10.5), .expired, "10.5 s old with maxAge 10")
        XCTAssertEqual(m.feedback(id: 2, label: 2, time: 10.5), .matched(correct: true), "5.5 s old")
        XCTAssertEqual(m.feedback(id: 1, label: 1, time: 11), .expired, "still remembered as expired")
        XCTAssertEqual(m.counters.agedOut, 1)
        XCTAssertEqual(m.counters.lateLabels, 2)
        XCTAssertEqual(m.accuracy(level: 0)?.trials, 1)
        // A note alone also ages out the old entries.
        m.noteInference(id: 3, level: 0, predicted: 0, time: 100)
        m.noteInference(id: 4, level: 0, predicted: 0, time: 200)
        XCTAssertEqual(m.pendingCount, 1)
        XCTAssertEqual(m.feedback(id: 3, label: 0, time: 200), .expired)
    }

    func testOldestIsEvictedAtCapacity() throws {
        let m = try monitor(capacity: 4)
        for id in 0..<6 { m.noteInference(id: UInt64(id), level: 0, predicted: 0, time: 0) }
        XCTAssertEqual(m.pendingCount, 4)
        XCTAssertEqual(m.counters.evicted, 2)
        XCTAssertEqual(m.feedback(id: 0, label: 0, time: 0), .expired)
        XCTAssertEqual(m.feedback(id: 1, label: 0, time: 0), .expired)
        for id in 2..<6 { XCTAssertEqual(m.feedback(id: UInt64(id), label: 0, time: 0), .matched(correct: true)) }
        XCTAssertEqual(m.counters.lateLabels, 2)
    }

    func testPendingMapStaysBoundedOver100kNotes() throws {
        let capacity = 512
        let m = try monitor(capacity: capacity, maxAge: 1e9)
        var rng = MonRandom(seed: 5)
        var maxPending = 0
        for id in 0..<100_000 {
            m.noteInference(id: UInt64(id), level: id % 5, predicted: id % 10, time: Double(id) * 1e-3)
            // Label a random earlier inference now and then (some recent, some long gone).
            if id % 3 == 0 { m.feedback(id: UInt64(max(0, id - rng.int(0..<2 * capacity))), label: id % 10, time: Double(id) * 1e-3) }
            maxPending = max(maxPending, m.pendingCount)
        }
        XCTAssertLessThanOrEqual(maxPending, capacity)
        let c = m.counters
        XCTAssertEqual(c.notes, 100_000)
        XCTAssertEqual(c.notes, m.pendingCount + c.matched + c.evicted + c.agedOut, "every note is pending, matched or expired")
        XCTAssertGreaterThan(c.lateLabels, 0)
        XCTAssertEqual(c.matched + c.lateLabels + c.duplicateLabels + c.unknownIds, 100_000 / 3 + 1)
        // The newest notes are all still matchable.
        let newest = 99_999
        XCTAssertEqual(m.feedback(id: UInt64(newest), label: newest % 10, time: 100), .matched(correct: true))
    }

    func testBadNotesAndTimesAreCountedNotApplied() throws {
        let m = try monitor(maxAge: 10)
        XCTAssertFalse(m.noteInference(id: 1, level: -1, predicted: 0, time: 0))
        XCTAssertFalse(m.noteInference(id: 1, level: 0, predicted: 10, time: 0))
        XCTAssertFalse(m.noteInference(id: 1, level: 0, predicted: 0, time: .nan))
        XCTAssertEqual(m.counters.rejectedNotes, 3)
        XCTAssertEqual(m.pendingCount, 0)
        XCTAssertTrue(m.noteInference(id: 1, level: 0, predicted: 0, time: 50))
        XCTAssertFalse(m.noteInference(id: 1, level: 0, predicted: 1, time: 51), "id already pending")
        XCTAssertEqual(m.counters.duplicateNotes, 1)
        // A clock that goes back is clamped: the note counts as made at 51, so it is still fresh at 60.
        XCTAssertTrue(m.noteInference(id: 2, level: 0, predicted: 0, time: 3))
        XCTAssertEqual(m.counters.clockWentBack, 1)
        XCTAssertEqual(m.feedback(id: 2, label: 0, time: .nan), .matched(correct: true))
        XCTAssertEqual(m.counters.nonFiniteTimes, 1)
        XCTAssertEqual(m.feedback(id: 1, label: 0, time: 70), .expired)
    }

    func testAccuracyWindowKeepsTheLastResults() throws {
        let m = try monitor(window: 10)
        for id in 0..<30 {
            m.noteInference(id: UInt64(id), level: 3, predicted: 0, time: 0)
            m.feedback(id: UInt64(id), label: id < 20 ? 1 : 0, time: 0)
        }
        XCTAssertEqual(m.accuracy(level: 3), ProportionEstimate(successes: 10, trials: 10))
        m.reset(level: 3)
        XCTAssertNil(m.accuracy(level: 3))
    }

    func testConfigurationIsValidated() {
        let cases: [(String, () throws -> AccuracyMonitor)] = [
            ("classes must be at least 2", { try AccuracyMonitor(classes: 1) }),
            ("window must be at least 1", { try AccuracyMonitor(classes: 10, window: 0) }),
            ("pending capacity must be at least 1", { try AccuracyMonitor(classes: 10, pendingCapacity: 0) }),
            ("max age must be a positive", { try AccuracyMonitor(classes: 10, maxAge: .nan) }),
            ("max age must be a positive", { try AccuracyMonitor(classes: 10, maxAge: 0) }),
            ("shadow fraction must be in 0...1", { try AccuracyMonitor(classes: 10, shadowFraction: 1.01) }),
            ("shadow fraction must be in 0...1", { try AccuracyMonitor(classes: 10, shadowFraction: -0.1) }),
            ("shadow fraction must be in 0...1", { try AccuracyMonitor(classes: 10, shadowFraction: .nan) }),
        ]
        for (fragment, make) in cases {
            XCTAssertThrowsError(try make()) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(fragment), "'\(text)' lacks '\(fragment)'")
                XCTAssertFalse(text.contains("\n"))
            }
        }
    }

    // MARK: Wilson intervals

    func testWilsonIntervalContainsTheRateAndShrinksWithTrials() {
        var lastWidth = 2.0
        for n in [10, 100, 1000, 10_000] {
            let e = ProportionEstimate(successes: n * 8 / 10, trials: n)
            XCTAssertEqual(e.rate, 0.8, accuracy: 1e-12)
            XCTAssertTrue(e.lower < e.rate && e.rate < e.upper, "n \(n): [\(e.lower), \(e.upper)]")
            let width = e.upper - e.lower
            XCTAssertLessThan(width, lastWidth, "n \(n)")
            lastWidth = width
        }
        XCTAssertEqual(lastWidth, 2 * 1.96 * (0.8 * 0.2 / 10_000).squareRoot(), accuracy: 1e-4, "close to the normal interval at large n")
        // The edges stay inside [0, 1] and still contain the rate.
        let none = ProportionEstimate(successes: 0, trials: 20), all = ProportionEstimate(successes: 20, trials: 20)
        XCTAssertEqual(none.lower, 0)
        XCTAssertGreaterThan(none.upper, 0.1)
        XCTAssertEqual(all.upper, 1)
        XCTAssertLessThan(all.lower, 0.9)
    }

    // MARK: Shadow sampling and agreement

    func testShadowSamplingHitsTheFractionWithin1PercentDeterministically() throws {
        for fraction in [0.01, 0.05, 0.2, 0.5, 0.9] {
            let m = try monitor(fraction: fraction), again = try monitor(fraction: fraction)
            for (stride, offset) in [(UInt64(1), UInt64(0)), (1000, 7), (1 << 32, 3)] {
                var hits = 0
                for i in 0..<UInt64(100_000) {
                    let id = i &* stride &+ offset
                    let s = m.shouldShadow(id: id)
                    if s { hits += 1 }
                    if i % 97 == 0 { XCTAssertEqual(s, again.shouldShadow(id: id)) }
                }
                XCTAssertEqual(Double(hits) / 100_000, fraction, accuracy: 0.01, "fraction \(fraction), ids \(offset) + k x \(stride)")
            }
        }
        let none = try monitor(fraction: 0), all = try monitor(fraction: 1)
        XCTAssertFalse((0..<UInt64(10_000)).contains { none.shouldShadow(id: $0) })
        XCTAssertTrue((0..<UInt64(10_000)).allSatisfy { all.shouldShadow(id: $0) })
        XCTAssertTrue(all.shouldShadow(id: .max))
        // Changing the fraction validates and takes effect.
        XCTAssertThrowsError(try none.setShadowFraction(2))
        XCTAssertEqual(none.shadowFraction, 0)
        try none.setShadowFraction(0.5)
        XCTAssertEqual(Double((0..<UInt64(10_000)).filter { none.shouldShadow(id: $0) }.count) / 10_000, 0.5, accuracy: 0.02)
    }

    func testAgreementIsWindowedPerLevelAndValidated() throws {
        let m = try monitor(window: 4)
        for (a, d) in [(1, 1), (2, 3), (4, 4), (5, 5), (6, 6)] { XCTAssertTrue(m.recordShadow(level: 2, activeTop1: a, denseTop1: d)) }
        XCTAssertEqual(m.agreement(level: 2), ProportionEstimate(successes: 3, trials: 4), "(1,1) left the window of 4")
        XCTAssertNil(m.agreement(level: 1))
        XCTAssertFalse(m.recordShadow(level: 2, activeTop1: 10, denseTop1: 1))
        XCTAssertFalse(m.recordShadow(level: 2, activeTop1: 1, denseTop1: -1))
        XCTAssertFalse(m.recordShadow(level: 999, activeTop1: 1, denseTop1: 1))
        XCTAssertEqual(m.counters.rejectedShadows, 3)
        XCTAssertEqual(m.counters.shadows, 5)
        XCTAssertEqual(m.agreement(level: 2)?.trials, 4)
    }

    // MARK: Confidence proxy

    private func note(_ m: AccuracyMonitor, _ outputs: [Float], level: Int = 0, id: UInt64) -> Bool {
        outputs.withUnsafeBufferPointer { m.recordConfidence(level: level, outputs: $0) }
    }

    func testConfidenceFromLogits() throws {
        let m = try monitor()
        XCTAssertTrue(note(m, [Float](repeating: 3, count: 10), id: 0))
        var c = try XCTUnwrap(m.confidence(level: 0))
        XCTAssertEqual(c.meanMaxProbability, 0.1, accuracy: 1e-12)
        XCTAssertEqual(c.meanEntropyBits, log2(10.0), accuracy: 1e-9)
        // A confident output with huge logits (no overflow): p_max ~ 1, entropy ~ 0.
        XCTAssertTrue(note(m, [1000] + [Float](repeating: -1000, count: 9), level: 1, id: 1))
        c = try XCTUnwrap(m.confidence(level: 1))
        XCTAssertEqual(c.meanMaxProbability, 1, accuracy: 1e-12)
        XCTAssertEqual(c.meanEntropyBits, 0, accuracy: 1e-9)
        // Two classes at ln 3 apart: p = (3/4, 1/4), H = 0.811278 bits.
        XCTAssertTrue(note(m, [Float(log(3.0)), 0] + [Float](repeating: -200, count: 8), level: 2, id: 2))
        c = try XCTUnwrap(m.confidence(level: 2))
        XCTAssertEqual(c.meanMaxProbability, 0.75, accuracy: 1e-6)
        XCTAssertEqual(c.meanEntropyBits, -(0.75 * log2(0.75) + 0.25 * log2(0.25)), accuracy: 1e-6)
        // The window mean over two outputs at level 0.
        XCTAssertTrue(note(m, [1000] + [Float](repeating: 0, count: 9), id: 3))
        c = try XCTUnwrap(m.confidence(level: 0))
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(c.meanMaxProbability, 0.55, accuracy: 1e-9)
    }

    func testConfidenceRejectsNaNWrongLengthAndInvalidProbabilities() throws {
        let m = try monitor()
        XCTAssertFalse(note(m, [.nan] + [Float](repeating: 0, count: 9), id: 0))
        XCTAssertFalse(note(m, [.infinity] + [Float](repeating: 0, count: 9), id: 0))
        XCTAssertFalse(note(m, [Float](repeating: 0, count: 9), id: 0))
        XCTAssertEqual(m.counters.nonFiniteOutputs, 2)
        XCTAssertEqual(m.counters.malformedOutputs, 1)
        XCTAssertNil(m.confidence(level: 0), "nothing recorded")
        // Through noteInference: the inference is still noted, its bad output ignored.
        let nanRow: [Float] = [.nan] + [Float](repeating: 0, count: 9)
        XCTAssertTrue(nanRow.withUnsafeBufferPointer { m.noteInference(id: 1, level: 0, predicted: 0, time: 0, outputs: $0) })
        XCTAssertEqual(m.pendingCount, 1)
        XCTAssertEqual(m.counters.nonFiniteOutputs, 3)

        let p = try monitor(scores: .probabilities)
        XCTAssertTrue(note(p, [0.5, 0.5] + [Float](repeating: 0, count: 8), id: 0))
        XCTAssertEqual(p.confidence(level: 0)?.meanEntropyBits ?? -1, 1, accuracy: 1e-9)
        XCTAssertEqual(p.confidence(level: 0)?.meanMaxProbability ?? -1, 0.5, accuracy: 1e-9)
        XCTAssertFalse(note(p, [1, 1] + [Float](repeating: 0, count: 8), id: 1), "sums to 2")
        XCTAssertFalse(note(p, [1.2, -0.2] + [Float](repeating: 0, count: 8), id: 2), "negative")
        XCTAssertEqual(p.counters.invalidProbabilities, 2)
        XCTAssertEqual(p.confidence(level: 0)?.count, 1)
    }

    /// The protocol lets the controller read a fake as easily as the real monitor.
    func testMonitorsConformToTheirProtocols() throws {
        let sources: [AccuracyMonitoring] = [try monitor()]
        XCTAssertNil(sources[0].accuracy(level: 0))
        let latency: [LatencyMonitoring] = [LatencyMonitor(window: 4)]
        XCTAssertNil(latency[0].summary())
    }
}
