import EdgePruneCore
import EdgePruneONNX
import Foundation
import XCTest

/// `edgeprune eval` and `edgeprune profile` end to end: JSON fields present and consistent,
/// text reports, the SVG plot, and one-line errors for bad labels, levels and plot paths.
final class CLIEvalProfileTests: XCTestCase {
    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("eval")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    let cnn = CLIFixtures.path("models/digits_cnn.onnx")
    let mlp = CLIFixtures.path("models/digits_mlp.onnx")
    let xCNN = CLIFixtures.path("digits/test_x_cnn.npy")
    let xMLP = CLIFixtures.path("digits/test_x_mlp.npy")
    let y = CLIFixtures.path("digits/test_y.npy")

    /// Runs the binary, killed after 120 s.
    func edgeprune(_ args: [String]) throws -> CLIOutcome { try CLIRunner.run(binary, args, timeout: 120) }

    // MARK: eval

    struct EvalJSON: Decodable {
        let model: String; let samples: Int; let correct: Int; let accuracy: Double
        let level: Int; let sparsity: Double; let macroF1: Double
        let perClass: [PerClass]; let confusion: [[Int]]
        let parameters: Int; let nonzeros: Int; let sizeBytes: Int; let sizeSource: String
        let macs: Int; let effectiveMacs: Int; let latency: Latency?
        let kernels: [Kernel]; let interpretability: Interpretability?
        struct PerClass: Decodable { let precision: Double; let recall: Double; let f1: Double; let support: Int }
        struct Latency: Decodable { let p50Micros: Double; let p95Micros: Double; let runs: Int }
        struct Kernel: Decodable { let node: String; let opType: String; let kernel: String }
        struct Interpretability: Decodable {
            let unit: String; let unitShape: [Int]; let samples: Int
            let lostMostImportance: [Drop]; let importanceLevel0: [Double]; let importance: [Double]
        }
        struct Drop: Decodable { let index: Int; let before: Double; let after: Double; let drop: Double }
    }

    func testEvalJSONOnDigitsCNN() throws {
        let o = try edgeprune(["eval", cnn, "--data", xCNN, "--labels", y, "--json", "--latency-runs", "20"])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertEqual(o.stderr, "", "quiet when stderr is not a terminal")
        let r = try JSONDecoder().decode(EvalJSON.self, from: Data(o.stdout.utf8))
        XCTAssertEqual(r.model, cnn)
        XCTAssertEqual(r.samples, 360)
        XCTAssertEqual(r.accuracy, 0.9889, accuracy: 5e-5, "Tests/Fixtures/digits/info.json")
        XCTAssertEqual(Double(r.correct) / 360, r.accuracy, accuracy: 1e-12)
        XCTAssertEqual(r.level, 0)
        XCTAssertEqual(r.perClass.count, 10)
        XCTAssertEqual(r.perClass.map(\.support).reduce(0, +), 360)
        XCTAssertEqual(r.confusion.count, 10)
        XCTAssertEqual(r.confusion.flatMap { $0 }.reduce(0, +), 360)
        XCTAssertEqual((0..<10).map { r.confusion[$0][$0] }.reduce(0, +), r.correct)
        XCTAssertEqual(r.macroF1, r.perClass.map(\.f1).reduce(0, +) / 10, accuracy: 1e-12)
        XCTAssertGreaterThan(r.parameters, 38_000)
        XCTAssertLessThanOrEqual(r.nonzeros, r.parameters)
        XCTAssertEqual(r.sizeSource, "model file")
        XCTAssertEqual(r.sizeBytes, (try FileManager.default.attributesOfItem(atPath: cnn)[.size] as? Int) ?? -1)
        XCTAssertEqual(r.macs, 339_584, "the CNN's MACs per sample as `inspect` lists them")
        XCTAssertEqual(r.effectiveMacs, r.macs, "a dense model touches every weight")
        let l = try XCTUnwrap(r.latency)
        XCTAssertEqual(l.runs, 20)
        XCTAssertGreaterThan(l.p50Micros, 0)
        XCTAssertLessThanOrEqual(l.p50Micros, l.p95Micros)
        XCTAssertEqual(r.kernels.map(\.opType), ["Conv", "Conv", "Gemm", "Gemm"])
        XCTAssertNil(r.interpretability, "level 0 has nothing to compare with")
    }

