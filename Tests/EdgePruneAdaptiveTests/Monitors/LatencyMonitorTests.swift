import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

final class LatencyMonitorTests: XCTestCase {
    private func assertMatchesOracle(_ s: LatencySummary?, _ values: [Double], _ what: String,
                                     file: StaticString = #filePath, line: UInt = #line) {
        guard let s else { return XCTFail("\(what): no summary for \(values.count) values", file: file, line: line) }
        XCTAssertEqual(s.count, values.count, what, file: file, line: line)
        XCTAssertEqual(s.p50, monOraclePercentile(values, percent: 50), "\(what) p50", file: file, line: line)
        XCTAssertEqual(s.p95, monOraclePercentile(values, percent: 95), "\(what) p95", file: file, line: line)
        XCTAssertEqual(s.p99, monOraclePercentile(values, percent: 99), "\(what) p99", file: file, line: line)
    }

    /// Random timings at random levels, checked after every record against a sorted copy of the
    /// last `window` values, overall and per level, through many window wraps.
    func testPercentilesMatchSortedOracleOverallAndPerLevel() {
        for window in [1, 7, 100, 256] {
            let m = LatencyMonitor(window: window)
            var rng = MonRandom(seed: UInt64(window))
            var all: [Double] = []
            var perLevel: [Int: [Double]] = [:]
            for i in 0..<(window * 5 + 13) {
                let level = rng.int(0..<4)
                // Heavy ties in some stretches (values from a tiny set), spread values in others.
                let v = i % 3 == 0 ? Double(rng.int(0..<3)) * 1e-3 : rng.unit() * 0.01 * Double(level + 1)
                XCTAssertTrue(m.record(seconds: v, level: level))
                all.append(v)
                perLevel[level, default: []].append(v)
                if i % 5 == 0 || i > window * 5 {
                    assertMatchesOracle(m.summary(), Array(all.suffix(window)), "window \(window) overall after \(i + 1)")
                    for (l, vs) in perLevel {
                        assertMatchesOracle(m.summary(level: l), Array(vs.suffix(window)), "window \(window) level \(l)")
                    }
                }
            }
            XCTAssertEqual(m.accepted, window * 5 + 13)
            XCTAssertEqual(m.rejected, 0)
        }
    }

    /// Hand-computed: window 10 after 25 records holds 16...25 (ms).
    func testWindowWrapKeepsOnlyTheLastValues() throws {
        let m = LatencyMonitor(window: 10)
        for i in 1...25 { m.record(seconds: Double(i) * 1e-3, level: 2) }
        let s = try XCTUnwrap(m.summary(level: 2))
        XCTAssertEqual(s.count, 10)
        XCTAssertEqual(s.p50, 20e-3)  // rank ceil(0.5 x 10) = 5 -> 20
        XCTAssertEqual(s.p95, 25e-3)  // rank 10
        XCTAssertEqual(s.p99, 25e-3)
        XCTAssertEqual(m.summary(), s)
    }

    func testLevelsAreSeparateAndResetOnlyOne() throws {
        let m = LatencyMonitor(window: 50)
        for i in 0..<40 {
            m.record(seconds: 1e-3 + Double(i) * 1e-6, level: 0)
            m.record(seconds: 10e-3 + Double(i) * 1e-6, level: 3)
        }
        let l0 = try XCTUnwrap(m.summary(level: 0)), l3 = try XCTUnwrap(m.summary(level: 3))
        XCTAssertLessThan(l0.p99, 2e-3, "level 0 sees only its own ~1 ms timings")
        XCTAssertGreaterThan(l3.p50, 9e-3, "level 3 sees only its own ~10 ms timings")
        XCTAssertEqual(l0.count, 40)
        XCTAssertEqual(m.summary()?.count, 50, "overall keeps the last 50 of 80")
        XCTAssertNil(m.summary(level: 1))
        m.reset(level: 3)
        XCTAssertNil(m.summary(level: 3))
        XCTAssertEqual(m.count(level: 3), 0)
        XCTAssertEqual(m.summary(level: 0), l0, "resetting level 3 leaves level 0")
        XCTAssertEqual(m.summary()?.count, 50, "the overall window keeps its timings")
        m.record(seconds: 5e-3, level: 3)
        XCTAssertEqual(m.summary(level: 3), LatencySummary(count: 1, p50: 5e-3, p95: 5e-3, p99: 5e-3))
        m.reset()
        XCTAssertNil(m.summary())
        XCTAssertNil(m.summary(level: 0))
    }

    func testBadTimingsAndLevelsAreRejectedCountedAndChangeNothing() throws {
        let m = LatencyMonitor(window: 8)
        for v in [1e-3, 2e-3, 3e-3] { m.record(seconds: v, level: 1) }
        let before = try XCTUnwrap(m.summary()), beforeLevel = try XCTUnwrap(m.summary(level: 1))
        let bad: [(Double, Int)] = [(.nan, 1), (.infinity, 1), (-.infinity, 1), (-1e-6, 1), (-.nan, 1),
                                    (1e-3, -1), (1e-3, SparsityLadder.maxLevels + 1), (1e-3, .max)]
        for (v, l) in bad { XCTAssertFalse(m.record(seconds: v, level: l), "\(v) at level \(l) accepted") }
        XCTAssertEqual(m.rejected, bad.count)
        XCTAssertEqual(m.accepted, 3)
        XCTAssertEqual(m.summary(), before)
        XCTAssertEqual(m.summary(level: 1), beforeLevel)
        XCTAssertNil(m.summary(level: -1))
        XCTAssertNil(m.summary(level: 10_000))
        m.reset(level: -5)  // out of range: ignored
        XCTAssertTrue(m.record(seconds: 0, level: SparsityLadder.maxLevels), "zero and the top level are valid")
    }

    func testEmptyMonitorHasNoSummary() {
        let m = LatencyMonitor()
        XCTAssertEqual(m.window, 256)
        XCTAssertNil(m.summary())
        XCTAssertNil(m.summary(level: 0))
    }

    /// The selection helper alone, against sorting, on shuffled inputs with duplicates.
    func testSelectionAgreesWithSorting() {
        var rng = MonRandom(seed: 99)
        for n in 1...64 {
            let values = (0..<n).map { _ in Double(rng.int(0..<(n / 2 + 1))) }
            let sorted = values.sorted()
            for k in 0..<n {
                var copy = values
                copy.withUnsafeMutableBufferPointer { selectInPlace($0.baseAddress!, lo: 0, hi: n - 1, k: k) }
                XCTAssertEqual(copy[k], sorted[k], "n \(n) k \(k)")
                XCTAssertTrue(copy[..<k].allSatisfy { $0 <= copy[k] } && copy[k...].allSatisfy { $0 >= copy[k] })
            }
        }
    }
}
