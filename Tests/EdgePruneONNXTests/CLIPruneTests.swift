import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation
import XCTest

/// `edgeprune prune` end to end: the .epm it writes carries the ladder that was asked for
/// (levels, achieved sparsity, the granularity's pattern, the measured columns), the `--json`
/// report agrees with the file, the levels run through `eval --level` and `export --level`, the
/// accuracy floor cuts the ladder, and every bad input is a clean failure that writes nothing.
final class CLIPruneTests: XCTestCase {
    static let timeout: TimeInterval = 120
    /// How far a level's achieved sparsity may be from the requested one.
    static let sparsityTolerance = 0.005

    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("cli-prune")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    let mlp = CLIFixtures.path("models/digits_mlp.onnx")
    let cnn = CLIFixtures.path("models/digits_cnn.onnx")
    let calibMLP = CLIFixtures.path("digits/calib_x_mlp.npy")
    let calibCNN = CLIFixtures.path("digits/calib_x_cnn.npy")
    let calibY = CLIFixtures.path("digits/calib_y.npy")
    let testMLP = CLIFixtures.path("digits/test_x_mlp.npy")
    let testCNN = CLIFixtures.path("digits/test_x_cnn.npy")
    let testY = CLIFixtures.path("digits/test_y.npy")

    /// Runs the binary; a hang or a crash fails the test here.
    func edgeprune(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIOutcome {
        let o = try CLIRunner.run(binary, args, timeout: Self.timeout)
        assertFinished(o, file: file, line: line)
        return o
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    // MARK: The JSON report

    struct PruneJSON: Decodable {
        let model: String, output: String, method: String, granularity: String, scope: String
        let protected: [String], skipped: [String], floorNote: String?
        let levels: [Level]
        struct Level: Decodable {
            let level: Int, requested: Double?, sparsity: Double, accuracy: Double?, macs: Int, parameters: Int
            let nonzeros: Int, sizeBytes: Int, latencyP50Micros: Double?, layerSparsity: [String: Double]
        }
    }

    /// `edgeprune prune MODEL ARGS --latency-runs 0 --json -o NAME`, then the file it wrote,
    /// checked against the report and against itself:
    /// - the report names the model, the output and the ladder's method, granularity and scope;
    /// - every level's columns in the file equal the report's; level 0 is dense and requested
    ///   nothing; levels ascend in sparsity and never gain non-zeros;
    /// - every level 1...n is within `sparsityTolerance` of its requested sparsity;
    /// - each level's parameters and non-zeros are those of the runnable level
    ///   (`PrunedLevels.graph`), and for weight-level granularities the achieved sparsities
    ///   (overall and per layer) are the zero fractions of the level's weights;
    /// - level 0 keeps the model's weights; no temporary file is left next to the output.
    @discardableResult
    func prune(_ model: String, _ args: [String], name: String,
               file: StaticString = #filePath, line: UInt = #line) throws -> (PruneJSON, Graph) {
        let out = path(name)
        let o = try edgeprune(["prune", model] + args + ["--latency-runs", "0", "--json", "-o", out], file: file, line: line)
        XCTAssertEqual(o.status, 0, o.summary, file: file, line: line)
        XCTAssertEqual(o.stderr, "", "quiet when stderr is not a terminal: \(o.summary)", file: file, line: line)
        let r = try JSONDecoder().decode(PruneJSON.self, from: Data(o.stdout.utf8))
        let graph = try ModelLoader.load(out)
        let ladder = try XCTUnwrap(graph.ladder, "\(out) has no ladder", file: file, line: line)

        XCTAssertEqual(r.model, model, file: file, line: line)
        XCTAssertEqual(r.output, out, file: file, line: line)
        XCTAssertEqual([ladder.method, ladder.granularity, ladder.scope], [r.method, r.granularity, r.scope], file: file, line: line)
        XCTAssertEqual(r.levels.map(\.level), Array(0..<r.levels.count), file: file, line: line)
        XCTAssertEqual(ladder.levels.count, r.levels.count, file: file, line: line)
        XCTAssertEqual(r.levels.first?.sparsity, 0, file: file, line: line)
        XCTAssertNil(r.levels.first?.requested, file: file, line: line)
        for (stored, reported) in zip(ladder.levels, r.levels) {
            let l = reported.level
            XCTAssertEqual(stored.sparsity, reported.sparsity, "level \(l)", file: file, line: line)
            XCTAssertEqual(stored.layerSparsity, reported.layerSparsity, "level \(l)", file: file, line: line)
            XCTAssertEqual(stored.macs, reported.macs, "level \(l)", file: file, line: line)
            XCTAssertEqual(stored.parameters, reported.parameters, "level \(l)", file: file, line: line)
            XCTAssertEqual(stored.nonzeros, reported.nonzeros, "level \(l)", file: file, line: line)
            XCTAssertEqual(stored.sizeBytes, reported.sizeBytes, "level \(l)", file: file, line: line)
            XCTAssertEqual(stored.accuracy, reported.accuracy, "level \(l)", file: file, line: line)
            XCTAssertNil(reported.latencyP50Micros, "--latency-runs 0 measures no latency", file: file, line: line)
            if l > 0 {
                let requested = try XCTUnwrap(reported.requested, "level \(l) has no requested sparsity", file: file, line: line)
                XCTAssertEqual(reported.sparsity, requested, accuracy: Self.sparsityTolerance, "level \(l)", file: file, line: line)
            }

            // Counted as the runtime runs the level: after planning folds BatchNorm into convolutions.
            let planned = try InferenceSession(graph: try PrunedLevels.graph(graph, level: l)).graph
            let (parameters, nonzeros) = Self.counts(planned)
            XCTAssertEqual(reported.parameters, parameters, "level \(l): parameters of the planned level", file: file, line: line)
            XCTAssertEqual(reported.nonzeros, nonzeros, "level \(l): non-zeros of the planned level", file: file, line: line)
            if !ladder.isStructured {
                let masked = try graph.atLadderLevel(l)
                var zeros = 0, total = 0
                for (weight, s) in reported.layerSparsity {
                    let w = try XCTUnwrap(masked.initializers[weight], "layerSparsity names '\(weight)'", file: file, line: line).floats
                    let z = w.filter { $0 == 0 }.count
                    XCTAssertEqual(s, Double(z) / Double(w.count), accuracy: 1e-12, "level \(l) \(weight)", file: file, line: line)
                    zeros += z
                    total += w.count
                }
                XCTAssertEqual(reported.sparsity, Double(zeros) / Double(max(total, 1)), accuracy: 1e-12,
                               "level \(l): zero fraction over the pruned layers", file: file, line: line)
            }
        }
        for (a, b) in zip(r.levels, r.levels.dropFirst()) {
            XCTAssertGreaterThan(b.sparsity, a.sparsity, "level \(b.level)", file: file, line: line)
            XCTAssertLessThanOrEqual(b.nonzeros, a.nonzeros, "level \(b.level)", file: file, line: line)
            XCTAssertLessThanOrEqual(b.macs, a.macs, "level \(b.level)", file: file, line: line)
        }
        let original = try ModelLoader.load(model)
        for weight in ladder.codes.keys where original.initializers[weight] != nil {
            XCTAssertEqual(graph.initializers[weight]?.floats, original.initializers[weight]?.floats,
                           "level 0 keeps the stored weights of '\(weight)'", file: file, line: line)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") || $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "temporary files left behind", file: file, line: line)
        return (r, graph)
    }

    static func counts(_ g: Graph) -> (parameters: Int, nonzeros: Int) {
        var parameters = 0, nonzeros = 0
        for t in g.initializers.values where t.dtype == .float32 {
            parameters += t.count
            nonzeros += t.floats.filter { $0 != 0 }.count
        }
        return (parameters, nonzeros)
    }

    /// Accuracy of every level of `graph` on (x, y), computed here.
    static func accuracies(_ graph: Graph, x: String, y: String) throws -> [Double] {
        let data = try NPY.read(x), labels = try NPY.read(y).asInts()
        return try (0...graph.ladder!.topLevel).map { level in
            let session = try InferenceSession(graph: try PrunedLevels.graph(graph, level: level))
            let predicted = try Evaluator.predict(session, data: data, batch: 64)
            return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
        }
    }

    func layers(_ graph: Graph) -> [String: PrunableLayer] {
        Dictionary(uniqueKeysWithValues: PrunableLayers.find(graph).map { ($0.weight, $0) })
    }

    // MARK: Ladders

    /// The default run: magnitude, unstructured, global, first and last layer protected. The
    /// stored accuracies are the levels' accuracies on the calibration data; the text report
    /// shows the table, and writes the same file as the JSON run.
    func testMagnitudeLadderOnTheMLP() throws {
        let args = ["--ladder", "0.5,0.7,0.9", "--calib", calibMLP, "--labels", calibY]
        let (r, graph) = try prune(mlp, args, name: "mlp.epm")
        XCTAssertEqual(r.levels.compactMap(\.requested), [0.5, 0.7, 0.9])
        XCTAssertEqual([r.method, r.granularity, r.scope], ["magnitude", "unstructured", "global"])
        XCTAssertEqual(r.protected, ["/net/net.0/Gemm", "/net/net.4/Gemm"], "default: the first and last layer")
        XCTAssertEqual(Set(graph.ladder!.codes.keys), ["net.2.weight"], "protected layers get no codes")
        XCTAssertEqual(Set(r.levels[1].layerSparsity.keys), ["net.2.weight"])
        XCTAssertNil(r.floorNote)
        XCTAssertEqual(r.levels[1].macs, r.levels[0].macs - 64 * 128 / 2, "half of net.2's MACs go at level 1")
        let measured = try Self.accuracies(graph, x: calibMLP, y: calibY)
        for (l, acc) in measured.enumerated() {
            XCTAssertEqual(try XCTUnwrap(r.levels[l].accuracy), acc, accuracy: 1e-12, "level \(l) accuracy")
        }

        let text = try edgeprune(["prune", mlp] + args + ["--latency-runs", "0", "-o", path("mlp_text.epm")])
        XCTAssertEqual(text.status, 0, text.summary)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "\(path("mlp_text.epm")): 3 levels, magnitude unstructured, scope global")
        XCTAssertTrue(lines.contains("protected: /net/net.0/Gemm, /net/net.4/Gemm"), text.stdout)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("level") && $0.contains("requested") }, text.stdout)
        for column in ["sparsity", "accuracy", "MACs", "non-zeros", "size", "p50 us", "vs level 0"] {
            XCTAssertTrue(lines[header].contains(column), "table header lacks '\(column)': \(lines[header])")
        }
        for l in 0...3 {
            let row = lines[header + 1 + l].split(separator: " ").map(String.init)
            XCTAssertEqual(row.first, "\(l)", lines[header + 1 + l])
            XCTAssertTrue(row.contains(String(format: "%.4f", r.levels[l].sparsity)), lines[header + 1 + l])
            XCTAssertTrue(row.contains(String(format: "%.2f%%", 100 * r.levels[l].accuracy!)), lines[header + 1 + l])
            XCTAssertTrue(row.contains("\(r.levels[l].nonzeros)"), lines[header + 1 + l])
        }
        XCTAssertTrue(text.stdout.contains("per-layer sparsity:\n  level 1: net.2.weight 0.500"), text.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("mlp_text.epm"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("mlp.epm"))), "same options, same file")
    }

    /// `--protect none` prunes every layer; the global target is spread unevenly (LAMP), yet the
    /// total is on target. Protecting one layer by weight name leaves exactly that one alone.
    func testProtectNoneAndProtectByName() throws {
        let (r, graph) = try prune(mlp, ["--ladder", "0.5,0.9", "--protect", "none"], name: "all.epm")
        XCTAssertEqual(r.protected, [])
        let weights: Set<String> = ["net.0.weight", "net.2.weight", "net.4.weight"]
        XCTAssertEqual(Set(graph.ladder!.codes.keys), weights)
        XCTAssertEqual(Set(r.levels[2].layerSparsity.keys), weights)
        let per = r.levels[2].layerSparsity.values
        XCTAssertGreaterThan(per.max()! - per.min()!, 0.05, "global scope spreads the target unevenly: \(r.levels[2].layerSparsity)")

        let (named, g2) = try prune(mlp, ["--ladder", "0.6", "--protect", "net.2.weight"], name: "named.epm")
        XCTAssertEqual(named.protected, ["/net/net.2/Gemm"])
        XCTAssertEqual(Set(g2.ladder!.codes.keys), ["net.0.weight", "net.4.weight"])
    }

    /// `--scope layer`: every pruned layer on its own reaches the level's sparsity.
    func testLayerScopePrunesEveryLayerToTheTarget() throws {
        let (r, _) = try prune(mlp, ["--ladder", "0.5,0.9", "--scope", "layer", "--protect", "none"], name: "layer.epm")
        XCTAssertEqual(r.scope, "layer")
        for l in r.levels.dropFirst() {
            XCTAssertEqual(l.layerSparsity.count, 3)
            for (weight, s) in l.layerSparsity {
                XCTAssertEqual(s, l.requested!, accuracy: Self.sparsityTolerance, "level \(l.level) \(weight)")
            }
        }
    }

    /// `--granularity block:4x1`: 4 output units x 1 input are pruned together, at every level.
    func testBlockGranularityPrunesWholeBlocks() throws {
        let (r, graph) = try prune(mlp, ["--ladder", "0.5,0.8", "--granularity", "block:4x1"], name: "block.epm")
        XCTAssertEqual(r.granularity, "block:4x1")
        let layer = try XCTUnwrap(layers(graph)["net.2.weight"])
        let codes = try XCTUnwrap(graph.ladder!.codes["net.2.weight"])
        XCTAssertEqual(layer.rows % 4, 0)
        var blocks = 0
        for r0 in stride(from: 0, to: layer.rows, by: 4) {
            for c in 0..<layer.cols {
                let block = (r0..<r0 + 4).map { codes[layer.index(row: $0, col: c)] }
                XCTAssertEqual(Set(block).count, 1, "block rows \(r0)..<\(r0 + 4), column \(c) has codes \(block)")
                blocks += 1
            }
        }
        XCTAssertEqual(blocks, layer.count / 4)
    }

    /// `--granularity nm:2:4 --ladder 0.5`: exactly 2 of every 4 consecutive inputs of a unit are
    /// pruned; a second level 0.75 prunes a third one.
    func testNMGranularityKeepsTwoOfEveryFour() throws {
        let (r, graph) = try prune(mlp, ["--granularity", "nm:2:4", "--ladder", "0.5"], name: "nm.epm")
        XCTAssertEqual(r.granularity, "nm:2:4")
        XCTAssertEqual(r.levels[1].sparsity, 0.5)
        let layer = try XCTUnwrap(layers(graph)["net.2.weight"])
        let codes = try XCTUnwrap(graph.ladder!.codes["net.2.weight"])
        for row in 0..<layer.rows {
            for c0 in stride(from: 0, to: layer.cols, by: 4) {
                let pruned = (c0..<c0 + 4).filter { codes[layer.index(row: row, col: $0)] != 0 }.count
                XCTAssertEqual(pruned, 2, "row \(row), columns \(c0)..<\(c0 + 4)")
            }
        }

        let (two, g2) = try prune(mlp, ["--granularity", "nm:2:4", "--ladder", "0.5,0.75"], name: "nm2.epm")
        XCTAssertEqual(two.levels.map(\.sparsity), [0, 0.5, 0.75])
        let c2 = try XCTUnwrap(g2.ladder!.codes["net.2.weight"])
        for row in 0..<layer.rows {
            for c0 in stride(from: 0, to: layer.cols, by: 4) {
                let group = (c0..<c0 + 4).map { c2[layer.index(row: row, col: $0)] }
                XCTAssertEqual(group.sorted(), [0, 1, 1, 2], "row \(row), columns \(c0)..<\(c0 + 4): nested 2:4 then 1:4")
            }
        }
    }

    /// `--granularity channel` on the CNN: whole channels go, the level is compacted (fewer
    /// parameters, fewer MACs), groups that cannot be pruned are listed with why, and the
    /// level runs through `eval --level` and `export --level` with the same parameter count.
    func testChannelGranularityOnTheCNN() throws {
        let (r, graph) = try prune(cnn, ["--granularity", "channel", "--ladder", "0.3,0.5", "--calib", calibCNN, "--labels", calibY],
                                   name: "channel.epm")
        XCTAssertEqual(r.granularity, "channel")
        XCTAssertTrue(graph.ladder!.isStructured)
        XCTAssertFalse(r.skipped.isEmpty, "the output layer's channels cannot go")
        XCTAssertTrue(r.skipped.contains { $0.contains("feeds graph output") }, "\(r.skipped)")
        XCTAssertTrue(r.levels[1].layerSparsity.keys.allSatisfy { $0.hasPrefix("channels of ") }, "\(r.levels[1].layerSparsity)")
        XCTAssertLessThan(r.levels[1].parameters, r.levels[0].parameters, "channels are removed, not zeroed")
        XCTAssertLessThan(r.levels[2].parameters, r.levels[1].parameters)
        XCTAssertLessThan(r.levels[2].macs, r.levels[0].macs)
        let measured = try Self.accuracies(graph, x: calibCNN, y: calibY)
        for (l, acc) in measured.enumerated() { XCTAssertEqual(r.levels[l].accuracy!, acc, accuracy: 1e-12, "level \(l)") }

        let e = try edgeprune(["eval", path("channel.epm"), "--data", testCNN, "--labels", testY, "--level", "2", "--json", "--latency-runs", "0"])
        XCTAssertEqual(e.status, 0, e.summary)
        struct Eval: Decodable { let level: Int; let sparsity: Double; let parameters: Int; let accuracy: Double }
        let ev = try JSONDecoder().decode(Eval.self, from: Data(e.stdout.utf8))
        XCTAssertEqual(ev.level, 2)
        XCTAssertEqual(ev.sparsity, r.levels[2].sparsity)
        XCTAssertEqual(ev.parameters, r.levels[2].parameters)
        XCTAssertGreaterThan(ev.accuracy, 0.5, "a half-channel CNN still classifies digits")

        let onnx = path("channel_l2.onnx")
        let x = try edgeprune(["export", path("channel.epm"), "--level", "2", "-o", onnx])
        XCTAssertEqual(x.status, 0, x.summary)
        // The ONNX file keeps BatchNorm as its own node, so it holds the compacted level's
        // parameters before folding (the ladder counts them after folding, as the runtime runs them).
        let compacted = Self.counts(try PrunedLevels.graph(graph, level: 2)).parameters
        XCTAssertTrue(x.stdout.contains(" \(compacted) parameters"), x.stdout)
        XCTAssertEqual(Self.counts(try ModelLoader.load(onnx)).parameters, compacted)
        XCTAssertEqual(Self.counts(try InferenceSession(graph: try ModelLoader.load(onnx)).graph).parameters, r.levels[2].parameters,
                       "folded as the runtime runs it, the exported level has the ladder's parameter count")
    }

    /// `--target 0.8 --steps 3`: the Zhu-Gupta cubic schedule s_k = S (1 - (1 - k/K)^3); with a
    /// data-driven method the scores are recomputed per step and the ladder is still on target.
    func testGradualTargetFollowsTheCubicSchedule() throws {
        let want = (1...3).map { k in 0.8 * (1 - pow(1 - Double(k) / 3, 3)) }
        let (r, _) = try prune(mlp, ["--target", "0.8", "--steps", "3"], name: "gradual.epm")
        XCTAssertEqual(r.levels.count, 4)
        for (got, w) in zip(r.levels.compactMap(\.requested), want) { XCTAssertEqual(got, w, accuracy: 1e-12) }
        XCTAssertEqual(r.levels[3].requested, 0.8)

        let (a, _) = try prune(mlp, ["--target", "0.8", "--steps", "3", "--method", "activation", "--calib", calibMLP,
                                     "--protect", "none"], name: "gradual_act.epm")
        XCTAssertEqual(a.method, "activation")
        XCTAssertEqual(a.levels.count, 4)
    }

    /// The label-driven methods: ib and sensitivity record their name and the calibration
    /// accuracy of every level (checked here), and differ from plain magnitude where they can.
    func testInformationBottleneckAndSensitivity() throws {
        let common = ["--ladder", "0.5,0.8", "--calib", calibMLP, "--labels", calibY, "--protect", "none"]
        let (magnitude, _) = try prune(mlp, common, name: "magnitude.epm")
        for method in ["ib", "sensitivity"] {
            let (r, graph) = try prune(mlp, common + ["--method", method], name: "\(method).epm")
            XCTAssertEqual(r.method, method)
            let measured = try Self.accuracies(graph, x: calibMLP, y: calibY)
            for (l, acc) in measured.enumerated() { XCTAssertEqual(r.levels[l].accuracy!, acc, accuracy: 1e-12, "\(method) level \(l)") }
            XCTAssertNotEqual(r.levels[2].layerSparsity, magnitude.levels[2].layerSparsity,
                              "\(method) allocates the 0.8 level differently from magnitude")
        }
    }

    /// Rows holding one flattened sample are reshaped to the model input (as `eval` and `run`
    /// do): the CNN's [N,1,8,8] calibration data on the MLP makes the same file as the MLP's own.
    func testFlattenedCalibrationDataIsReshaped() throws {
        let args = ["--ladder", "0.5", "--method", "activation", "--protect", "none"]
        try prune(mlp, args + ["--calib", calibMLP], name: "flat.epm")
        try prune(mlp, args + ["--calib", calibCNN], name: "image.epm")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("flat.epm"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("image.epm"))))
    }

    /// Every level of a written ladder runs with `eval --level L` (reporting that level) and
    /// exports with `export --level L` to ONNX holding exactly the level's non-zeros.
    func testWrittenLadderWorksWithEvalAndExport() throws {
        let (r, _) = try prune(mlp, ["--ladder", "0.5,0.9", "--protect", "none"], name: "ladder.epm")
        struct Eval: Decodable { let level: Int; let sparsity: Double; let nonzeros: Int; let samples: Int }
        for l in 0...2 {
            let e = try edgeprune(["eval", path("ladder.epm"), "--data", testMLP, "--labels", testY, "--level", "\(l)",
                                   "--json", "--latency-runs", "0", "--attribution-samples", "0"])
            XCTAssertEqual(e.status, 0, e.summary)
            let ev = try JSONDecoder().decode(Eval.self, from: Data(e.stdout.utf8))
            XCTAssertEqual(ev.level, l)
            XCTAssertEqual(ev.sparsity, r.levels[l].sparsity)
            XCTAssertEqual(ev.nonzeros, r.levels[l].nonzeros)
            XCTAssertEqual(ev.samples, 360)

            let onnx = path("ladder_l\(l).onnx")
            let x = try edgeprune(["export", path("ladder.epm"), "--level", "\(l)", "-o", onnx])
            XCTAssertEqual(x.status, 0, x.summary)
            XCTAssertTrue(x.stdout.hasPrefix("wrote \(onnx): level \(l), "), x.stdout)
            let counts = Self.counts(try ModelLoader.load(onnx))
            XCTAssertEqual(counts.parameters, r.levels[l].parameters)
            XCTAssertEqual(counts.nonzeros, r.levels[l].nonzeros)
        }
        assertOneLineError(try edgeprune(["eval", path("ladder.epm"), "--data", testMLP, "--labels", testY, "--level", "3"]),
                           ["levels 0...2"])
    }

    /// `--accuracy-floor` between the accuracies of levels 2 and 3 keeps levels 0...2: the file
    /// holds 3 levels and no code above 2, and both reports say why.
    func testAccuracyFloorCutsTheLadder() throws {
        let args = ["--ladder", "0.5,0.7,0.9", "--calib", calibMLP, "--labels", calibY]
        let (full, _) = try prune(mlp, args, name: "full.epm")
        let a2 = try XCTUnwrap(full.levels[2].accuracy), a3 = try XCTUnwrap(full.levels[3].accuracy)
        XCTAssertLessThan(a3, a2, "pruning 90% must cost accuracy for this test to mean anything")
        let floor = String(format: "%.4f", (a2 + a3) / 2)

        let (cut, graph) = try prune(mlp, args + ["--accuracy-floor", floor], name: "cut.epm")
        XCTAssertEqual(cut.levels.count, 3)
        XCTAssertEqual(cut.levels.compactMap(\.requested), [0.5, 0.7])
        XCTAssertEqual(graph.ladder!.topLevel, 2)
        XCTAssertLessThanOrEqual(graph.ladder!.codes.values.flatMap { $0 }.max() ?? 0, 2, "codes of the dropped level are cleared")
        for l in 0...2 {
            XCTAssertEqual(cut.levels[l].sparsity, full.levels[l].sparsity)
            XCTAssertGreaterThanOrEqual(cut.levels[l].accuracy!, Double(floor)!)
        }
        let note = try XCTUnwrap(cut.floorNote)
        XCTAssertTrue(note.contains("accuracy floor \(floor)") && note.contains("level 3"), note)

        let text = try edgeprune(["prune", mlp] + args + ["--accuracy-floor", floor, "--latency-runs", "0", "-o", path("cut_text.epm")])
        XCTAssertEqual(text.status, 0, text.summary)
        XCTAssertTrue(text.stdout.hasPrefix("\(path("cut_text.epm")): 2 levels, "), text.stdout)
        XCTAssertTrue(text.stdout.contains("note: \(note)\n"), text.stdout)
    }

    // MARK: Bad input

    enum Expect {
        /// One "error: …" line containing every fragment.
        case error([String])
        /// ArgumentParser's usage error (validate()): "Error: …" with the fragments, then usage.
        case usage([String])
    }

    /// Every case fails cleanly (see `Expect`), writes no output file and leaves a pre-existing
    /// output file byte-identical, and leaves no other file behind.
    func testBadInputFailsCleanlyAndWritesNothing() throws {
        // Inputs for the cases, written first so the directory listing below includes them.
        let labels = try NPY.read(calibY).asInts().map(Int64.init)
        var bad = labels
        bad[5] = 10
        try NPY.write(Tensor(int64: bad, shape: [bad.count]), to: path("y_range.npy"))
        bad[5] = -1
        try NPY.write(Tensor(int64: bad, shape: [bad.count]), to: path("y_negative.npy"))
        try NPY.write(Tensor(int64: Array(labels.dropLast()), shape: [labels.count - 1]), to: path("y_short.npy"))
        let n = labels.count
        try NPY.write(Tensor([Float](repeating: 0.5, count: n * 10), shape: [n, 10]), to: path("x_narrow.npy"))
        try NPY.write(Tensor([Float](repeating: 0.5, count: n * 56), shape: [n, 1, 7, 8]), to: path("x_7x8.npy"))
        try prune(mlp, ["--ladder", "0.5"], name: "laddered.epm")

        let out = path("out.epm")
        let withLabels = ["--calib", calibMLP, "--labels", calibY]
        let cases: [([String], Expect)] = [
            (["--ladder", "0.5,1.0"], .error(["--ladder value 1.0 is outside (0, 1)"])),
            (["--ladder", "1"], .error(["--ladder value 1.0 is outside (0, 1)"])),
            (["--ladder", "0.5,1.5"], .error(["1.5 is outside (0, 1)"])),
            (["--ladder=-0.1,0.5"], .error(["--ladder value -0.1 is outside (0, 1)"])),
            // Without '=' ArgumentParser reads "-0.1,0.5" as an option, not as the value.
            (["--ladder", "-0.1,0.5"], .usage(["Missing value for '--ladder"])),
            (["--ladder", "0"], .error(["no level above 0"])),
            (["--ladder", "0.5,0.5"], .error(["levels must ascend strictly"])),
            (["--ladder", "0.7,0.5"], .error(["levels must ascend strictly (0.5 after 0.7)"])),
            (["--ladder", "0.5,x"], .error(["'x' is not a number"])),
            (["--target", "1.5", "--steps", "3"], .error(["--target 1.5 is outside (0, 1)"])),
            (["--target", "0.8", "--steps", "0"], .error(["--steps must be 1...254, got 0"])),
            (["--ladder", "0.5", "--target", "0.8", "--steps", "2"], .usage(["give either --ladder s1,s2,... or --target S with --steps K"])),
            (["--target", "0.8"], .usage(["--target needs --steps K"])),
            (["--ladder", "0.5", "--steps", "3"], .usage(["--steps needs --target S"])),
            ([], .usage(["give either --ladder"])),
            (["--ladder", "0.5", "--method", "foo"], .error(["unknown importance method 'foo'", "magnitude"])),
            (["--ladder", "0.5", "--granularity", "foo"], .error(["unknown granularity 'foo'"])),
            (["--ladder", "0.5", "--granularity", "block:0x1"], .error(["granularity 'block:0x1'"])),
            (["--ladder", "0.5", "--granularity", "nm:4:2"], .error(["granularity 'nm:4:2'"])),
            (["--ladder", "0.6", "--granularity", "nm:2:4"], .error(["nm:2:4 keeps k of every 4", "got 0.6"])),
            (["--ladder", "0.5", "--scope", "foo"], .error(["unknown scope 'foo'"])),
            (["--ladder", "0.5", "--calib", path("x_narrow.npy")], .error(["calibration data has shape [\(n),10]", "axis 1 must be 64"])),
            (["--ladder", "0.5", "--labels", calibY], .usage(["--labels needs --calib"])),
            (["--ladder", "0.5", "--calib", calibMLP, "--labels", path("y_range.npy")],
             .error(["label 10 at index 5 is outside the model's 10 classes"])),
            (["--ladder", "0.5", "--calib", calibMLP, "--labels", path("y_negative.npy")], .error(["label -1 at index 5"])),
            (["--ladder", "0.5", "--calib", calibMLP, "--labels", path("y_short.npy")],
             .error(["\(n - 1) labels for \(n) calibration samples"])),
            (["--ladder", "0.5", "--protect", "nosuch"], .error(["--protect names 'nosuch', which is not a prunable layer"])),
            (["--ladder", "0.5", "--protect", "net.0.weight,net.2.weight,net.4.weight"], .error(["every prunable layer is protected"])),
            (["--ladder", "0.5", "--method", "activation"], .error(["method 'activation' needs calibration data (--calib)"])),
            (["--ladder", "0.5", "--method", "ib", "--calib", calibMLP], .error(["method 'ib' needs labels"])),
            (["--ladder", "0.5", "--method", "snip", "--calib", calibMLP], .error(["method 'snip' needs labels"])),
            (["--ladder", "0.5", "--method", "taylor"], .error(["method 'taylor'"])),
            (["--ladder", "0.5", "--method", "sensitivity", "--scope", "layer"] + withLabels, .error(["use --scope global"])),
            (["--ladder", "0.5", "--accuracy-floor", "0.9"], .error(["--accuracy-floor needs labelled calibration data"])),
            (["--ladder", "0.5", "--accuracy-floor", "1.5"] + withLabels, .error(["--accuracy-floor 1.5 is outside [0, 1]"])),
            (["--ladder", "0.9,0.95", "--protect", "none", "--accuracy-floor", "0.999"] + withLabels,
             .error(["no level meets the floor, nothing written"])),
            (["--ladder", "0.5", "--max-layer-sparsity", "0"], .error(["--max-layer-sparsity 0.0 is outside (0, 1]"])),
            (["--ladder", "0.5", "--latency-runs=-1"], .usage(["--latency-runs must be >= 0"])),
        ]
        let missingModel = path("missing.onnx")
        var all: [([String], Expect)] = cases.map { (["prune", mlp] + $0.0, $0.1) }
        all += [
            (["prune", missingModel, "--ladder", "0.5"], .error(["cannot open", "missing.onnx"])),
            (["prune", path("laddered.epm"), "--ladder", "0.5"], .error(["already has a sparsity ladder"])),
            (["prune", cnn, "--ladder", "0.5", "--calib", path("x_7x8.npy")], .error(["calibration data has shape [\(n),1,7,8]", "axis 2 must be 8"])),
            (["prune", mlp, "--ladder", "0.5", "--scope", "layer", "--max-layer-sparsity", "0.4"],
             .error(["level 0.5 is above --max-layer-sparsity 0.4"])),
        ]
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let sentinel = Data("an existing file prune must not touch\n".utf8)

        for (args, expect) in all {
            for preexisting in [false, true] {
                if preexisting { try sentinel.write(to: URL(fileURLWithPath: out)) }
                let fast = args.contains { $0.hasPrefix("--latency-runs") } ? [] : ["--latency-runs", "0"]
                let o = try edgeprune(args + fast + ["-o", out])
                check(o, expect, "\(args.joined(separator: " "))\(preexisting ? " (over an existing file)" : "")")
                if preexisting {
                    XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: out)), sentinel, "\(o.command) changed the existing output")
                    try FileManager.default.removeItem(atPath: out)
                } else {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(o.command) wrote \(out)")
                }
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before,
                               "\(o.command) left files behind")
            }
        }

        // An output directory that does not exist: refused before any work, nothing created.
        let missingDir = path("no/such/dir/out.epm")
        check(try edgeprune(["prune", mlp, "--ladder", "0.5", "-o", missingDir]), .usage(["directory", "does not exist"]), "-o into a missing directory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("no")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before)
    }

    private func check(_ o: CLIOutcome, _ expect: Expect, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        switch expect {
        case .error(let fragments): assertOneLineError(o, fragments, what, file: file, line: line)
        case .usage(let fragments): assertUsageError(o, fragments, what, file: file, line: line)
        }
    }
}