    func testEvalTextKeepsItsFirstLine() throws {
        let o = try edgeprune(["eval", cnn, "--data", xCNN, "--labels", y, "--latency-runs", "5"])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(o.stdout.hasPrefix("\(cnn): accuracy 98.89% (356 of 360)\n"), o.stdout)
        for fragment in ["macro F1", "precision", "confusion matrix", "parameters", "size", "MACs", "latency", "kernels"] {
            XCTAssertTrue(o.stdout.contains(fragment), "text report lacks '\(fragment)'")
        }
    }

    func testBadLabels() throws {
        var labels = try NPY.read(y).asInts().map(Int64.init)
        labels[7] = 12
        let outOfRange = dir.appendingPathComponent("range.npy").path
        try NPY.write(Tensor(int64: labels, shape: [360]), to: outOfRange)
        assertOneLineError(try edgeprune(["eval", cnn, "--data", xCNN, "--labels", outOfRange]), ["label 7 is 12", "range.npy"])
        labels[7] = -1
        try NPY.write(Tensor(int64: labels, shape: [360]), to: outOfRange)
        assertOneLineError(try edgeprune(["eval", cnn, "--data", xCNN, "--labels", outOfRange]), ["label 7 is -1"])

        let short = dir.appendingPathComponent("short.npy").path
        try NPY.write(Tensor(int64: Array(labels.prefix(359)), shape: [359]), to: short)
        assertOneLineError(try edgeprune(["eval", cnn, "--data", xCNN, "--labels", short]), ["359 labels for 360 samples"])
        assertOneLineError(try edgeprune(["profile", cnn, "--data", xCNN, "--labels", short]), ["359 labels for 360 samples"])

        let fractional = dir.appendingPathComponent("frac.npy").path
        try NPY.write(Tensor([0, 1.5], shape: [2]), to: fractional)
        assertOneLineError(try edgeprune(["eval", cnn, "--data", xCNN, "--labels", fractional]), ["label 1 is 1.5"])
        // Data that does not fit the model input (flat rows of 64 would be reshaped; 10 cannot).
        let narrow = dir.appendingPathComponent("narrow.npy").path
        try NPY.write(Tensor([Float](repeating: 0, count: 3600), shape: [360, 10]), to: narrow)
        assertOneLineError(try edgeprune(["eval", cnn, "--data", narrow, "--labels", y]), ["narrow.npy", "expects"])
    }

    func testLevelWithoutLadderIsAnError() throws {
        assertOneLineError(try edgeprune(["eval", cnn, "--data", xCNN, "--labels", y, "--level", "1"]), ["no sparsity ladder"])
    }

    // MARK: profile

    struct ProfileJSON: Decodable {
        let model: String; let samples: Int; let modelBytes: Int; let levels: [Level]
        struct Level: Decodable {
            let level: Int; let sparsity: Double; let accuracy: Double; let macroF1: Double
            let parameters: Int; let nonzeros: Int; let sizeBytes: Int; let macs: Int; let effectiveMacs: Int
            let latency: EvalJSON.Latency?; let speedupVsLevel0: Double?; let speedupVsPrevious: Double?
            let kernelSummary: String; let lostMostImportance: [EvalJSON.Drop]
        }
    }

