import XCTest
import EdgePruneCore
import EdgePrunePruning
@testable import EdgePruneAdaptive

/// Acceptance measurement: "shadow-dense agreement at a 5% sampling rate tracks true accuracy
/// within 2 points on digits".
///
/// Agreement is not accuracy; ShadowAccuracyEstimate turns agreement a and the dense model's
/// offline accuracy d into an accuracy estimate: the midpoint of the interval
/// [a + d - 1, 1 - |a - d|] that a and d allow, i.e. min(a, d). The other natural guess, d x a
/// (agreeing inputs right at the dense rate, disagreeing ones wrong), is measured beside it.
/// Two error sources are separated:
/// - bias: the estimate from the agreement over the whole test split (no sampling);
/// - sampling: the estimate from the `shouldShadow` 5% of a stream that replays the 360-sample
///   test split `replays` times in fresh shuffled orders, through the real level (every
///   inference) and the real ShadowRunner (dense model on the shadowed inputs), over the whole
///   stream and over sliding windows of 256 (the monitor's default) and 1024 shadowed results
///   (checked at every shadow result once the window is full).
/// "True accuracy" is the level's accuracy on the test split.
struct ShadowTrackingRow {
    var level: Int
    var sparsity: Double
    var trueAccuracy: Double
    var populationAgreement: Double
    /// Estimate minus true accuracy, from the whole test split: min(a, d) and d x a.
    var populationError: Double
    var populationErrorProduct: Double
    /// Over the whole stream at 5%.
    var shadowed: Int
    var streamError: Double
    var streamErrorProduct: Double
    var windows: [WindowFigures]

    struct WindowFigures {
        var window: Int
        var checkpoints: Int
        var meanAbsError: Double
        var p95AbsError: Double
        var maxAbsError: Double
        /// Share of checkpoints with |error| <= 2 points.
        var withinTwoPoints: Double
        /// Share of checkpoints whose [lower, upper] contains the true accuracy.
        var intervalCovers: Double
    }
}

enum ShadowTracking {
    static func measure(sparsities: [Double], replays: Int, fraction: Double = 0.05, windows: [Int] = [256, 1024],
                        seed: UInt64 = 2024) throws -> (denseAccuracy: Double, rows: [ShadowTrackingRow]) {
        let graph = try MonDigits.ladder(sparsities)
        let (rows, labels) = try MonDigits.testSplit()
        let dense = try MonLevelRunner(graph, level: 0)
        let denseTop1 = rows.map { dense.run($0).top1 }
        let d = Double(zip(denseTop1, labels).filter { $0 == $1 }.count) / Double(labels.count)
        var rng = MonRandom(seed: seed)
        let orders = (0..<replays).map { _ in rng.permutation(rows.count) }
        func estimate(_ a: ProportionEstimate) -> ShadowAccuracyEstimate { ShadowAccuracyEstimate(agreement: a, denseAccuracy: d)! }

        var result: [ShadowTrackingRow] = []
        for level in 0...sparsities.count {
            let active = try MonLevelRunner(graph, level: level)
            let levelTop1 = rows.map { active.run($0).top1 }
            let truth = Double(zip(levelTop1, labels).filter { $0 == $1 }.count) / Double(labels.count)
            let agreeing = zip(levelTop1, denseTop1).filter { $0 == $1 }.count
            let population = ProportionEstimate(successes: agreeing, trials: rows.count)

            let monitors = try windows.map { try AccuracyMonitor(classes: 10, window: $0, shadowFraction: fraction) }
            let whole = try AccuracyMonitor(classes: 10, window: rows.count * replays, shadowFraction: fraction)
            let runner = try ShadowRunner(denseGraph: graph, queueCapacity: 16)
            defer { runner.shutdown() }
            var errors = windows.map { _ in [Double]() }, covers = windows.map { _ in 0 }
            var id: UInt64 = 0
            for order in orders {
                for sample in order {
                    defer { id += 1 }
                    let top1 = active.run(rows[sample]).top1  // the hot path: every inference runs
                    guard whole.shouldShadow(id: id) else { continue }
                    let queued = rows[sample].withUnsafeBufferPointer { runner.submit(id: id, level: level, activeTop1: top1, input: $0) }
                    precondition(queued, "the measurement waits for each shadow run, so the queue never fills")
                    runner.waitUntilIdle()
                    runner.drain { r in
                        for m in monitors + [whole] { m.recordShadow(level: r.level, activeTop1: r.activeTop1, denseTop1: r.denseTop1) }
                    }
                    for (k, m) in monitors.enumerated() {
                        guard let e = m.shadowAccuracy(level: level, denseAccuracy: d), e.trials == windows[k] else { continue }
                        errors[k].append(abs(e.estimate - truth))
                        if e.lower <= truth && truth <= e.upper { covers[k] += 1 }
                    }
                }
            }
            XCTAssertEqual(runner.counters.dropped, 0)
            let all = try XCTUnwrap(whole.agreement(level: level))
            let figures = windows.indices.map { k -> ShadowTrackingRow.WindowFigures in
                let e = errors[k].sorted(), n = max(e.count, 1)
                return .init(window: windows[k], checkpoints: e.count, meanAbsError: e.reduce(0, +) / Double(n),
                             p95AbsError: e.isEmpty ? 0 : e[nearestRankIndex(perMille: 950, count: e.count)],
                             maxAbsError: e.last ?? 0, withinTwoPoints: Double(e.filter { $0 <= 0.02 }.count) / Double(n),
                             intervalCovers: Double(covers[k]) / Double(n))
            }
            result.append(ShadowTrackingRow(
                level: level, sparsity: level == 0 ? 0 : sparsities[level - 1], trueAccuracy: truth,
                populationAgreement: population.rate, populationError: estimate(population).estimate - truth,
                populationErrorProduct: d * population.rate - truth,
                shadowed: all.trials, streamError: estimate(all).estimate - truth, streamErrorProduct: d * all.rate - truth,
                windows: figures))
        }
        return (d, result)
    }

