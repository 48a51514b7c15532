import XCTest
import EdgePruneCore
import EdgePruneONNX
import Foundation
@testable import EdgePrunePruning

/// Properties every ladder must have, for every method and granularity: the achieved sparsity is
/// the requested one, levels are nested, patterns hold, protected layers stay untouched.
final class PrunerTests: XCTestCase {
    let levels = [0.3, 0.5, 0.7, 0.9]

    func prune(_ options: PruneOptions, model: String = "digits_mlp", labels: Bool = true, protect: [String]?? = nil) throws -> (Graph, PruneOutcome) {
        let g = try PruningTestKit.model(model)
        let data = try PruningTestKit.calib(model == "digits_cnn" ? "cnn" : "mlp", graph: g, labels: labels, limit: 400)
        return (g, try Pruner.prune(g, options: options, data: data))
    }

    /// Kept sets shrink level by level: a weight zero at level L is zero at every level above.
    func assertNested(_ g: Graph, file: StaticString = #filePath, line: UInt = #line) throws {
        let ladder = try XCTUnwrap(g.ladder)
        for (name, _) in ladder.codes {
            var previous = try g.atLadderLevel(0).initializers[name]!.floats
            for level in 1...ladder.topLevel {
                let w = try g.atLadderLevel(level).initializers[name]!.floats
                for i in w.indices where previous[i] == 0 && w[i] != 0 {
                    return XCTFail("\(name)[\(i)] is zero at level \(level - 1) but kept at \(level)", file: file, line: line)
                }
                previous = w
            }
        }
    }

    func testEveryMethodAndWeightGranularityHitsTheRequestedSparsityAndNests() throws {
        for method in [ImportanceMethod.magnitude, .magnitudeL2, .activation, .apoz, .ib, .sensitivity] {
            for granularity in [Granularity.unstructured, .block(rows: 4, cols: 1), .block(rows: 1, cols: 4)] {
                for scope in [PruneScope.global, .layer] where !(method == .sensitivity && scope == .layer) {
                    let what = "\(method.rawValue) \(granularity) \(scope)"
                    let (g, out) = try prune(PruningTestKit.options(levels, method: method, granularity: granularity, scope: scope))
                    let ladder = try XCTUnwrap(out.graph.ladder, what)
                    XCTAssertEqual(ladder.topLevel, levels.count, what)
                    for (k, s) in levels.enumerated() {
                        XCTAssertEqual(ladder.levels[k + 1].sparsity, s, accuracy: 0.005, "\(what) level \(k + 1)")
                        if scope == .layer {
                            for (w, ls) in ladder.levels[k + 1].layerSparsity {
                                XCTAssertEqual(ls, s, accuracy: 0.02, "\(what) level \(k + 1) layer \(w)")
                            }
                        }
                    }
                    try assertNested(out.graph)
                    // Default protection: first and last layer bit-identical at every level.
                    let layers = PrunableLayers.find(g)
                    for p in [layers.first!, layers.last!] {
                        XCTAssertNil(ladder.codes[p.weight], what)
                        XCTAssertEqual(try out.graph.atLadderLevel(ladder.topLevel).initializers[p.weight]!.floats,
                                       g.initializers[p.weight]!.floats, what)
                    }
                }
            }
        }
    }

    func testBlockLevelsRemoveWholeBlocks() throws {
        let (g, out) = try prune(PruningTestKit.options([0.5, 0.8], granularity: .block(rows: 4, cols: 1), protect: []))
        for layer in PrunableLayers.find(g) where layer.rows % 4 == 0 {
            let w = try out.graph.atLadderLevel(2).initializers[layer.weight]!.floats
            for r0 in stride(from: 0, to: layer.rows, by: 4) {
                for c in 0..<layer.cols {
                    let block = (r0..<r0 + 4).map { w[layer.index(row: $0, col: c)] == 0 }
                    XCTAssertTrue(block.allSatisfy { $0 } || block.allSatisfy { !$0 }, "\(layer.weight) block (\(r0), \(c)) partly pruned")
                }
            }
        }
    }

