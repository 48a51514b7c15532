import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation
import XCTest

/// `edgeprune prune --recover reconstruct` end to end: the .epm carries the re-fitted levels
/// (level 0 and the masks unchanged), the accuracy column measures them, `eval --level` runs
/// them, the reports say recovery was applied, and bad input fails cleanly, writing nothing.
final class CLIReconstructTests: XCTestCase {
    static let timeout: TimeInterval = 180

    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("cli-reconstruct")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    let mlp = CLIFixtures.path("models/digits_mlp.onnx")
    let calibMLP = CLIFixtures.path("digits/calib_x_mlp.npy")
    let calibY = CLIFixtures.path("digits/calib_y.npy")
    let testMLP = CLIFixtures.path("digits/test_x_mlp.npy")
    let testY = CLIFixtures.path("digits/test_y.npy")

    func edgeprune(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIOutcome {
        let o = try CLIRunner.run(binary, args, timeout: Self.timeout)
        assertFinished(o, file: file, line: line)
        return o
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    struct PruneJSON: Decodable {
        let levels: [Level]
        let recovery: Recovery?
        struct Level: Decodable { let level: Int; let sparsity: Double; let accuracy: Double? }
        struct Recovery: Decodable {
            let method: String, damping: Double, anchor: String, samples: Int, skipped: [String], seconds: Double
            let layers: [Layer]
            struct Layer: Decodable {
                let level: Int, node: String, weight: String, bias: String?
                let maskedError: Double, reconstructedError: Double, failedRows: Int
            }
        }
    }

    static func accuracy(_ graph: Graph, level: Int, x: String, y: String) throws -> Double {
        let data = try NPY.read(x), labels = try NPY.read(y).asInts()
        let predicted = try Evaluator.predict(try InferenceSession(graph: try PrunedLevels.graph(graph, level: level)), data: data, batch: 64)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Every layer pruned to 90% and 95%, without and with reconstruction: same masks, level 0
    /// unchanged, recovered weights for levels 1 and 2, a higher accuracy at 95%, the stored
    /// accuracies are the re-fitted levels', and `eval --level 2` runs the re-fitted level.
    func testReconstructRecoversTheLevelsAndReportsIt() throws {
        let common = ["--ladder", "0.9,0.95", "--protect", "none", "--calib", calibMLP, "--labels", calibY, "--latency-runs", "0", "--json"]
        let plain = try edgeprune(["prune", mlp] + common + ["-o", path("plain.epm")])
        XCTAssertEqual(plain.status, 0, plain.summary)
        let o = try edgeprune(["prune", mlp] + common + ["--recover", "reconstruct", "-o", path("recon.epm")])
        XCTAssertEqual(o.status, 0, o.summary)
        XCTAssertEqual(o.stderr, "", "quiet when stderr is not a terminal")
        let r = try JSONDecoder().decode(PruneJSON.self, from: Data(o.stdout.utf8))
        let p = try JSONDecoder().decode(PruneJSON.self, from: Data(plain.stdout.utf8))
        XCTAssertNil(p.recovery, "no recovery asked, none reported")
        let rec = try XCTUnwrap(r.recovery)
        XCTAssertEqual(rec.method, "reconstruct")
        XCTAssertEqual(rec.damping, 0.01)
        XCTAssertEqual(rec.anchor, "zero", "the default: ridge, as in the issue's formula")
        XCTAssertEqual(rec.samples, 1437)
        XCTAssertEqual(rec.skipped, [])
        XCTAssertEqual(rec.layers.count, 6, "3 layers x 2 levels")
        for l in rec.layers {
            XCTAssertLessThan(l.reconstructedError, l.maskedError, "level \(l.level) \(l.node)")
            XCTAssertEqual(l.failedRows, 0)
            XCTAssertNotNil(l.bias, "Gemm biases are re-fitted")
        }

        let original = try ModelLoader.load(mlp)
        let g = try ModelLoader.load(path("recon.epm")), gp = try ModelLoader.load(path("plain.epm"))
        let ladder = try XCTUnwrap(g.ladder)
        XCTAssertEqual(ladder.codes, gp.ladder!.codes, "reconstruction keeps the masks")
        XCTAssertEqual(Set(ladder.levelWeights.keys), [1, 2])
        XCTAssertTrue(gp.ladder!.levelWeights.isEmpty)
        for (name, t) in original.initializers { XCTAssertEqual(g.initializers[name]?.floats, t.floats, "level 0 keeps '\(name)'") }
        for (stored, reported) in zip(ladder.levels, r.levels) { XCTAssertEqual(stored.accuracy, reported.accuracy) }
        for l in 0...2 {
            XCTAssertEqual(try XCTUnwrap(r.levels[l].accuracy), try Self.accuracy(g, level: l, x: calibMLP, y: calibY), accuracy: 1e-12,
                           "level \(l): the accuracy column measures the re-fitted level")
            XCTAssertEqual(r.levels[l].sparsity, p.levels[l].sparsity)
        }
        XCTAssertGreaterThan(r.levels[2].accuracy!, p.levels[2].accuracy! + 0.05, "95% re-fitted beats 95% masked on calibration data")
        let testRecon = try Self.accuracy(g, level: 2, x: testMLP, y: testY), testPlain = try Self.accuracy(gp, level: 2, x: testMLP, y: testY)
        XCTAssertGreaterThan(testRecon, testPlain, "and on held-out test data")

        struct Eval: Decodable { let level: Int; let accuracy: Double }
        let e = try edgeprune(["eval", path("recon.epm"), "--data", testMLP, "--labels", testY, "--level", "2", "--json",
                               "--latency-runs", "0", "--attribution-samples", "0"])
        XCTAssertEqual(e.status, 0, e.summary)
        let ev = try JSONDecoder().decode(Eval.self, from: Data(e.stdout.utf8))
        XCTAssertEqual(ev.level, 2)
        XCTAssertEqual(ev.accuracy, testRecon, accuracy: 1e-12, "eval runs the re-fitted level")

        // Text report, and --damping reaches the fit.
        let text = try edgeprune(["prune", mlp, "--ladder", "0.9,0.95", "--protect", "none", "--calib", calibMLP, "--latency-runs", "0",
                                  "--recover", "reconstruct", "--damping", "0.5", "-o", path("damped.epm")])
        XCTAssertEqual(text.status, 0, text.summary)
        XCTAssertTrue(text.stdout.contains("recovery: reconstruct (damping 0.5 towards zero) re-fitted 3 layers at 2 levels on 1437 calibration samples, no labels"), text.stdout)
        XCTAssertTrue(text.stdout.contains("  level 2 /net/net.2/Gemm: output error "), text.stdout)
        let damped = try ModelLoader.load(path("damped.epm"))
        XCTAssertNotEqual(damped.ladder!.levelWeights[2], ladder.levelWeights[2], "a larger damping gives other weights")

        // --damp-toward dense: the reports name the anchor; the fit differs from the ridge one.
        let anchored = try edgeprune(["prune", mlp] + common + ["--recover", "reconstruct", "--damp-toward", "dense", "-o", path("anchored.epm")])
        XCTAssertEqual(anchored.status, 0, anchored.summary)
        XCTAssertEqual(try JSONDecoder().decode(PruneJSON.self, from: Data(anchored.stdout.utf8)).recovery?.anchor, "dense")
        XCTAssertNotEqual(try ModelLoader.load(path("anchored.epm")).ladder!.levelWeights[2], ladder.levelWeights[2])
    }

    /// The CNN: its Conv layers are re-fitted too (im2col), nothing is skipped, and the 80% level
    /// scores higher on the calibration data than without reconstruction.
    func testConvLayersAreReconstructed() throws {
        // The first 256 calibration samples: im2col makes 64 rows per sample, slow in a debug build.
        let cnn = CLIFixtures.path("models/digits_cnn.onnx")
        let x = try NPY.read(CLIFixtures.path("digits/calib_x_cnn.npy")), y = try NPY.read(calibY).asInts()
        try NPY.write(Tensor(Array(x.floats.prefix(256 * 64)), shape: [256, 1, 8, 8]), to: path("x256.npy"))
        try NPY.write(Tensor(int64: y.prefix(256).map(Int64.init), shape: [256]), to: path("y256.npy"))
        let common = ["--ladder", "0.8", "--protect", "none", "--calib", path("x256.npy"), "--labels", path("y256.npy"),
                      "--latency-runs", "0", "--json"]
        let o = try edgeprune(["prune", cnn] + common + ["--recover", "reconstruct", "-o", path("cnn.epm")])
        XCTAssertEqual(o.status, 0, o.summary)
        let r = try JSONDecoder().decode(PruneJSON.self, from: Data(o.stdout.utf8))
        let rec = try XCTUnwrap(r.recovery)
        XCTAssertEqual(rec.skipped, [])
        let graph = try ModelLoader.load(cnn)
        let convs = graph.nodes.filter { $0.opType == "Conv" }.map(\.name)
        XCTAssertFalse(convs.isEmpty)
        for c in convs { XCTAssertTrue(rec.layers.contains { $0.node == c }, "\(c) re-fitted: \(rec.layers.map(\.node))") }
        let plain = try edgeprune(["prune", cnn] + common + ["-o", path("cnn_plain.epm")])
        let p = try JSONDecoder().decode(PruneJSON.self, from: Data(plain.stdout.utf8))
        XCTAssertGreaterThanOrEqual(r.levels[1].accuracy!, p.levels[1].accuracy!)
    }

    /// Every case fails with one clear line, writes no output and leaves an existing one alone.
    func testBadInputFailsCleanlyAndWritesNothing() throws {
        try NPY.write(Tensor([Float](), shape: [0, 64]), to: path("empty.npy"))
        // x -> Sqrt -> Gemm: a negative calibration value makes NaN activations.
        let nanModel = Graph(
            name: "sqrt-gemm",
            nodes: [Node(name: "sqrt", opType: "Sqrt", inputs: ["x"], outputs: ["s"]),
                    Node(name: "fc", opType: "Gemm", inputs: ["s", "W", "b"], outputs: ["y"], attributes: ["transB": .int(1)])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(4)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(2)])],
            initializers: ["W": Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 4]), "b": Tensor([0, 0], shape: [2])])
        try EPMWriter.write(nanModel, to: path("sqrt.epm"))
        try NPY.write(Tensor([1, 4, 9, 16, 1, 1, -1, 1], shape: [2, 4]), to: path("negative.npy"))
        let cnn = CLIFixtures.path("models/digits_cnn.onnx"), calibCNN = CLIFixtures.path("digits/calib_x_cnn.npy")