    /// The dense digits MLP's accuracy on the calibration (training) split.
    static func denseAccuracyOnCalibrationSplit() throws -> Double {
        let x = try NPY.read(MonDigits.fixture("digits/calib_x_mlp.npy"))
        let y = try NPY.read(MonDigits.fixture("digits/calib_y.npy")).asInts()
        let predicted = try Evaluator.predict(try InferenceSession(graph: try MonDigits.model()), data: x, batch: 64)
        return Double(zip(predicted, y).filter { $0 == $1 }.count) / Double(y.count)
    }

    static func table(_ denseAccuracy: Double, _ rows: [ShadowTrackingRow]) -> String {
        func pct(_ x: Double) -> String { String(format: "%6.2f", x * 100) }
        func pts(_ x: Double) -> String { String(format: "%+6.2f", x * 100) }
        var lines = ["dense accuracy d = \(pct(denseAccuracy))%; estimate min(a, d) (and d x a); errors in points",
                     "level sparsity  true%  agree%  bias(min) bias(dxa) | shadowed err(min) err(dxa)"]
        for r in rows {
            lines.append(String(format: "%5d %8.2f ", r.level, r.sparsity)
                + "\(pct(r.trueAccuracy)) \(pct(r.populationAgreement))    \(pts(r.populationError))    \(pts(r.populationErrorProduct)) | "
                + String(format: "%8d ", r.shadowed) + "  \(pts(r.streamError))   \(pts(r.streamErrorProduct))")
        }
        lines.append("sliding windows of shadowed results, estimate min(a, d): |error| mean / p95 / max, share within 2 points, interval coverage")
        for r in rows {
            for w in r.windows {
                lines.append(String(format: "level %d window %4d (%5d checkpoints): ", r.level, w.window, w.checkpoints)
                    + "\(pct(w.meanAbsError)) \(pct(w.p95AbsError)) \(pct(w.maxAbsError))  within2 \(pct(w.withinTwoPoints))%  covers \(pct(w.intervalCovers))%")
            }
        }
        return lines.joined(separator: "\n")
    }
}

