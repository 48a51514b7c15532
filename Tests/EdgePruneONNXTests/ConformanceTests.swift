import EdgePruneCore
import Foundation
import XCTest
@testable import EdgePruneONNX

/// The ONNX wheel's PyTorch backend tests. The data ships with the onnx Python package; .ci/run
/// installs it into .venv and exports EDGEPRUNE_ONNX_BACKEND_DATA.
final class ConformanceTests: XCTestCase {
    func backendData() throws -> String {
        if let d = ProcessInfo.processInfo.environment["EDGEPRUNE_ONNX_BACKEND_DATA"] { return d }
        let root = "\(#filePath)".components(separatedBy: "/Tests/").first!
        let lib = root + "/.venv/lib"
        if let py = try? FileManager.default.contentsOfDirectory(atPath: lib).first(where: { $0.hasPrefix("python3") }) {
            let d = lib + "/" + py + "/site-packages/onnx/backend/test/data"
            if FileManager.default.fileExists(atPath: d) { return d }
        }
        throw XCTSkip("ONNX backend test data not found: set EDGEPRUNE_ONNX_BACKEND_DATA or run .ci/run (pip installs onnx into .venv)")
    }

    func testPyTorchBackendTests() throws {
        let data = try backendData()
        var passed = 0, failed: [String] = [], skipped = 0
        for dir in ["pytorch-converted", "pytorch-operator"] {
            for test in try ConformanceRunner.testDirectories(data + "/" + dir) {
                let r = ConformanceRunner.run(test)
                switch r.outcome {
                case .pass: passed += 1
                case .fail(let why): failed.append("\(r.name): \(why)")
                case .unsupported: skipped += 1
                }
            }
        }
        XCTAssertEqual(passed + failed.count + skipped, 117)
        XCTAssertEqual(failed, [], "wrong answers are worse than unsupported")
        XCTAssertGreaterThanOrEqual(passed, 95)
    }
}