    func testNMPatternHoldsAtEveryLevel() throws {
        for (n, m, levels) in [(2, 4, [0.5, 0.75]), (4, 8, [0.5, 0.75, 0.875])] {
            let (g, out) = try prune(PruningTestKit.options(levels, granularity: .nm(n: n, m: m)))
            let layer = try XCTUnwrap(PrunableLayers.find(g).dropFirst().first)
            for (k, s) in levels.enumerated() {
                let keep = Int((Double(m) * (1 - s)).rounded())
                let w = try out.graph.atLadderLevel(k + 1).initializers[layer.weight]!.floats
                for r in 0..<layer.rows {
                    for c0 in stride(from: 0, to: layer.cols, by: m) {
                        let nonzero = (c0..<min(c0 + m, layer.cols)).filter { w[layer.index(row: r, col: $0)] != 0 }.count
                        XCTAssertLessThanOrEqual(nonzero, keep, "nm:\(n):\(m) level \(k + 1) row \(r) group \(c0)")
                    }
                }
                XCTAssertEqual(out.graph.ladder!.levels[k + 1].sparsity, s, accuracy: 0.005)
            }
            try assertNested(out.graph)
        }
    }

    func testNMRejectsLevelsThePatternCannotExpress() throws {
        let g = try PruningTestKit.model("digits_mlp")
        XCTAssertThrowsError(try Pruner.prune(g, options: PruningTestKit.options([0.3], granularity: .nm(n: 2, m: 4)), data: nil)) {
            XCTAssertTrue("\($0)".contains("0.5, 0.75"), "\($0)")
        }
    }

    func testGlobalMagnitudeOnTheWideMLPKeepsAccuracyAt80Percent() throws {
        let g = try PruningTestKit.model("digits_mlp1024")
        let dense = try PruningTestKit.accuracy(g, level: 0, kind: "mlp")
        let out = try Pruner.prune(g, options: PruningTestKit.options([0.8], protect: []), data: nil)
        XCTAssertEqual(out.graph.ladder!.levels[1].sparsity, 0.8, accuracy: 0.005)
        let pruned = try PruningTestKit.accuracy(out.graph, level: 1, kind: "mlp")
        XCTAssertGreaterThanOrEqual(pruned, dense - 0.005, "global magnitude at 80%: \(pruned) vs dense \(dense)")
    }

