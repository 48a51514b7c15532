import EdgePruneCore
import Foundation
import SwiftProtobuf
import XCTest
@testable import EdgePruneONNX

/// `edgeprune quantize` end to end, and the commands that run its result: inspect and eval show
/// int8 kernels, bench compares against f32, export writes QDQ ONNX that ONNX Runtime runs to our
/// predictions; bad calibration data is one error line and no file.
final class CLIQuantizeTests: XCTestCase {
    static let timeout: TimeInterval = 180
    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("cli-quantize")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func edgeprune(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIOutcome {
        let o = try CLIRunner.run(binary, args, timeout: Self.timeout)
        assertFinished(o, file: file, line: line)
        return o
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    let mlp = CLIFixtures.path("models/digits_mlp.onnx")
    let calib = CLIFixtures.path("digits/calib_x_mlp.npy")
    let calibY = CLIFixtures.path("digits/calib_y.npy")
    let testX = CLIFixtures.path("digits/test_x_mlp.npy")
    let testY = CLIFixtures.path("digits/test_y.npy")

    struct QuantizeJSON: Decodable {
        let levels: Int; let samples: Int; let method: String; let skipped: [String]
        let layers: [Layer]
        struct Layer: Decodable { let node: String; let xScale: Float; let yZeroPoint: Int }
    }
    struct EvalJSON: Decodable {
        let accuracy: Double; let level: Int; let kernels: [Kernel]
        struct Kernel: Decodable { let node: String; let kernel: String }
    }

    /// A pruned (block 4x4 ladder) and quantised digits MLP in the scratch directory.
    private func quantisedLadder() throws -> (pruned: String, int8: String) {
        let pruned = path("pruned.epm"), int8 = path("int8.epm")
        let p = try edgeprune(["prune", mlp, "--granularity", "block:4x4", "--ladder", "0.5,0.8", "--latency-runs", "0", "-o", pruned])
        XCTAssertEqual(p.status, 0, p.stderr)
        let q = try edgeprune(["quantize", pruned, "--calib", calib, "-o", int8, "--json"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertEqual(q.stderr, "")
        let r = try JSONDecoder().decode(QuantizeJSON.self, from: Data(q.stdout.utf8))
        XCTAssertEqual(r.levels, 3)
        XCTAssertEqual(r.samples, 1437)
        XCTAssertEqual(r.method, "minmax")
        XCTAssertEqual(r.layers.count, 3)
        return (pruned, int8)
    }

    func testQuantizedLadderEvaluatesNextToF32WithInt8KernelsAtEveryLevel() throws {
        let (pruned, int8) = try quantisedLadder()
        for level in 0...2 {
            let a = try edgeprune(["eval", pruned, "--level", "\(level)", "--data", testX, "--labels", testY, "--latency-runs", "0", "--json"])
            let b = try edgeprune(["eval", int8, "--level", "\(level)", "--data", testX, "--labels", testY, "--latency-runs", "0", "--json"])
            XCTAssertEqual(a.status, 0, a.stderr); XCTAssertEqual(b.status, 0, b.stderr)
            let f32 = try JSONDecoder().decode(EvalJSON.self, from: Data(a.stdout.utf8))
            let q = try JSONDecoder().decode(EvalJSON.self, from: Data(b.stdout.utf8))
            XCTAssertEqual(q.accuracy, f32.accuracy, accuracy: 0.015, "level \(level)")
            XCTAssertEqual(q.kernels.count, 3)
            XCTAssertTrue(q.kernels.allSatisfy { $0.kernel.hasPrefix("ep_qs8_linear_") && $0.kernel.contains("[int8-") }, "\(q.kernels)")
            XCTAssertTrue(f32.kernels.allSatisfy { !$0.kernel.contains("qs8") })
        }
        let i = try edgeprune(["inspect", int8, "--level", "2"])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertEqual(i.stdout.components(separatedBy: "ep_qs8_linear_").count - 1, 3, i.stdout)
        let forced = try edgeprune(["inspect", int8, "--level", "2", "--linear-format", "int8-bsr4x4"])
        XCTAssertEqual(forced.stdout.components(separatedBy: "[int8-bsr4x4, ").count - 1, 3, forced.stdout)
        let bench = try edgeprune(["bench", int8, "--level", "2", "--vs-f32", "--runs", "100", "--warmup", "10", "--json"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let j = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(j["level"] as? Int, 2)
        let f32p50 = try XCTUnwrap(j["f32_p50_us"] as? Double), p50 = try XCTUnwrap(j["p50_us"] as? Double)
        XCTAssertEqual(try XCTUnwrap(j["speedup_vs_f32"] as? Double), f32p50 / p50, accuracy: 1e-9)
        assertOneLineError(try edgeprune(["bench", pruned, "--vs-f32", "--runs", "5"]), ["has no int8-quantised layer"])
    }

    /// The acceptance check: the QDQ export of every level, run by ONNX Runtime, agrees with our
    /// int8 run on >= 99.5% of top-1 predictions (in practice: on all of them, bit for bit).
    func testExportedQDQAgreesWithONNXRuntimeAtEveryLevel() throws {
        guard ORTRunner.available() != nil else { throw XCTSkip(ORTRunner.unavailableReason ?? "ONNX Runtime unavailable") }
        let (_, int8) = try quantisedLadder()
        let x = try NPY.read(testX)
        for level in 0...2 {
            let onnx = path("int8-l\(level).onnx"), ours = path("ours-l\(level).npy")
            let e = try edgeprune(["export", int8, "--level", "\(level)", "-o", onnx])
            XCTAssertEqual(e.status, 0, e.stderr)
            let r = try edgeprune(["run", int8, "--level", "\(level)", "--input", testX, "--output", ours])
            XCTAssertEqual(r.status, 0, r.stderr)
            let model = try Onnx_ModelProto(serializedBytes: try FileIO.read(onnx, maxBytes: 1 << 30))
            let ops = model.graph.node.map(\.opType)
            XCTAssertEqual(ops.filter { $0 == "QuantizeLinear" }.count, 6, "\(ops)")
            XCTAssertEqual(ops.filter { $0 == "DequantizeLinear" }.count, 12, "x, weight, bias, y per layer: \(ops)")
            XCTAssertTrue(model.graph.initializer.contains { $0.dataType == 3 }, "int8 weights")
            let theirs = try ORTRunner.run(model: onnx, input: x)[0]
            let mine = try NPY.read(ours)
            XCTAssertEqual(theirs.shape, mine.shape)
            let classes = mine.shape[1], a = theirs.floats, b = mine.floats
            var agree = 0
            for s in 0..<mine.shape[0] {
                let ra = a[(s * classes)..<((s + 1) * classes)], rb = b[(s * classes)..<((s + 1) * classes)]
                if ra.firstIndex(of: ra.max()!) == rb.firstIndex(of: rb.max()!) { agree += 1 }
            }
            XCTAssertGreaterThanOrEqual(Double(agree) / Double(mine.shape[0]), 0.995, "level \(level): \(agree) of \(mine.shape[0])")
            let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(diff, 0.5, "level \(level): outputs differ by more than a few output steps")
        }
    }

    /// The digits CNN (two Conv, two Gemm): every layer int8, ONNX Runtime agrees with the QDQ export.
    func testCNNExportedQDQAgreesWithONNXRuntime() throws {
        guard ORTRunner.available() != nil else { throw XCTSkip(ORTRunner.unavailableReason ?? "ONNX Runtime unavailable") }
        let cnn = CLIFixtures.path("models/digits_cnn.onnx"), x = CLIFixtures.path("digits/test_x_cnn.npy")
        let int8 = path("cnn8.epm"), onnx = path("cnn8.onnx"), ours = path("cnn8.npy")
        let q = try edgeprune(["quantize", cnn, "--calib", CLIFixtures.path("digits/calib_x_cnn.npy"), "--conv", "-o", int8])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stdout.contains("4 int8 layers"), q.stdout)
        XCTAssertEqual(try edgeprune(["export", int8, "-o", onnx]).status, 0)
        XCTAssertEqual(try edgeprune(["run", int8, "--input", x, "--output", ours]).status, 0)
        let theirs = try ORTRunner.run(model: onnx, input: try NPY.read(x))[0], mine = try NPY.read(ours)
        var agree = 0
        for s in 0..<360 {
            let a = theirs.floats[(s * 10)..<(s * 10 + 10)], b = mine.floats[(s * 10)..<(s * 10 + 10)]
            if a.firstIndex(of: a.max()!) == b.firstIndex(of: b.max()!) { agree += 1 }
        }
        XCTAssertGreaterThanOrEqual(agree, 359, "top-1 agreement \(agree) of 360")
    }

    func testBadCalibrationDataIsOneErrorLineAndNothingIsWritten() throws {
        let out = path("q.epm")
        let empty = path("empty.npy"), nan = path("nan.npy"), wrong = path("wrong.npy")
        try NPY.write(Tensor([], shape: [0, 64]), to: empty)
        var v = [Float](repeating: 0.25, count: 3 * 64)
        v[64 + 7] = .nan
        try NPY.write(Tensor(v, shape: [3, 64]), to: nan)
        try NPY.write(Tensor([Float](repeating: 0, count: 30), shape: [3, 10]), to: wrong)
        assertOneLineError(try edgeprune(["quantize", mlp, "--calib", empty, "-o", out]), ["empty.npy", "calibration data is empty"])
        assertOneLineError(try edgeprune(["quantize", mlp, "--calib", nan, "-o", out]), ["nan.npy", "calibration sample 1, element 7 is nan"])
        assertOneLineError(try edgeprune(["quantize", mlp, "--calib", wrong, "-o", out]), ["wrong.npy"])
        assertOneLineError(try edgeprune(["quantize", mlp, "--calib", path("missing.npy"), "-o", out]), ["missing.npy"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written on an error")
        // An existing file is left as it was.
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out))
        assertOneLineError(try edgeprune(["quantize", mlp, "--calib", nan, "-o", out]), ["is nan"])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "keep")
        assertUsageError(try edgeprune(["quantize", mlp, "--calib", calib, "--method", "mse", "-o", out]), ["--method must be minmax or percentile"])
        assertUsageError(try edgeprune(["quantize", mlp, "--calib", calib, "--method", "percentile", "--percentile", "20", "-o", out]), ["--percentile must be in (50, 100]"])
        assertUsageError(try edgeprune(["quantize", mlp, "--calib", calib, "-o", path("no/such/dir/q.epm")]), ["does not exist"])
        let h = try edgeprune(["quantize", "--help"])
        XCTAssertEqual(h.status, 0)
        for f in ["--calib", "--method", "--percentile", "minmax", "percentile", "QDQ"] { XCTAssertTrue(h.stdout.contains(f), "help lacks \(f)") }
    }

    func testLabelsReportF32AndInt8AccuracyOnTheCalibrationData() throws {
        struct J: Decodable {
            let check: [Level]
            struct Level: Decodable { let level: Int; let f32Accuracy: Double; let int8Accuracy: Double; let agreement: Double }
        }
        let out = path("l.epm")
        let q = try edgeprune(["quantize", mlp, "--calib", calib, "--labels", calibY, "-o", out, "--json"])
        XCTAssertEqual(q.status, 0, q.stderr)
        let r = try JSONDecoder().decode(J.self, from: Data(q.stdout.utf8))
        XCTAssertEqual(r.check.map(\.level), [0])
        XCTAssertGreaterThan(r.check[0].f32Accuracy, 0.95)
        XCTAssertEqual(r.check[0].int8Accuracy, r.check[0].f32Accuracy, accuracy: 0.01)
        XCTAssertGreaterThan(r.check[0].agreement, 0.98)
        try FileManager.default.removeItem(atPath: out)
        assertOneLineError(try edgeprune(["quantize", mlp, "--calib", calib, "--labels", testY, "-o", out]), ["360 labels for 1437 calibration samples"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testPercentileMethodWritesAModelThatRuns() throws {
        let out = path("p.epm")
        let q = try edgeprune(["quantize", mlp, "--calib", calib, "--method", "percentile", "--percentile", "99.9", "-o", out])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stdout.contains("ranges by percentile 99.9 over 1437 samples x 1 level"), q.stdout)
        let e = try edgeprune(["eval", out, "--data", testX, "--labels", testY, "--latency-runs", "0", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let r = try JSONDecoder().decode(EvalJSON.self, from: Data(e.stdout.utf8))
        XCTAssertGreaterThan(r.accuracy, 0.9)
    }
}
