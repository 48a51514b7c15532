import XCTest
import EdgePruneCore
import EdgePrunePruning
import EdgePruneONNX
@testable import EdgePruneAdaptive

final class AdaptiveModelTests: XCTestCase {
    typealias Kit = SwitchingTestKit

    /// After switchTo(L), outputs are PrunedLevels.graph(g, L)'s: bit for bit when the reference
    /// is planned with the same weight formats, and within float tolerance of a freshly measured
    /// reference (whose per-layer formats may differ).
    func testOutputsAfterSwitchEqualPrunedLevels() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        XCTAssertEqual(model.topLevel, 3)
        XCTAssertEqual(model.activeLevel, 0)
        let samples = try Kit.mlpSamples(5)
        for level in [2, 0, 3, 1, 3] {
            try model.switchTo(level: level)
            XCTAssertEqual(model.activeLevel, level)
            let formats = try XCTUnwrap(model.preparedLevel(level)).weightFormats
            XCTAssertFalse(formats.isEmpty, "the MLP's Gemm/MatMul layers have recorded formats")
            for x in samples {
                let (outputs, ranOn) = try model.infer([x])
                XCTAssertEqual(ranOn, level)
                let same = try Kit.reference(g, level: level, input: x, policy: KernelPolicy(layerFormats: formats))
                XCTAssertEqual(Kit.bytes(outputs[0]), Kit.bytes(same), "level \(level): not bit-identical to PrunedLevels.graph")
                let measured = try Kit.reference(g, level: level, input: x)
                XCTAssertLessThan(Kit.maxAbsDiff(outputs[0], measured), 1e-4, "level \(level)")
            }
        }
        // The levels differ (so the comparisons above can tell them apart).
        let x = samples[0]
        let outs = try (0...3).map { try Kit.bytes(Kit.reference(g, level: $0, input: x, policy: KernelPolicy(linearFormat: "gemm"))) }
        XCTAssertEqual(Set(outs).count, 4)
        XCTAssertEqual(model.stats.switches, 5)
    }

    /// The first prepare of a level measures its formats (cold); after its plan is dropped, the
    /// next prepare re-uses them (warm) and produces the same plan; a kept level is a cache hit.
    func testWarmPrepareReusesMeasuredFormats() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        XCTAssertFalse(model.hasMeasuredFormats(level: 3))
        let cold = try model.prepare(level: 3)
        XCTAssertTrue(cold.measuredFormats)
        XCTAssertFalse(cold.wasCached)
        XCTAssertGreaterThan(cold.seconds, 0)
        let coldPlan = try XCTUnwrap(model.preparedLevel(3))
        let hit = try model.prepare(level: 3)
        XCTAssertTrue(hit.wasCached)
        XCTAssertEqual(hit.seconds, 0)
        model.dropPreparedLevels()
        XCTAssertEqual(model.preparedLevels, [0])
        let warm = try model.prepare(level: 3)
        XCTAssertFalse(warm.measuredFormats)
        XCTAssertFalse(warm.wasCached)
        let warmPlan = try XCTUnwrap(model.preparedLevel(3))
        XCTAssertFalse(warmPlan === coldPlan)
        XCTAssertEqual(warmPlan.weightFormats, coldPlan.weightFormats)
        XCTAssertEqual(warmPlan.plan.steps.map(\.kernel.first), coldPlan.plan.steps.map(\.kernel.first))
        XCTAssertEqual(warmPlan.plan.weightFormats, coldPlan.weightFormats, "the warm plan really runs the forced formats")
        let s = model.stats
        XCTAssertEqual(s.coldPrepares, 2)  // level 0 at init, level 3
        XCTAssertEqual(s.warmPrepares, 1)
        XCTAssertEqual(s.cacheHits, 1)
        XCTAssertEqual(s.lastPrepareLevel, 3)
        XCTAssertEqual(s.lastPrepareWasCold, false)
        model.forgetFormats()
        XCTAssertTrue(try model.prepare(level: 3).measuredFormats)
    }

    /// Prepared levels are kept within the byte budget, least recently used evicted first; the
    /// active level is never evicted; a level being prepared or switched to is kept even when
    /// it alone overflows the budget.
    func testCacheBudgetEvictsLeastRecentlyUsedButNeverTheActiveLevel() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let gemm = KernelPolicy(linearFormat: "gemm")  // same size at every level
        let probe = try AdaptiveModel(graph: g, options: .init(memoryBudgetBytes: Int.max, policy: gemm))
        try probe.prepare(level: 1)
        let level0 = try XCTUnwrap(probe.preparedLevel(0)).estimatedBytes
        let level1 = try XCTUnwrap(probe.preparedLevel(1)).estimatedBytes
        XCTAssertGreaterThan(level1, level0, "a masked level holds its own weight copies")

        let model = try AdaptiveModel(graph: g, options: .init(memoryBudgetBytes: level0 + 2 * level1 + level1 / 2, policy: gemm))
        try model.prepare(level: 1)
        try model.prepare(level: 2)
        XCTAssertEqual(model.preparedLevels, [0, 1, 2])
        XCTAssertTrue(try model.prepare(level: 1).wasCached)  // 1 is now more recent than 2
        try model.prepare(level: 3)
        XCTAssertEqual(model.preparedLevels, [0, 1, 3], "level 2 was least recently used")
        XCTAssertEqual(model.stats.evictions, 1)
        XCTAssertLessThanOrEqual(model.stats.preparedBytes, model.options.memoryBudgetBytes)

        let tight = try AdaptiveModel(graph: g, options: .init(memoryBudgetBytes: 0, policy: gemm))
        try tight.prepare(level: 1)
        XCTAssertEqual(tight.preparedLevels, [0, 1], "the level being prepared is kept even over budget")
        try tight.prepare(level: 2)
        XCTAssertEqual(tight.preparedLevels, [0, 2])
        try tight.switchTo(level: 2)
        XCTAssertEqual(tight.preparedLevels, [2], "the previous active level goes once it is not active")
        XCTAssertEqual(tight.activeLevel, 2)
        let x = try Kit.mlpSamples(1)[0]
        XCTAssertEqual(Kit.bytes(try tight.infer(input: x)),
                       Kit.bytes(try Kit.reference(g, level: 2, input: x, policy: gemm)))
    }

    func testInvalidLevelsAreRefusedAndChangeNothing() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        try model.switchTo(level: 1)
        for bad in [-1, 4, 99] {
            Kit.assertThrows("level \(bad) is outside the model's sparsity ladder (levels 0...3)") { try model.prepare(level: bad) }
            Kit.assertThrows("outside the model's sparsity ladder") { try model.switchTo(level: bad) }
        }
        XCTAssertEqual(model.activeLevel, 1)
        XCTAssertEqual(model.stats.failedPrepares, 0, "refused levels are not failed builds")

        let expectation = expectation(description: "async refusal")
        model.prepareAsync(level: 7) { result in
            if case .failure(let e) = result { XCTAssertTrue("\(e)".contains("level 7 is outside")) } else { XCTFail("prepared level 7") }
            expectation.fulfill()
        }
        wait(for: [expectation], timeout: 10)

        let plain = try AdaptiveModel(graph: try ModelLoader.load(Kit.fixture("models/digits_mlp.onnx")))
        XCTAssertEqual(plain.topLevel, 0)
        Kit.assertThrows("the model has no sparsity ladder (only level 0)") { try plain.switchTo(level: 1) }
        try plain.switchTo(level: 0)

        Kit.assertThrows("memory budget -1 bytes is negative") { _ = try AdaptiveModel(graph: g, options: .init(memoryBudgetBytes: -1)) }
        Kit.assertThrows("initial level 5 is outside") { _ = try AdaptiveModel(graph: g, options: .init(initialLevel: 5)) }
        Kit.assertThrows("batch must be at least 1") { _ = try AdaptiveModel(graph: g, options: .init(batch: 0)) }
    }

    /// A prepare that fails (here through the test seam) leaves the active level running and
    /// kept, and is counted; the same level prepares once the fault is gone.
    func testFailedPrepareLeavesTheActiveLevelRunning() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        try model.switchTo(level: 1)
        let x = try Kit.mlpSamples(1)[0]
        let before = Kit.bytes(try model.infer(input: x))
        model.prepareFault = { level in
            if level == 2 { throw EdgePruneError(.limit, "injected: no memory for level 2") }
        }
        Kit.assertThrows("injected: no memory for level 2") { try model.switchTo(level: 2) }
        XCTAssertEqual(model.activeLevel, 1)
        XCTAssertEqual(Kit.bytes(try model.infer(input: x)), before)
        XCTAssertEqual(model.stats.failedPrepares, 1)
        XCTAssertFalse(model.preparedLevels.contains(2))

        let done = expectation(description: "async failure")
        model.prepareAsync(level: 2) { result in
            if case .success = result { XCTFail("prepared despite the fault") }
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
        XCTAssertEqual(model.stats.failedPrepares, 2)
        XCTAssertEqual(model.activeLevel, 1)

        model.prepareFault = nil
        try model.switchTo(level: 2)
        XCTAssertEqual(model.activeLevel, 2)
    }

    /// prepareAsync builds on the background thread; the switch afterwards is a cache hit.
    func testPrepareAsyncThenSwitchIsACacheHit() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        let done = expectation(description: "prepared")
        let box = SwitchResultBox()
        model.prepareAsync(level: 3) { result in
            box.set(result)
            done.fulfill()
        }
        wait(for: [done], timeout: 30)
        let r = try XCTUnwrap(box.get()).get()
        XCTAssertEqual(r.level, 3)
        XCTAssertTrue(r.measuredFormats)
        let hits = model.stats.cacheHits
        try model.switchTo(level: 3)
        XCTAssertEqual(model.stats.cacheHits, hits + 1)
        XCTAssertEqual(model.activeLevel, 3)
    }

    /// The first inference after a switch records a swap pause; inferences without a switch do not.
    func testSwapPauseIsRecordedOncePerSwitch() throws {
        let g = try Kit.ladderModel("digits_mlp")
        let model = try AdaptiveModel(graph: g)
        let x = try Kit.mlpSamples(1)[0]
        for _ in 0..<3 { _ = try model.infer(input: x) }
        XCTAssertEqual(model.stats.swapPausesObserved, 0)
        try model.switchTo(level: 2)
        for _ in 0..<3 { _ = try model.infer(input: x) }
        try model.switchTo(level: 1)
        _ = try model.infer(input: x)
        let s = model.stats
        XCTAssertEqual(s.swapPausesObserved, 2)
        XCTAssertEqual(model.recentSwapPauses().count, 2)
        XCTAssertGreaterThan(try XCTUnwrap(s.maxSwapPauseSeconds), 0)
        XCTAssertLessThan(try XCTUnwrap(s.maxSwapPauseSeconds), 0.1)
        XCTAssertNotNil(s.maxSwapHoldSeconds)
    }
}

/// A thread-safe slot for a completion's result.
final class SwitchResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<AdaptiveModel.PrepareResult, Error>?
    func set(_ v: Result<AdaptiveModel.PrepareResult, Error>) { lock.lock(); value = v; lock.unlock() }
    func get() -> Result<AdaptiveModel.PrepareResult, Error>? { lock.lock(); defer { lock.unlock() }; return value }
}
