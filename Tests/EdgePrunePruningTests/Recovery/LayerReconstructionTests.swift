import EdgePruneCore
import EdgePruneONNX
import Foundation
import XCTest
@testable import EdgePrunePruning

/// Layer reconstruction: the least-squares answer where it is known in closed form, never worse
/// than masking on the inputs it was fitted on, level 0 and the masks untouched, the recovered
/// weights through .epm, and bad input stopped with a clear message.
final class LayerReconstructionTests: XCTestCase {
    /// A Gemm (transB = 1, with bias) or a MatMul (weight [inputs, outputs], no bias) with a
    /// one-level ladder pruning the elements listed in `pruned` ((row, col) pairs).
    static func layer(_ w: [[Float]], bias: [Float]?, matmul: Bool = false, pruned: [(Int, Int)]) -> Graph {
        let rows = w.count, cols = w[0].count
        var g: Graph
        if matmul {
            var stored = [Float](repeating: 0, count: rows * cols)
            for r in 0..<rows { for c in 0..<cols { stored[c * rows + r] = w[r][c] } }
            g = Graph(name: "mm", nodes: [Node(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(cols)])],
                      outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(rows)])],
                      initializers: ["W": Tensor(stored, shape: [cols, rows])])
        } else {
            g = EvaluationTestKit.gemm(w.flatMap { $0 }, outputs: rows, inputs: cols, bias: bias!)
        }
        let layer = PrunableLayers.find(g)[0]
        var codes = [UInt8](repeating: 0, count: rows * cols)
        for (r, c) in pruned { codes[layer.index(row: r, col: c)] = 1 }
        g.ladder = SparsityLadder(method: "test", granularity: "unstructured", scope: "layer",
                                  levels: [LadderLevel(sparsity: 0), LadderLevel(sparsity: Double(pruned.count) / Double(rows * cols))],
                                  codes: ["W": codes])
        return g
    }

    /// Samples whose third input is an affine function of the first two: x2 = 2 x0 - x1 + shift.
    static func collinearData(_ graph: Graph, samples: Int = 40, shift: Float) throws -> CalibrationData {
        let a = EvaluationTestKit.values(samples, seed: 1), b = EvaluationTestKit.values(samples, seed: 2)
        var x: [Float] = []
        for n in 0..<samples { x += [a[n], b[n], 2 * a[n] - b[n] + shift] }
        return try CalibrationData(inputs: Tensor(x, shape: [samples, 3]), labels: nil, for: graph)
    }

    static let tiny = LayerReconstruction.Options(damping: 1e-12)

    /// y = w0 x0 + w1 x1 + w2 x2 + b with x2 = 2 x0 - x1 + 3 and w2 pruned: the exact fit folds w2
    /// into the kept weights and the bias, w0' = w0 + 2 w2, w1' = w1 - w2, b' = b + 3 w2. A row
    /// with nothing kept keeps only its bias, re-fitted to the mean of its dense outputs.
    func testGemmWithBiasFoldsAPrunedCollinearInputIntoKeptWeightsAndBias() throws {
        let w: [[Float]] = [[0.5, -1.0, 0.25], [2.0, 0.5, -0.75], [0.3, -0.2, 0.9]]
        let bias: [Float] = [0.1, -0.2, 0.4]
        let g = Self.layer(w, bias: bias, pruned: [(0, 2), (1, 2), (2, 0), (2, 1), (2, 2)])
        let data = try Self.collinearData(g, shift: 3)
        let (weights, report) = try LayerReconstruction.reconstruct(g, data: data, options: Self.tiny)
        let level = try XCTUnwrap(weights[1])
        XCTAssertEqual(Set(level.keys), ["W", "b"], "the weight's kept values and the whole bias")
        let kept = try XCTUnwrap(level["W"])
        XCTAssertEqual(kept.count, 4, "rows 0 and 1 keep two weights each, row 2 none")
        let want: [Float] = [0.5 + 2 * 0.25, -1.0 - 0.25, 2.0 + 2 * -0.75, 0.5 + 0.75]
        for (k, (got, expected)) in zip(kept, want).enumerated() { XCTAssertEqual(got, expected, accuracy: 1e-4, "kept value \(k)") }
        let b = try XCTUnwrap(level["b"])
        XCTAssertEqual(b[0], 0.1 + 3 * 0.25, accuracy: 1e-4)
        XCTAssertEqual(b[1], -0.2 + 3 * -0.75, accuracy: 1e-4)
        // Row 2 keeps nothing: its best constant is the mean of 0.3 x0 - 0.2 x1 + 0.9 x2 + 0.4.
        let x = data.inputs.floats
        var mean = 0.0
        for n in 0..<data.samples { mean += Double(0.3 * x[3 * n] - 0.2 * x[3 * n + 1] + 0.9 * x[3 * n + 2] + 0.4) }
        XCTAssertEqual(Double(b[2]), mean / Double(data.samples), accuracy: 1e-4)

        let layerReport = try XCTUnwrap(report.layers.first)
        XCTAssertEqual(report.layers.count, 1)
        XCTAssertEqual(layerReport.bias, "b")
        XCTAssertEqual(layerReport.calibrationRows, 40)
        XCTAssertGreaterThan(layerReport.maskedError, 0.01, "masking loses the x2 term")
        XCTAssertLessThan(layerReport.reconstructedError, layerReport.maskedError)
        XCTAssertEqual(report.skipped, [])
    }

    /// Without a bias (MatMul) the same fold works when x2 is a combination of the kept inputs
    /// alone (shift 0); the weight is stored [inputs, outputs] and read through its layout.
    func testMatMulWithoutBiasIsFittedWithoutAnIntercept() throws {
        let w: [[Float]] = [[0.5, -1.0, 0.25], [1.0, 1.0, 1.0]]
        let g = Self.layer(w, bias: nil, matmul: true, pruned: [(0, 2), (1, 0)])
        let data = try Self.collinearData(g, shift: 0)
        let (weights, report) = try LayerReconstruction.reconstruct(g, data: data, options: Self.tiny)
        let kept = try XCTUnwrap(weights[1]?["W"])
        XCTAssertEqual(Set(weights[1]!.keys), ["W"], "no bias to re-fit")
        // Element order of W [3, 2]: (c0: r0 r1) (c1: r0 r1) (c2: r0 r1); pruned (r0, c2) and (r1, c0).
        // Row 0: x2 = 2 x0 - x1 -> (0.5 + 0.5, -1 - 0.25). Row 1 keeps x1, x2 and loses x0 = (x1 + x2) / 2.
        let want: [Float] = [1.0, -1.25, 1.5, 1.5]
        for (k, (got, expected)) in zip(kept, want).enumerated() { XCTAssertEqual(got, expected, accuracy: 1e-4, "kept value \(k)") }
        XCTAssertNil(report.layers.first?.bias)
        XCTAssertLessThan(report.layers[0].reconstructedError, 1e-6)
    }

    /// An input that is zero in every calibration sample carries no information about its weight:
    /// the ridge fit (anchor zero) sets that weight to 0, the dense anchor keeps its dense value.
    /// Where the data does pin the weights down, both give the exact fit (up to the damping).
    func testDampingAnchorDecidesWeightsTheDataDoesNotSee() throws {
        let w: [[Float]] = [[0.5, -1.0, 0.25, 2.0]]
        var g = EvaluationTestKit.gemm(w[0], outputs: 1, inputs: 4, bias: [0.1])
        g.ladder = SparsityLadder(method: "test", granularity: "unstructured", scope: "layer",
                                  levels: [LadderLevel(sparsity: 0), LadderLevel(sparsity: 0.25)], codes: ["W": [0, 0, 0, 1]])
        let a = EvaluationTestKit.values(30, seed: 3), b = EvaluationTestKit.values(30, seed: 4)
        var x: [Float] = []
        for n in 0..<30 { x += [a[n], b[n], 0, a[n] + b[n]] }  // x2 never non-zero; x3 = x0 + x1
        let data = try CalibrationData(inputs: Tensor(x, shape: [30, 4]), labels: nil, for: g)
        for anchor in DampingAnchor.allCases {
            let (weights, report) = try LayerReconstruction.reconstruct(g, data: data, options: .init(damping: 1e-6, anchor: anchor))
            let kept = try XCTUnwrap(weights[1]?["W"])
            XCTAssertEqual(report.anchor, anchor)
            XCTAssertEqual(kept[0], 2.5, accuracy: 1e-3, "\(anchor): x3's weight folds into x0's")
            XCTAssertEqual(kept[1], 1.0, accuracy: 1e-3, "\(anchor): and into x1's")
            XCTAssertEqual(kept[2], anchor == .zero ? 0 : 0.25, "\(anchor): the unseen input's weight")
        }
    }

    /// On the digits MLP with every layer pruned at two levels: on the inputs each layer was fitted
    /// on (the level's model with the earlier layers re-fitted), its re-fitted weights reproduce
    /// the dense layer's outputs at least as well as the masked weights with the dense bias, and
    /// the whole re-fitted level is closer to the dense logits than the masked level.
    func testReconstructionIsNeverWorseThanMaskingOnItsCalibrationInputs() throws {
        let model = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: model, labels: false, limit: 300)
        var g = EvaluationTestKit.magnitudeLadder(model, sparsities: [0.7, 0.95])
        let (weights, report) = try LayerReconstruction.reconstruct(g, data: data)
        g.ladder!.levelWeights = weights
        XCTAssertEqual(report.layers.count, 6, "3 layers x 2 levels")
        let layers = PrunableLayers.find(model)
        let denseOut = try LayerActivations.capture(model, values: layers.map { outputOf($0, model) }, data: data, what: "dense", level: 0,
                                                    makeSession: { try InferenceSession(graph: $0) })
        for level in 1...2 {
            let recon = try g.atLadderLevel(level)
            var plain = g
            plain.ladder!.levelWeights = [:]
            let masked = try plain.atLadderLevel(level)
            for layer in layers {
                let x = try LayerActivations.capture(recon, values: [layer.input], data: data, what: "test", level: level,
                                                     makeSession: { try InferenceSession(graph: $0) })[layer.input]!
                let y = denseOut[outputOf(layer, model)]!
                let bias = model.nodes.first { $0.inputs.count > 1 && $0.inputs[1] == layer.weight }!.inputs[2]
                let eRecon = Self.error(layer, weight: recon.initializers[layer.weight]!.floats, bias: recon.initializers[bias]!.floats, x: x, y: y)
                let eMasked = Self.error(layer, weight: masked.initializers[layer.weight]!.floats, bias: model.initializers[bias]!.floats, x: x, y: y)
                XCTAssertLessThanOrEqual(eRecon, eMasked * (1 + 1e-5) + 1e-6, "level \(level) \(layer.node)")
                let r = try XCTUnwrap(report.layers.first { $0.level == level && $0.weight == layer.weight })
                let energy = y.values.reduce(0) { $0 + Double($1) * Double($1) }
                XCTAssertEqual(r.reconstructedError, eRecon / energy, accuracy: 1e-3 * max(1, r.reconstructedError), "level \(level) \(layer.node): reported error")
                XCTAssertEqual(r.maskedError, eMasked / energy, accuracy: 1e-3 * max(1, r.maskedError), "level \(level) \(layer.node): reported masked error")
            }
            let logits = layers.last.map { outputOf($0, model) }!
            func logitError(_ graph: Graph) throws -> Double {
                let out = try LayerActivations.capture(graph, values: [logits], data: data, what: "test", level: level,
                                                       makeSession: { try InferenceSession(graph: $0) })[logits]!
                return zip(out.values, denseOut[logits]!.values).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            }
            XCTAssertLessThan(try logitError(recon), try logitError(masked), "level \(level): re-fitted logits are closer to the dense ones")
        }
    }

    /// Squared error of x · Wᵀ + b against y, in Double.
    static func error(_ layer: PrunableLayer, weight: [Float], bias: [Float], x: LayerActivations.Matrix, y: LayerActivations.Matrix) -> Double {
        var e = 0.0
        for n in 0..<x.rows {
            for r in 0..<layer.rows {
                var s = Double(bias[r])
                for c in 0..<layer.cols { s += Double(weight[layer.index(row: r, col: c)]) * Double(x.values[n * layer.cols + c]) }
                let d = s - Double(y.values[n * layer.rows + r])
                e += d * d
            }
        }
        return e
    }

    func outputOf(_ layer: PrunableLayer, _ graph: Graph) -> String {
        graph.nodes.first { $0.inputs.count > 1 && $0.inputs[1] == layer.weight }!.outputs[0]
    }

    /// Level 0 is the stored model, the masks are the ladder's at every level (pruned elements
    /// zero, nothing beyond the kept set), and the recovered weights survive .epm.
    func testLevelZeroAndMasksUntouchedAndLevelWeightsRoundTripThroughEPM() throws {
        let model = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: model, labels: false, limit: 200)
        var g = EvaluationTestKit.magnitudeLadder(model, sparsities: [0.5, 0.9])
        let (weights, _) = try LayerReconstruction.reconstruct(g, data: data)
        XCTAssertEqual(Set(weights.keys), [1, 2], "levels 1...n, never level 0")
        g.ladder!.levelWeights = weights
        try g.ladder!.validate(against: g)
        let level0 = try g.atLadderLevel(0)
        for (name, t) in model.initializers { XCTAssertEqual(level0.initializers[name]?.floats, t.floats, "level 0 keeps '\(name)'") }
        for level in 1...2 {
            let l = try g.atLadderLevel(level)
            for (name, codes) in g.ladder!.codes {
                let w = l.initializers[name]!.floats
                for i in 0..<codes.count where !SparsityLadder.kept(code: codes[i], level: level) {
                    XCTAssertEqual(w[i], 0, "level \(level) '\(name)' element \(i) is pruned")
                }
                XCTAssertNotEqual(w, try plainLevel(g, level).initializers[name]!.floats, "level \(level) '\(name)' was re-fitted")
            }
        }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).epm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try EPMWriter.write(g, to: path)
        let back = try ModelLoader.load(path)
        XCTAssertEqual(back.ladder?.levelWeights, weights)
        for level in 0...2 {
            let a = try g.atLadderLevel(level), b = try back.atLadderLevel(level)
            for name in model.initializers.keys { XCTAssertEqual(a.initializers[name]?.floats, b.initializers[name]?.floats, "level \(level) '\(name)'") }
        }
    }

    func plainLevel(_ g: Graph, _ level: Int) throws -> Graph {
        var p = g
        p.ladder!.levelWeights = [:]
        return try p.atLadderLevel(level)
    }

    /// Pruner with `recover: .reconstruct` measures the re-fitted levels (the stored accuracies
    /// are those of the levels with their recovered weights) and reports what it did; bad
    /// options are refused before any work.
    func testPrunerMeasuresReconstructedLevels() throws {
        let model = try PruningTestKit.model("digits_mlp")
        let data = try PruningTestKit.calib("mlp", graph: model, limit: 400)
        var options = PruningTestKit.options([0.9, 0.95], protect: [])
        options.recover = .reconstruct
        let outcome = try Pruner.prune(model, options: options, data: data)
        let ladder = try XCTUnwrap(outcome.graph.ladder)
        XCTAssertEqual(Set(ladder.levelWeights.keys), [1, 2])
        XCTAssertEqual(outcome.recovery?.layers.count, 6)
        for level in 0...2 {
            let predicted = try Evaluator.predict(try InferenceSession(graph: try outcome.graph.atLadderLevel(level)), data: data.inputs, batch: 64)
            let acc = Double(zip(predicted, data.labels!).filter { $0 == $1 }.count) / Double(data.samples)
            XCTAssertEqual(ladder.levels[level].accuracy!, acc, accuracy: 1e-12, "level \(level)")
        }
        var plainOptions = options
        plainOptions.recover = nil
        let plain = try Pruner.prune(model, options: plainOptions, data: data)
        XCTAssertEqual(plain.graph.ladder!.codes, ladder.codes, "recovery does not change the masks")
        XCTAssertGreaterThan(ladder.levels[2].accuracy!, plain.graph.ladder!.levels[2].accuracy!, "95% re-fitted beats 95% masked")

        var bad = options
        bad.damping = 0
        XCTAssertThrowsError(try Pruner.prune(model, options: bad, data: data)) { XCTAssertTrue("\($0)".contains("--damping must be a finite number > 0"), "\($0)") }
        bad.damping = .nan
        XCTAssertThrowsError(try Pruner.prune(model, options: bad, data: data)) { XCTAssertTrue("\($0)".contains("--damping"), "\($0)") }
        XCTAssertThrowsError(try Pruner.prune(model, options: options, data: nil)) { XCTAssertTrue("\($0)".contains("needs calibration data (--calib"), "\($0)") }
        var channel = options
        channel.granularity = .channel
        XCTAssertThrowsError(try Pruner.prune(model, options: channel, data: data)) { XCTAssertTrue("\($0)".contains("channel ladders"), "\($0)") }
    }

    /// Two identical inputs kept together make a singular Gram matrix (exactly: all-ones columns,
    /// whose Gram entries are powers of two). A damping far below the rounding of the diagonal
    /// fails the factorisation at every retry (λ × 10, 3 times): that row keeps its masked
    /// weights and is reported; nothing is NaN. A usable damping solves every row at once.
    func testUnsolvableRowsKeepTheirMaskedWeightsAndAreReported() throws {
        let w: [[Float]] = [[0.5, 0.25], [1.0, -2.0]]
        let g = Self.layer(w, bias: nil, matmul: true, pruned: [(1, 1)])
        let data = try CalibrationData(inputs: Tensor([Float](repeating: 1, count: 8), shape: [4, 2]), labels: nil, for: g)
        let (weights, report) = try LayerReconstruction.reconstruct(g, data: data, options: .init(damping: 1e-30))
        let r = try XCTUnwrap(report.layers.first)
        XCTAssertEqual(r.failedRows, 1, "row 0 keeps both identical inputs")
        XCTAssertEqual(r.retriedRows, 1)
        // Element order of W [2, 2]: (c0: r0 r1) (c1: r0 r1); row 1's column 1 is pruned.
        let kept = try XCTUnwrap(weights[1]?["W"])
        XCTAssertEqual(kept, [0.5, -1.0, 0.25], "row 0 masked (= dense); row 1 folds x1 into x0: 1 - 2 = -1")
        XCTAssertTrue(kept.allSatisfy(\.isFinite))

        let (_, fine) = try LayerReconstruction.reconstruct(g, data: data)
        XCTAssertEqual(fine.layers[0].failedRows, 0)
        XCTAssertEqual(fine.layers[0].retriedRows, 0)
    }

    /// A layer whose input holds a NaN (sqrt of a negative input) stops reconstruction with the
    /// level and the sample named.
    func testNonFiniteActivationsAreRefused() throws {
        var g = Self.layer([[1, 2], [3, 4]], bias: [0, 0], pruned: [(0, 1)])
        g.nodes[0].inputs[0] = "s"
        g.nodes.insert(Node(name: "sqrt", opType: "Sqrt", inputs: ["x"], outputs: ["s"]), at: 0)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(2)])]
        let data = try CalibrationData(inputs: Tensor([1, 4, 9, 16, 1, -1], shape: [3, 2]), labels: nil, for: g)
        XCTAssertThrowsError(try LayerReconstruction.reconstruct(g, data: data)) {
            // The dense model already carries the NaN (level 0; the Gemm kernel's clamp may turn it
            // into an infinity): the data does not suit the model.
            XCTAssertTrue("\($0)".contains("dense model at level 0: activation"), "\($0)")
            XCTAssertTrue("\($0)".contains("for calibration sample 2; reconstruction needs finite activations"), "\($0)")
        }
    }

    /// im2col is the runtime's convolution: for grouped (stride 2, pads 1) and depthwise (dilation
    /// 2, asymmetric pads) Convs, every group's patches times the dense weights plus the bias give
    /// the Conv's output at every position of every sample.
    func testConvPatchesReproduceTheConvolution() throws {
        let cases: [(w: [Int], group: Int, attrs: [String: Attribute])] = [
            ([4, 2, 3, 3], 2, ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
            ([4, 1, 3, 3], 4, ["dilations": .ints([2, 2]), "pads": .ints([2, 1, 0, 2])]),
        ]
        for (shape, group, attrs) in cases {
            var attributes = attrs
            attributes["group"] = .int(group)
            let wCount = shape.reduce(1, *)
            let g = Graph(name: "conv", nodes: [Node(name: "c", opType: "Conv", inputs: ["x", "W", "b"], outputs: ["y"], attributes: attributes)],
                          inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(4), .fixed(7), .fixed(6)])],
                          outputs: [ValueInfo(name: "y", dtype: .float32, dims: [])],
                          initializers: ["W": Tensor(EvaluationTestKit.values(wCount, seed: 5), shape: shape),
                                         "b": Tensor(EvaluationTestKit.values(4, seed: 6), shape: [4])])
            let data = try CalibrationData(inputs: Tensor(EvaluationTestKit.values(3 * 4 * 7 * 6, seed: 7), shape: [3, 4, 7, 6]), labels: nil, for: g)
            let layer = PrunableLayers.find(g)[0]
            let target = try LayerReconstruction.Target.make(layer, graph: g).get()
            let acts = try LayerActivations.capture(g, values: ["x", "y"], data: data, what: "test", level: 0,
                                                    makeSession: { try InferenceSession(graph: $0) })
            let patches = try ConvPatches(target.conv!, layer: layer, input: acts["x"]!, output: acts["y"]!, output: "y")
            XCTAssertEqual(patches.positions, 3 * acts["y"]!.shape[2] * acts["y"]!.shape[3])
            let w = g.initializers["W"]!.floats, b = g.initializers["b"]!.floats
            let opg = layer.rows / group
            var worst = 0.0
            for gi in 0..<group {
                let (x, y) = patches.group(gi)
                for o in 0..<opg {
                    let r = gi * opg + o
                    for p in 0..<x.rows {
                        var s = Double(b[r])
                        for c in 0..<layer.cols { s += x.data[c * x.rows + p] * Double(w[layer.index(row: r, col: c)]) }
                        worst = max(worst, abs(s - y.data[o * y.rows + p]))
                    }
                }
            }
            XCTAssertGreaterThan(patches.positions, 3 * 4, "group \(group): a real output plane")
            XCTAssertLessThan(worst, 1e-4, "group \(group): patches x weights = the Conv's output")
        }
    }

    /// The digits CNN (Conv + BatchNorm + Gemm) with every layer pruned: Conv layers are re-fitted
    /// too, each no worse than masking on its inputs, and the re-fitted level is closer to the
    /// dense logits than the masked one.
    func testConvLayersOfTheCNNAreReconstructed() throws {
        let cnn = try PruningTestKit.model("digits_cnn")
        let data = try PruningTestKit.calib("cnn", graph: cnn, labels: false, limit: 128)
        var g = EvaluationTestKit.magnitudeLadder(cnn, sparsities: [0.8])
        let (weights, report) = try LayerReconstruction.reconstruct(g, data: data)
        XCTAssertEqual(report.skipped, [])
        let convs = PrunableLayers.find(cnn).filter { $0.opType == "Conv" }
        XCTAssertFalse(convs.isEmpty)
        for c in convs {
            let r = try XCTUnwrap(report.layers.first { $0.weight == c.weight }, "\(c.node) re-fitted")
            XCTAssertLessThanOrEqual(r.reconstructedError, r.maskedError, c.node)
            XCTAssertLessThan(r.reconstructedError, r.maskedError * 0.9, "\(c.node): the fit gains something")
            XCTAssertNotNil(weights[1]?[c.weight])
        }
        g.ladder!.levelWeights = weights
        try g.ladder!.validate(against: g)
        let logits = cnn.outputs[0].name
        func logitError(_ graph: Graph) throws -> Double {
            let out = try LayerActivations.capture(graph, values: [logits], data: data, what: "test", level: 1,
                                                   makeSession: { try InferenceSession(graph: $0) })[logits]!
            let dense = try LayerActivations.capture(cnn, values: [logits], data: data, what: "test", level: 0,
                                                     makeSession: { try InferenceSession(graph: $0) })[logits]!
            return zip(out.values, dense.values).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        }
        XCTAssertLessThan(try logitError(try g.atLadderLevel(1)), try logitError(try plainLevel(g, 1)))
    }
}
