import XCTest
@testable import EdgePruneCore
import EdgePrunePruning
@testable import EdgePruneAdaptive

/// The pieces prepare is built from: the pre-sorted ladder masker (identical to
/// Graph.atLadderLevel) and the Core support for re-planning with recorded formats
/// (ExecutionPlan.weightFormats fed back as KernelPolicy.layerFormats).
final class SwitchingCoreSupportTests: XCTestCase {
    func testMaskerMatchesAtLadderLevelAtEveryLevel() throws {
        for granularity in [Granularity.unstructured, .block(rows: 16, cols: 1)] {
            let g = try SwitchingTestKit.ladderModel("digits_mlp", granularity: granularity)
            let ladder = try XCTUnwrap(g.ladder)
            let masker = try LadderMasker(graph: g, ladder: ladder)
            for level in 0...ladder.topLevel {
                let fast = try masker.graph(g, level: level)
                let slow = try g.atLadderLevel(level)
                XCTAssertEqual(Set(fast.initializers.keys), Set(slow.initializers.keys))
                for (name, t) in slow.initializers {
                    XCTAssertEqual(SwitchingTestKit.bytes(fast.initializers[name]!), SwitchingTestKit.bytes(t), "\(granularity) level \(level) \(name)")
                }
            }
            XCTAssertThrowsError(try masker.graph(g, level: ladder.topLevel + 1))
            // The stored weights are not touched by masking.
            for (name, t) in g.initializers { XCTAssertEqual(SwitchingTestKit.bytes(t), SwitchingTestKit.bytes(try g.atLadderLevel(0).initializers[name]!)) }
        }
    }

    /// Recovered level weights: the fast masker writes what `atLadderLevel` writes.
    func testLadderMaskerUsesRecoveredLevelWeights() throws {
        var g = try SwitchingTestKit.ladderModel("digits_mlp", granularity: .unstructured)
        var ladder = try XCTUnwrap(g.ladder)
        let top = ladder.topLevel
        for (name, codes) in ladder.codes {
            ladder.levelWeights[top, default: [:]][name] = (0..<ladder.keptCount(codes, level: top)).map { Float($0 % 7) - 3 }
        }
        let bias = try XCTUnwrap(g.initializers.keys.sorted().first { ladder.codes[$0] == nil && g.initializers[$0]!.dtype == .float32 })
        ladder.levelWeights[top]![bias] = (0..<g.initializers[bias]!.count).map { Float($0) }
        g.ladder = ladder
        let masker = try LadderMasker(graph: g, ladder: ladder)
        for level in 0...top {
            let fast = try masker.graph(g, level: level), slow = try g.atLadderLevel(level)
            for (name, t) in slow.initializers {
                XCTAssertEqual(SwitchingTestKit.bytes(fast.initializers[name]!), SwitchingTestKit.bytes(t), "level \(level) \(name)")
            }
        }
        let name = try XCTUnwrap(ladder.codes.keys.sorted().first)
        XCTAssertNotEqual(SwitchingTestKit.bytes(try masker.graph(g, level: top).initializers[name]!),
                          SwitchingTestKit.bytes(try g.atLadderLevel(top - 1 > 0 ? top - 1 : 0).initializers[name]!))
    }

    /// The branch-free count agrees with `!= 0` on signed zeros, NaN, infinities and denormals.
    func testCountNonzerosMatchesComparison() {
        var values: [Float] = [0, -0, 1, -1, .nan, -.nan, .infinity, -.infinity, .leastNonzeroMagnitude,
                               -.leastNonzeroMagnitude, .greatestFiniteMagnitude]
        var state: UInt64 = 99
        for _ in 0..<1000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(state % 3 == 0 ? 0 : Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32)))
        }
        let expected = values.filter { $0 != 0 }.count
        values.withUnsafeBufferPointer { p in
            XCTAssertEqual(LinearFormats.countNonzeros(p.baseAddress!, p.count), expected)
            XCTAssertEqual(LinearFormats.countNonzeros(p.baseAddress!, 2), 0)
            let n = values.count
            XCTAssertEqual(LinearFormats.zeroFraction(rows: 1, cols: n, w: p.baseAddress!, rs: n, cs: 1), Double(n - expected) / Double(n))
        }
        XCTAssertEqual(ExecutionPlan.bracketedFormat("ep_f32_linear_csr_minmax_ukernel_1x16__avx2_fma+relu [csr, 90.0% zeros, forced]"), "csr")
        XCTAssertEqual(ExecutionPlan.bracketedFormat("k [nm2:4]"), "nm2:4")
        XCTAssertNil(ExecutionPlan.bracketedFormat("ep_f32_gemm_minmax_ukernel_6x16__avx2_fma"))
        XCTAssertNil(ExecutionPlan.bracketedFormat("k []"))
    }

    func testRecordedFormatsReplanTheSameKernels() throws {
        let g = try SwitchingTestKit.ladderModel("digits_mlp1024")
        let level3 = try GraphPasses.optimize(try g.atLadderLevel(3))
        let shapes = ["input": [1, 64]].filter { k, _ in level3.runtimeInputs.contains { $0.name == k } }
        let inputShapes = shapes.isEmpty ? [level3.runtimeInputs[0].name: [1, 64]] : shapes
        let csr = try Planner.plan(level3, inputShapes: inputShapes, policy: KernelPolicy(linearFormat: "csr"))
        let formats = csr.weightFormats
        XCTAssertFalse(formats.isEmpty)
        XCTAssertTrue(formats.values.allSatisfy { $0 == "csr" }, "\(formats)")
        // A per-layer map beats the global format, layer by layer.
        var mixed = formats
        let first = formats.keys.sorted()[0]
        mixed[first] = "gemm"
        let replanned = try Planner.plan(level3, inputShapes: inputShapes, policy: KernelPolicy(linearFormat: "csr", layerFormats: mixed))
        XCTAssertEqual(replanned.weightFormats, mixed)
        // Measured formats fed back give the same kernels without measuring.
        let measured = try Planner.plan(level3, inputShapes: inputShapes)
        let again = try Planner.plan(level3, inputShapes: inputShapes, policy: KernelPolicy(layerFormats: measured.weightFormats))
        XCTAssertEqual(again.weightFormats, measured.weightFormats)
        XCTAssertEqual(again.steps.map(\.kernel).map { $0.split(separator: "[").first }, measured.steps.map(\.kernel).map { $0.split(separator: "[").first })
    }
}
