import Foundation
import XCTest
@testable import EdgePruneCore

/// Sparse weights in .epm files: stored as csr blobs, loaded dense and identical, and a blob whose
/// indices are out of range or inconsistent is rejected at load with a clear error.
final class EPMSparseEncodingTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-epm-csr-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// y = relu(x · Wᵀ + b) with W 64 x 300, `sparsity` of it zero.
    private func graph(sparsity: Double) -> Graph {
        var rng = TestRandom(seed: 11)
        let w = (0..<(64 * 300)).map { _ -> Float in
            let v = rng.float()
            return Double(rng.next() % 1000) < sparsity * 1000 ? 0 : v
        }
        var g = Graph(name: "sparse", opset: 13)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(300)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(64)])]
        g.initializers = ["W": Tensor(w, shape: [64, 300]), "b": rng.tensor([64])]
        g.nodes = [
            Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["h"], attributes: ["transB": .int(1)]),
            Node(name: "act", opType: "Relu", inputs: ["h"], outputs: ["y"]),
        ]
        return g
    }

    private func write(_ g: Graph) throws -> (String, [UInt8]) {
        let path = dir.appendingPathComponent("m-\(UUID().uuidString).epm").path
        try EPMWriter.write(g, to: path)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    private func load(_ bytes: [UInt8]) throws -> Graph {
        let path = dir.appendingPathComponent("case-\(UUID().uuidString).epm").path
        try FileIO.writeAtomically(path, bytes: bytes)
        return try EPMReader.load(path)
    }

    /// Offset of the csr blob in the file (its header starts with "CSR1").
    private func blobOffset(_ bytes: [UInt8]) -> Int? {
        let magic = Array("CSR1".utf8)
        return (0..<(bytes.count - 4)).first { i in bytes[i] == magic[0] && Array(bytes[i..<(i + 4)]) == magic }
    }

    private func u64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }

    func testSparseWeightIsStoredCompactAndLoadsIdentical() throws {
        let g = graph(sparsity: 0.8)
        let (sparsePath, sparseBytes) = try write(g)
        let (_, denseBytes) = try write(graph(sparsity: 0))
        XCTAssertNotNil(blobOffset(sparseBytes), "no csr blob in the file")
        XCTAssertNil(blobOffset(denseBytes), "a dense weight was stored as csr")
        XCTAssertLessThan(sparseBytes.count, denseBytes.count / 2, "csr did not shrink the file")
        let loaded = try EPMReader.load(sparsePath)
        XCTAssertEqual(loaded.initializers["W"]!.floats, g.initializers["W"]!.floats)
        XCTAssertEqual(loaded.initializers["W"]!.shape, [64, 300])
        // And it runs like the original.
        var rng = TestRandom(seed: 3)
        let x = rng.tensor([2, 300])
        let want = try InferenceSession(graph: g).run(["x": x])["y"]!
        let got = try InferenceSession(graph: loaded).run(["x": x])["y"]!
        XCTAssertLessThanOrEqual(maxAbsDiff(want, got), 1e-5)
    }

    func testCorruptCSRBlobsAreRejectedAtLoad() throws {
        let (_, bytes) = try write(graph(sparsity: 0.8))
        let at = try XCTUnwrap(blobOffset(bytes))
        // Header: magic u32, version u32, rows, cols, nnz, off_ptr, off_idx, off_val, size (u64).
        let offPtr = at + u64(bytes, at + 32), offIdx = at + u64(bytes, at + 40)
        let cases: [(String, String, (inout [UInt8]) -> Void)] = [
            ("column index past the last column", "column", { b in b[offIdx] = 0xFF; b[offIdx + 1] = 0xFF }),
            ("decreasing row pointers", "row pointer", { b in b[offPtr + 4 * 5 + 3] = 0x7F }),
            ("wrong row count", "shape", { b in b[at + 8] = 65 }),
            ("offset outside the blob", "", { b in b[at + 46] = 0x10 }),
        ]
        for (what, needle, corrupt) in cases {
            var b = bytes
            corrupt(&b)
            EPMFormatTests.fixChecksums(&b)
            do {
                _ = try load(b)
                XCTFail("\(what): accepted")
            } catch let e as EdgePruneError {
                XCTAssertTrue(e.message.contains("tensor 'W'") && e.message.contains("csr"), "\(what): \(e)")
                if !needle.isEmpty { XCTAssertTrue(e.message.contains(needle), "\(what): '\(e)' lacks '\(needle)'") }
                XCTAssertFalse(e.description.contains("\n"))
            }
        }
    }
}
