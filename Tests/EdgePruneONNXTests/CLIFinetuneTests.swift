import EdgePruneCore
import EdgePruneONNX
import Foundation
import XCTest

/// `edgeprune finetune` end to end, and `prune --method taylor|snip` / `--scope global-threshold`:
/// a pruned level gets better on held-out data, pruned weights stay zero, level 0 and the ladder's
/// masks are untouched, and bad input or a diverging run writes nothing.
final class CLIFinetuneTests: XCTestCase {
    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("cli-finetune")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    let mlp = CLIFixtures.path("models/digits_mlp.onnx")
    let calibX = CLIFixtures.path("digits/calib_x_mlp.npy")
    let calibY = CLIFixtures.path("digits/calib_y.npy")
    let testX = CLIFixtures.path("digits/test_x_mlp.npy")
    let testY = CLIFixtures.path("digits/test_y.npy")

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func edgeprune(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIOutcome {
        let o = try CLIRunner.run(binary, args, timeout: 300)
        assertFinished(o, file: file, line: line)
        return o
    }

    /// digits_mlp with a one-level ladder at 90%, plain global threshold, nothing protected.
    func pruned() throws -> String {
        let out = path("pruned.epm")
        if FileManager.default.fileExists(atPath: out) { return out }
        let o = try edgeprune(["prune", mlp, "--ladder", "0.9", "--scope", "global-threshold", "--protect", "none",
                               "--latency-runs", "0", "-o", out])
        XCTAssertEqual(o.status, 0, o.stderr)
        return out
    }

    func testAccuracy(_ model: String, level: Int) throws -> Double {
        let o = try edgeprune(["eval", model, "--level", "\(level)", "--data", testX, "--labels", testY, "--latency-runs", "0", "--json"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as! [String: Any]
        return json["accuracy"] as! Double
    }

    struct Report: Decodable {
        let levels: [Level]
        let written: Bool
        struct Level: Decodable {
            let level: Int, initialValidationAccuracy: Double, bestValidationAccuracy: Double, bestEpoch: Int
            let runtimeValidationAccuracy: Double?
        }
    }

    func testFineTuningALevelImprovesItAndTouchesNothingElse() throws {
        let model = try pruned()
        let out = path("tuned.epm")
        let o = try edgeprune(["finetune", model, "--data", calibX, "--labels", calibY, "--epochs", "4", "--lr", "0.003", "--json", "-o", out])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertTrue(o.stderr.contains("level 1 epoch 4/4"), o.stderr)
        let report = try JSONDecoder().decode(Report.self, from: Data(o.stdout.utf8))
        XCTAssertEqual(report.levels.map(\.level), [1])
        let l = report.levels[0]
        XCTAssertGreaterThan(l.bestValidationAccuracy, l.initialValidationAccuracy)
        XCTAssertEqual(l.runtimeValidationAccuracy ?? -1, l.bestValidationAccuracy, accuracy: 0.005, "the runtime agrees with training")

        let before = try EPMReader.load(model), after = try EPMReader.load(out)
        XCTAssertEqual(after.ladder?.codes, before.ladder?.codes, "masks unchanged")
        XCTAssertEqual(after.ladder?.levels[1].accuracy ?? -1, l.runtimeValidationAccuracy ?? -2, accuracy: 1e-9)
        for (name, codes) in before.ladder!.codes {
            XCTAssertEqual(after.initializers[name]!.floats, before.initializers[name]!.floats, "level 0 of \(name)")
            let w = try after.atLadderLevel(1).initializers[name]!.floats
            XCTAssertTrue(zip(w, codes).allSatisfy { $1 == 0 || $0 == 0 }, "pruned weights of \(name) stay zero")
        }
        XCTAssertGreaterThan(try testAccuracy(out, level: 1), try testAccuracy(model, level: 1), "better on the test set too")
        XCTAssertEqual(try testAccuracy(out, level: 0), try testAccuracy(model, level: 0))
    }

    func testAModelPrunedElsewhereKeepsItsZeros() throws {
        let onnx = CLIFixtures.path("models/digits_mlp1024_pruned90.onnx")
        let out = path("tuned1024.epm")
        let o = try edgeprune(["finetune", onnx, "--data", testX, "--labels", testY, "--epochs", "1", "--lr", "0.0005", "-o", out])
        // Either it improved (written) or it said so (nothing written): both keep the zeros.
        if o.status == 0 {
            let before = try ModelLoader.load(onnx), after = try EPMReader.load(out)
            for (name, t) in before.initializers where t.dtype == .float32 && t.rank == 2 {
                XCTAssertTrue(zip(t.floats, after.initializers[name]!.floats).allSatisfy { $0 != 0 || $1 == 0 }, name)
            }
        } else {
            XCTAssertTrue(o.stderr.contains("no level improved"), o.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    func testBadInputAndDivergenceWriteNothing() throws {
        let model = try pruned()
        let out = path("never.epm")
        let short = path("short_y.npy"), nanX = path("nan_x.npy")
        try NPY.write(Tensor(int64: [1, 2, 3], shape: [3]), to: short)
        var values = try NPY.read(testX).floats
        values[70] = .nan
        try NPY.write(Tensor(values, shape: [360, 64]), to: nanX)
        let base = ["finetune", model, "-o", out]
        let cases: [([String], [String])] = [
            (["--data", testX, "--labels", short], ["3 labels for 360 samples"]),
            (["--data", nanX, "--labels", testY], ["sample 1, element 6 is nan"]),
            (["--data", testX, "--labels", testY, "--level", "2"], ["--level must be 'all' or a level in 0...1"]),
            (["--data", testX, "--labels", testY, "--level", "0"], ["dense reference"]),
            (["--data", testX, "--labels", testY, "--optimizer", "rmsprop"], ["unknown optimizer 'rmsprop'"]),
            (["--data", testX, "--labels", testY, "--lr=-1"], ["--lr must be a positive number"]),
            (["--data", testX, "--labels", testY, "--epochs", "0"], ["--epochs must be at least 1"]),
        ]
        for (args, fragments) in cases {
            assertOneLineError(try edgeprune(base + args), fragments, args.joined(separator: " "))
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(args): wrote \(out)")
        }
        assertUsageError(try edgeprune(base + ["--data", testX, "--labels", testY, "--val-data", testX]), ["--val-data and --val-labels together"])
        // A learning rate that blows the loss up: stopped after progress lines, the last line the error.
        let o = try edgeprune(base + ["--data", testX, "--labels", testY, "--optimizer", "sgd", "--lr", "1e6", "--epochs", "3"])
        XCTAssertNotEqual(o.status, 0)
        let last = o.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("error: ") && last.contains("training diverged"), o.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testGradientImportanceAndGlobalThreshold() throws {
        for method in ["taylor", "snip"] {
            let out = path("\(method).epm")
            let o = try edgeprune(["prune", mlp, "--method", method, "--ladder", "0.5,0.8", "--calib", calibX, "--labels", calibY,
                                   "--latency-runs", "0", "-o", out])
            XCTAssertEqual(o.status, 0, o.stderr)
            XCTAssertEqual(try EPMReader.load(out).ladder?.method, method)
            XCTAssertGreaterThan(try testAccuracy(out, level: 1), 0.9, "\(method) at 50%")
        }
        // The plain global threshold empties small-weight layers more than LAMP does.
        let lamp = path("lamp.epm"), plain = try pruned()
        XCTAssertEqual(try edgeprune(["prune", mlp, "--ladder", "0.9", "--protect", "none", "--latency-runs", "0", "-o", lamp]).status, 0)
        let a = try EPMReader.load(lamp).ladder!.levels[1].layerSparsity, b = try EPMReader.load(plain).ladder!.levels[1].layerSparsity
        XCTAssertNotEqual(a, b)
    }
}
