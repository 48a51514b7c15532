import EdgePruneCore
import Foundation
import XCTest

/// `edgeprune bench-kernels`: the JSON records carry every documented key with consistent values,
/// every weight format shows up, and a bad --json path is a one-line error that writes nothing.
final class CLIBenchKernelsTests: XCTestCase {
    private var binary: URL!

    override func setUpWithError() throws { binary = try CLIRunner.requireBinary() }

    /// Runs the binary under the same limits as CLIErrorTests (4 GiB address space, 10 s).
    func edgeprune(_ args: [String]) throws -> CLIOutcome {
        try CLIRunner.run(binary, args, timeout: CLIErrorTests.timeout, addressSpaceKiB: CLIErrorTests.defaultAddressSpaceKiB)
    }

    func testBenchKernelsWritesConsistentRecordsForEveryFormat() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("bk-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        let r = try edgeprune(["bench-kernels", "--quick", "--op", "linear", "--shape", "64x40", "--batch", "1", "3",
                               "--sparsity", "0.5", "--rounds", "1", "--json", json])
        XCTAssertEqual(r.status, 0, r.stderr)
        let records = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        XCTAssertFalse(records.isEmpty)
        var formats = Set<String>()
        for rec in records {
            for key in ["op", "shape", "batch", "dtype", "format", "kernel", "sparsity", "us", "dense_us", "speedup"] {
                XCTAssertNotNil(rec[key], "record lacks \(key): \(rec)")
            }
            let us = rec["us"] as? Double ?? 0, dense = rec["dense_us"] as? Double ?? 0, speedup = rec["speedup"] as? Double ?? 0
            XCTAssertGreaterThan(us, 0)
            XCTAssertEqual(speedup, dense / us, accuracy: 1e-9 * max(1, speedup))
            XCTAssertEqual(rec["op"] as? String, "linear")
            XCTAssertEqual(rec["shape"] as? String, "64x40")
            formats.insert("\(rec["dtype"]!) \(rec["format"]!)")
        }
        for name in LinearFormats.formatNames { XCTAssertTrue(formats.contains("f32 \(name)"), "no record for \(name)") }
        XCTAssertTrue(formats.contains { $0.hasPrefix("int8 ") }, "no int8 records")
        XCTAssertTrue(r.stdout.contains("median speedup over the Linear shapes"))
    }

    func testBenchKernelsRejectsBadShapesAndAnUnwritableJSONPath() throws {
        let bad = try edgeprune(["bench-kernels", "--shape", "64by40"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--shape must be INxOUT"), bad.stderr)
        let r = try edgeprune(["bench-kernels", "--quick", "--op", "linear", "--batch", "1", "--sparsity", "0.9",
                               "--rounds", "1", "--json", "/nonexistent-dir/out.json"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("/nonexistent-dir"), r.stderr)
        XCTAssertFalse(r.stderr.contains("linear 256x256"), "benchmarked before rejecting the path: \(r.stderr)")
        XCTAssertLessThan(r.seconds, 5)
    }
}