    func testChannelLaddersCompactToTheMaskedModel() throws {
        let (_, out) = try prune(PruningTestKit.options([0.25, 0.5], granularity: .channel, scope: .layer), model: "digits_cnn")
        let (x, _) = try PruningTestKit.testData("cnn")
        for level in 1...2 {
            let masked = try InferenceSession(graph: try out.graph.atLadderLevel(level)).run(["input": x])["logits"]!.floats
            let compactGraph = try PrunedLevels.graph(out.graph, level: level)
            let compact = try InferenceSession(graph: compactGraph).run(["input": x])["logits"]!.floats
            XCTAssertLessThanOrEqual(zip(masked, compact).map { abs($0 - $1) }.max()!, 1e-5, "level \(level)")
            let params = compactGraph.initializers.values.reduce(0) { $0 + $1.count }
            XCTAssertLessThan(params, out.graph.initializers.values.reduce(0) { $0 + $1.count }, "level \(level) did not shrink")
        }
        try assertNested(out.graph)
        // Half the channels of the prunable groups (conv2 and the hidden Gemm; conv1 is protected).
        XCTAssertEqual(out.graph.ladder!.levels[2].sparsity, 0.5, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(Double(out.reports[0].stats.macs) / Double(out.reports[2].stats.macs), 1.8)
        XCTAssertGreaterThanOrEqual(Double(out.reports[0].stats.parameters) / Double(out.reports[2].stats.parameters), 1.8)
    }

    /// Residual Add (coupled groups), Concat (offset slices), depthwise convs: every channel
    /// ladder level compacts to a model that computes what the masked model computes.
    func testChannelLaddersOnResidualConcatAndDepthwiseModels() throws {
        for name in ["tiny_resnet_op17", "squeezenet1_1_op11", "mobilenet_v2_w050_op13", "inception_block_op15", "dwsep_residual_op17"] {
            let g = try ModelLoader.load(PruningTestKit.fixture("zoo/\(name)/model.onnx"))
            let x = try NPY.read(PruningTestKit.fixture("zoo/\(name)/input.npy"))
            let out = try Pruner.prune(g, options: PruningTestKit.options([0.3, 0.5], granularity: .channel, scope: .layer, protect: []), data: nil)
            try assertNested(out.graph)
            let inputName = g.runtimeInputs[0].name
            for level in 1...2 {
                let masked = try InferenceSession(graph: try out.graph.atLadderLevel(level)).run([inputName: x])
                let compactGraph = try PrunedLevels.graph(out.graph, level: level)
                let compact = try InferenceSession(graph: compactGraph).run([inputName: x])
                for (k, v) in masked {
                    XCTAssertLessThanOrEqual(zip(v.floats, compact[k]!.floats).map { abs($0 - $1) }.max() ?? 0, 1e-4, "\(name) level \(level) \(k)")
                }
                XCTAssertLessThan(out.reports[level].stats.macs, out.reports[level - 1].stats.macs, "\(name) level \(level)")
            }
        }
    }

    func testAccuracyFloorStopsTheLadderAndSaysSo() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: g, limit: 400)
        var options = PruningTestKit.options([0.3, 0.9, 0.99], protect: [])
        options.maxLayerSparsity = 1
        let free = try Pruner.prune(g, options: options, data: data)
        let accuracies = free.graph.ladder!.levels.map { $0.accuracy! }
        XCTAssertLessThan(accuracies[3], accuracies[1], "99% sparsity should cost accuracy")
        options.accuracyFloor = (accuracies[1] + accuracies[3]) / 2
        let floored = try Pruner.prune(g, options: options, data: data)
        let ladder = floored.graph.ladder!
        XCTAssertLessThan(ladder.topLevel, 3)
        XCTAssertTrue(ladder.levels.dropFirst().allSatisfy { $0.accuracy! >= options.accuracyFloor! })
        XCTAssertNotNil(floored.floorNote)
        XCTAssertTrue(ladder.codes.values.allSatisfy { $0.allSatisfy { Int($0) <= ladder.topLevel } })
    }

    func testGradualScheduleRescoresAndStaysNested() throws {
        let levels = try Schedule.cubic(target: 0.8, steps: 4)
        var options = PruningTestKit.options(levels, method: .activation)
        options.rescore = true
        let (_, out) = try prune(options)
        try assertNested(out.graph)
        for (k, s) in levels.enumerated() { XCTAssertEqual(out.graph.ladder!.levels[k + 1].sparsity, s, accuracy: 0.005) }
    }

    func testBadOptionsFailBeforeAnyWork() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: g, labels: false, limit: 10)
        let labelled = try PruningTestKit.calib("mlp", graph: g, limit: 10)
        let cases: [(PruneOptions, CalibrationData?, String)] = [
            (PruningTestKit.options([1.0]), nil, "outside (0, 1)"),
            (PruningTestKit.options([-0.1]), nil, "outside (0, 1)"),
            (PruningTestKit.options([0.5, 0.3]), nil, "ascending"),
            (PruningTestKit.options([0.5], method: .activation), nil, "needs calibration data"),
            (PruningTestKit.options([0.5], method: .ib), data, "needs labels"),
            (PruningTestKit.options([0.5], method: .sensitivity, scope: .layer), nil, "--scope global"),
            (PruningTestKit.options([0.5], method: .taylor), labelled, "gradients"),
            (PruningTestKit.options([0.5], protect: ["missing"]), nil, "'missing'"),
        ]
        for (options, d, fragment) in cases {
            XCTAssertThrowsError(try Pruner.prune(g, options: options, data: d), fragment) {
                XCTAssertTrue("\($0)".contains(fragment), "'\($0)' lacks '\(fragment)'")
            }
        }
    }
}
