import EdgePruneCore
import Foundation
import XCTest
@testable import EdgePruneONNX

/// Every committed model against ONNX Runtime's outputs (made by scripts/make_fixtures.py), and
/// .onnx against the converted .epm.
final class ModelAgreementTests: XCTestCase {
    static let fixtures: String = {
        let here = "\(#filePath)"
        return here.components(separatedBy: "/Tests/").first! + "/Tests/Fixtures"
    }()

    func maxAbs(_ a: Tensor, _ b: Tensor) -> Float {
        if a.dtype != .float32 { return a.asInts() == b.asInts() ? 0 : .infinity }
        return zip(a.floats, b.floats).map { abs($0 - $1) }.max() ?? 0
    }

    func testDigitsModelsMatchONNXRuntimeOnTheWholeTestSplit() throws {
        let labels = try NPY.read(Self.fixtures + "/digits/test_y.npy").asInts()
        for name in ["mlp", "cnn"] {
            let session = try ModelLoader.session(Self.fixtures + "/models/digits_\(name).onnx")
            let x = try NPY.read(Self.fixtures + "/digits/test_x_\(name).npy")
            let want = try NPY.read(Self.fixtures + "/digits/digits_\(name)_expected.npy")
            let got = try session.run([session.inputs[0].name: x])[session.outputs[0].name]!
            XCTAssertEqual(got.shape, [360, 10])
            XCTAssertLessThanOrEqual(maxAbs(got, want), 1e-4, name)
            let classes = got.floats
            let correct = (0..<360).filter { i in
                let row = classes[(i * 10)..<(i * 10 + 10)]
                return row.firstIndex(of: row.max()!)! - i * 10 == labels[i]
            }.count
            XCTAssertGreaterThan(Double(correct) / 360, 0.95, name)
        }
    }

    /// The wide MLP and its copy pruned in PyTorch (zeros stored densely), one sample at a time (the
    /// batch-1 plan, where sparse formats are chosen) in the measured choice and with each sparse
    /// format forced: ORT's outputs within 1e-4 and exactly ORT's predictions on all 360 samples.
    func testWideMLPsMatchONNXRuntimeSampleBySampleInEveryFormat() throws {
        let x = try NPY.read(Self.fixtures + "/digits/test_x_mlp.npy").floats
        for name in ["digits_mlp1024", "digits_mlp1024_pruned90"] {
            let want = try NPY.read(Self.fixtures + "/digits/\(name)_expected.npy").floats
            let formats: [String?] = name.hasSuffix("pruned90") ? [nil, "csr", "csc", "dense", "gemm"] : [nil]
            for format in formats {
                let session = try ModelLoader.session(Self.fixtures + "/models/\(name).onnx",
                                                      policy: KernelPolicy(linearFormat: format))
                let plan = try session.plan(batch: 1)
                var worst: Float = 0, differentPredictions = 0
                for i in 0..<360 {
                    x[(i * 64)..<(i * 64 + 64)].withUnsafeBytes { plan.inputs[0].pointer.copyMemory(from: $0.baseAddress!, byteCount: 256) }
                    plan.run()
                    let out = plan.outputs[0].pointer.assumingMemoryBound(to: Float.self)
                    let got = (0..<10).map { out[$0] }, ref = Array(want[(i * 10)..<(i * 10 + 10)])
                    worst = max(worst, zip(got, ref).map { abs($0 - $1) }.max()!)
                    if got.firstIndex(of: got.max()!) != ref.firstIndex(of: ref.max()!) { differentPredictions += 1 }
                }
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(name) \(format ?? "auto")")
                XCTAssertEqual(differentPredictions, 0, "\(name) \(format ?? "auto")")
            }
        }
    }

    func testZooModelsMatchONNXRuntime() throws {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/zoo/manifest.json"))) as! [String: Any]
        let models = manifest["models"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(models.count, 10)
        var opsets = Set<Int>()
        for entry in models {
            let dir = Self.fixtures + "/" + (entry["dir"] as! String)
            opsets.insert(entry["opset"] as! Int)
            let session = try ModelLoader.session(dir + "/" + (entry["file"] as! String))
            var feeds: [String: Tensor] = [:]
            for input in entry["inputs"] as! [[String: Any]] {
                feeds[input["name"] as! String] = try NPY.read(dir + "/" + (input["file"] as! String))
            }
            let results = try session.run(feeds)
            for output in entry["outputs"] as! [[String: Any]] {
                let want = try NPY.read(dir + "/" + (output["file"] as! String))
                let got = try XCTUnwrap(results[output["name"] as! String], "\(entry["name"]!) output \(output["name"]!)")
                XCTAssertEqual(got.shape, want.shape, "\(entry["name"]!)")
                XCTAssertLessThanOrEqual(maxAbs(got, want), 1e-4, "\(entry["name"]!) output \(output["name"]!)")
            }
        }
        XCTAssertTrue(opsets.isSuperset(of: [11, 13, 15, 17]), "opsets covered: \(opsets.sorted())")
    }

    func testEPMGivesIdenticalOutputsAndMapsWeights() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("epm-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = [("/models/digits_cnn.onnx", "/digits/test_x_cnn.npy"), ("/models/digits_mlp.onnx", "/digits/test_x_mlp.npy"),
                     ("/zoo/mobilenet_v2_w050_op13/model.onnx", "/zoo/mobilenet_v2_w050_op13/input.npy"),
                     ("/zoo/inception_block_op15/model.onnx", "/zoo/inception_block_op15/input.npy")]
        for (model, input) in cases {
            let onnx = try ModelLoader.session(Self.fixtures + model)
            let path = dir + "/m.epm"
            try EPMWriter.write(onnx.graph, to: path)
            let graph = try ModelLoader.load(path)
            XCTAssertTrue(graph.initializers.values.allSatisfy(\.buffer.isBorrowed), "weights are used in place from the map")
            XCTAssertTrue(graph.initializers.values.allSatisfy { Int(bitPattern: $0.raw) % 64 == 0 })
            let epm = try InferenceSession(graph: graph)
            let x = try NPY.read(Self.fixtures + input)
            let a = try onnx.run([onnx.inputs[0].name: x])[onnx.outputs[0].name]!
            let b = try epm.run([epm.inputs[0].name: x])[epm.outputs[0].name]!
            XCTAssertEqual(a.floats, b.floats, model)
        }
    }
}