    func testProfilePlainModelWithPlot() throws {
        let svg = dir.appendingPathComponent("profile.svg").path
        let o = try edgeprune(["profile", mlp, "--data", xMLP, "--labels", y, "--json", "--latency-runs", "10", "--plot", svg])
        XCTAssertEqual(o.status, 0, o.stderr)
        let r = try JSONDecoder().decode(ProfileJSON.self, from: Data(o.stdout.utf8))
        XCTAssertEqual(r.levels.count, 1)
        let l0 = r.levels[0]
        XCTAssertEqual(l0.accuracy, 0.9694, accuracy: 5e-5)
        XCTAssertEqual(l0.parameters, 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10)
        XCTAssertEqual(l0.speedupVsLevel0 ?? 0, 1, accuracy: 1e-12)
        XCTAssertNil(l0.speedupVsPrevious)
        XCTAssertTrue(l0.lostMostImportance.isEmpty)
        let plot = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(plot.hasPrefix("<svg"))
        XCTAssertTrue(plot.hasSuffix("</svg>\n"))
        for label in ["accuracy", "latency", "size", "sparsity", "<polyline"] { XCTAssertTrue(plot.contains(label), "plot lacks \(label)") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp") }, [])

        let text = try edgeprune(["profile", mlp, "--data", xMLP, "--labels", y, "--latency-runs", "5"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("level  sparsity  accuracy"), text.stdout)
        XCTAssertTrue(text.stdout.contains("96.94%"), text.stdout)
    }

    func testProfilePlotIntoMissingDirectoryFailsFirst() throws {
        let svg = dir.appendingPathComponent("missing/plot.svg").path
        let t0 = Date()
        assertOneLineError(try edgeprune(["profile", mlp, "--data", xMLP, "--labels", y, "--plot", svg]), ["does not exist"])
        XCTAssertLessThan(Date().timeIntervalSince(t0), 20)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing").path))
        // Fails before reading anything: even a missing model reports the plot path.
        assertOneLineError(try edgeprune(["profile", "/nonexistent.onnx", "--data", xMLP, "--labels", y, "--plot", svg]), ["--plot"])
    }

    /// A ladder made here (layer-wise magnitude codes) and stored in an .epm: profile measures
    /// every level, eval --level shows the level and its interpretability section.
    func testProfileAndEvalOnAStoredLadder() throws {
        var graph = try ModelLoader.load(mlp)
        let sparsities = [0.5, 0.8, 0.95]
        var codes: [String: [UInt8]] = [:]
        for node in graph.nodes where node.opType == "Gemm" {
            let v = graph.initializers[node.inputs[1]]!.floats
            let order = v.indices.sorted { abs(v[$0]) != abs(v[$1]) ? abs(v[$0]) < abs(v[$1]) : $0 < $1 }
            var c = [UInt8](repeating: 0, count: v.count)
            for (k, s) in sparsities.enumerated() {
                for i in order.prefix(Int(s * Double(v.count))) where c[i] == 0 { c[i] = UInt8(k + 1) }
            }
            codes[node.inputs[1]] = c
        }
        graph.ladder = SparsityLadder(method: "magnitude", granularity: "unstructured", scope: "layer",
                                      levels: [LadderLevel(sparsity: 0)] + sparsities.map { LadderLevel(sparsity: $0) }, codes: codes)
        let epm = dir.appendingPathComponent("ladder.epm").path
        try EPMWriter.write(graph, to: epm)

        let o = try edgeprune(["profile", epm, "--data", xMLP, "--labels", y, "--json", "--latency-runs", "10", "--attribution-samples", "64"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let r = try JSONDecoder().decode(ProfileJSON.self, from: Data(o.stdout.utf8))
        XCTAssertEqual(r.levels.map(\.level), [0, 1, 2, 3])
        XCTAssertEqual(r.levels.map(\.sparsity), [0] + sparsities)
        XCTAssertEqual(r.levels[0].accuracy, 0.9694, accuracy: 5e-5)
        for (a, b) in zip(r.levels, r.levels.dropFirst()) {
            XCTAssertLessThan(b.nonzeros, a.nonzeros)
            XCTAssertLessThan(b.effectiveMacs, a.effectiveMacs)
            XCTAssertNotNil(b.speedupVsPrevious)
            XCTAssertEqual(b.lostMostImportance.count, 5)
        }
        XCTAssertLessThan(r.levels[3].sizeBytes, r.levels[0].sizeBytes / 3)

        let e = try edgeprune(["eval", epm, "--data", xMLP, "--labels", y, "--json", "--level", "3", "--latency-runs", "5", "--attribution-samples", "64"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let level3 = try JSONDecoder().decode(EvalJSON.self, from: Data(e.stdout.utf8))
        XCTAssertEqual(level3.level, 3)
        XCTAssertEqual(level3.sparsity, 0.95)
        XCTAssertEqual(level3.accuracy, r.levels[3].accuracy)
        XCTAssertEqual(level3.sizeSource, "epm of level 3")
        XCTAssertEqual(level3.sizeBytes, r.levels[3].sizeBytes)
        let interp = try XCTUnwrap(level3.interpretability)
        XCTAssertEqual(interp.unit, "feature")
        XCTAssertEqual(interp.importance.count, 64)
        XCTAssertEqual(interp.lostMostImportance.count, 5)
        XCTAssertEqual(interp.lostMostImportance.map(\.index), r.levels[3].lostMostImportance.map(\.index))
        for d in interp.lostMostImportance {
            XCTAssertEqual(d.before, interp.importanceLevel0[d.index], accuracy: 1e-12)
            XCTAssertEqual(d.after, interp.importance[d.index], accuracy: 1e-12)
        }
        let text = try edgeprune(["eval", epm, "--data", xMLP, "--labels", y, "--level", "2", "--latency-runs", "5"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("level   2 of 0...3, sparsity 80.0%"), text.stdout)
        XCTAssertTrue(text.stdout.contains("interpretability"), text.stdout)
        assertOneLineError(try edgeprune(["eval", epm, "--data", xMLP, "--labels", y, "--level", "4"]), ["levels 0...3"])
    }
}