final class ShadowAgreementTrackingTests: XCTestCase {
    func testShadowAgreementAt5PercentTracksTrueAccuracyOnDigits() throws {
        // 150 replays: 54,000 inferences per level, about 2,700 of them shadowed at 5%.
        let replays = 150
        let (d, rows) = try ShadowTracking.measure(sparsities: [0.5, 0.8, 0.9, 0.95], replays: replays)
        print(ShadowTracking.table(d, rows))
        let calibD = try ShadowTracking.denseAccuracyOnCalibrationSplit()
        XCTAssertEqual(rows[0].populationAgreement, 1, "the dense level agrees with itself")
        for r in rows {
            XCTAssertEqual(Double(r.shadowed) / Double(360 * replays), 0.05, accuracy: 0.005, "level \(r.level): 5% shadowed")
            // Bias: from the exact agreement, min(a, d) is within 2 points of the true accuracy.
            XCTAssertLessThanOrEqual(abs(r.populationError), 0.02, "level \(r.level) bias")
            // The acceptance figure: over the stream at 5% sampling, within 2 points.
            XCTAssertLessThanOrEqual(abs(r.streamError), 0.02, "level \(r.level) stream")
            // The interval (agreement's Wilson interval pushed through the bounds) is honest.
            for w in r.windows { XCTAssertGreaterThanOrEqual(w.intervalCovers, 0.95, "level \(r.level) window \(w.window)") }
        }
        // Sensitivity to where d comes from: the dense accuracy on the calibration (training)
        // split instead of the test split.
        for r in rows {
            let biasWithCalibD = min(r.populationAgreement, calibD) - r.trueAccuracy
            print(String(format: "level %d: bias with d from the calibration split (%.2f%%): %+.2f points", r.level, calibD * 100, biasWithCalibD * 100))
        }
    }

    /// The interval arithmetic of the estimate, by hand.
    func testEstimateIsTheMidpointOfTheIdentifiedInterval() throws {
        let e = try XCTUnwrap(ShadowAccuracyEstimate(agreement: ProportionEstimate(successes: 900, trials: 1000), denseAccuracy: 0.97))
        XCTAssertEqual(e.estimate, 0.9, accuracy: 1e-12, "min(a, d) with a < d")
        let highAgreement = ProportionEstimate(successes: 990, trials: 1000)
        let high = try XCTUnwrap(ShadowAccuracyEstimate(agreement: highAgreement, denseAccuracy: 0.97))
        XCTAssertEqual(high.estimate, 0.97, accuracy: 1e-12, "min(a, d) with a > d")
        XCTAssertEqual(high.upper, 1 - (highAgreement.lower - 0.97), accuracy: 1e-12, "upper bound nearest to a = d")
        let a = ProportionEstimate(successes: 900, trials: 1000)
        XCTAssertEqual(e.lower, a.lower + 0.97 - 1, accuracy: 1e-12)
        XCTAssertEqual(e.upper, 1 - (0.97 - a.upper), accuracy: 1e-12)
        XCTAssertTrue(e.lower < e.estimate && e.estimate < e.upper)
        let around = try XCTUnwrap(ShadowAccuracyEstimate(agreement: ProportionEstimate(successes: 970, trials: 1000), denseAccuracy: 0.97))
        XCTAssertEqual(around.upper, 1, "d inside a's interval: the upper bound is 1")
        let perfect = try XCTUnwrap(ShadowAccuracyEstimate(agreement: ProportionEstimate(successes: 50, trials: 50), denseAccuracy: 1))
        XCTAssertEqual(perfect.estimate, 1)
        XCTAssertNil(ShadowAccuracyEstimate(agreement: a, denseAccuracy: 1.5))
        XCTAssertNil(ShadowAccuracyEstimate(agreement: a, denseAccuracy: .nan))
        XCTAssertNil(ShadowAccuracyEstimate(agreement: ProportionEstimate(successes: 0, trials: 0), denseAccuracy: 0.9))
        let m = try AccuracyMonitor(classes: 10)
        XCTAssertNil(m.shadowAccuracy(level: 0, denseAccuracy: 0.9))
        m.recordShadow(level: 0, activeTop1: 1, denseTop1: 1)
        XCTAssertEqual(m.shadowAccuracy(level: 0, denseAccuracy: 0.9)?.estimate ?? 0, 0.9, accuracy: 1e-12)
    }
}