        let out = path("out.epm")
        let base = ["--ladder", "0.9", "--protect", "none"]
        let cases: [([String], [String])] = [
            (["prune", mlp] + base + ["--recover", "foo", "--calib", calibMLP], ["unknown recovery method 'foo' (reconstruct)"]),
            (["prune", mlp] + base + ["--recover", "reconstruct"], ["--recover reconstruct needs calibration data (--calib"]),
            (["prune", mlp] + base + ["--recover", "reconstruct", "--calib", calibMLP, "--damping", "0"], ["--damping must be a finite number > 0, got 0.0"]),
            (["prune", mlp] + base + ["--recover", "reconstruct", "--calib", calibMLP, "--damping=-1"], ["--damping must be a finite number > 0, got -1.0"]),
            (["prune", mlp] + base + ["--recover", "reconstruct", "--calib", calibMLP, "--damping", "nan"], ["--damping must be a finite number > 0, got nan"]),
            (["prune", mlp] + base + ["--recover", "reconstruct", "--calib", calibMLP, "--damping", "inf"], ["--damping must be a finite number > 0, got inf"]),
            (["prune", mlp] + base + ["--damping", "0.1"], ["--damping needs --recover reconstruct"]),
            (["prune", mlp] + base + ["--damp-toward", "dense"], ["--damp-toward needs --recover reconstruct"]),
            (["prune", mlp] + base + ["--recover", "reconstruct", "--calib", calibMLP, "--damp-toward", "one"], ["unknown damping anchor 'one' (zero, dense)"]),
            (["prune", mlp] + base + ["--recover", "reconstruct", "--calib", path("empty.npy")], ["calibration data has shape [0,64]"]),
            (["prune", cnn, "--ladder", "0.5", "--granularity", "channel", "--recover", "reconstruct", "--calib", calibCNN], ["channel ladders"]),
            (["prune", path("sqrt.epm"), "--ladder", "0.5", "--protect", "none", "--recover", "reconstruct", "--calib", path("negative.npy")],
             ["for calibration sample 1; reconstruction needs finite activations, nothing written"]),
        ]
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let sentinel = Data("an existing file prune must not touch\n".utf8)
        for (args, fragments) in cases {
            for preexisting in [false, true] {
                if preexisting { try sentinel.write(to: URL(fileURLWithPath: out)) }
                let o = try edgeprune(args + ["--latency-runs", "0", "-o", out])
                assertOneLineError(o, fragments, "\(args.joined(separator: " "))\(preexisting ? " (over an existing file)" : "")")
                if preexisting {
                    XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: out)), sentinel, "\(o.command) changed the existing output")
                    try FileManager.default.removeItem(atPath: out)
                } else {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(o.command) wrote \(out)")
                }
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before, "\(o.command) left files behind")
            }
        }
    }
}
