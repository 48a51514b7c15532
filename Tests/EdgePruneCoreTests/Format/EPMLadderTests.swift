import Foundation
import XCTest
@testable import EdgePruneCore

/// The sparsity ladder in .epm files: written, read back equal, and rejected with a clear error
/// when it does not fit the model.
final class EPMLadderTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-epm-ladder-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// One Gemm, W 4 x 3, with a two-level ladder.
    static func laddered() -> Graph {
        var g = Graph(name: "laddered", opset: 13)
        g.inputs = [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(3)])]
        g.outputs = [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("N"), .fixed(4)])]
        g.initializers = ["W": Tensor((1...12).map { Float($0) }, shape: [4, 3]), "b": Tensor([0, 0, 0, 0], shape: [4])]
        g.nodes = [Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["y"], attributes: ["transB": .int(1)])]
        g.ladder = SparsityLadder(
            method: "magnitude", granularity: "unstructured", scope: "global",
            levels: [LadderLevel(sparsity: 0, macs: 12, parameters: 16, nonzeros: 12, sizeBytes: 900, accuracy: 0.9, latencyMicros: 2.5),
                     LadderLevel(sparsity: 0.25, layerSparsity: ["W": 0.25], macs: 9, accuracy: 0.85),
                     LadderLevel(sparsity: 0.5, layerSparsity: ["W": 0.5], macs: 6, latencyMicros: 1.5)],
            codes: ["W": [1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0]])
        return g
    }

    func path() -> String { dir.appendingPathComponent("m-\(UUID().uuidString).epm").path }

    func testLadderRoundTripsAndLevelsMaskTheRightWeights() throws {
        let p = path()
        try EPMWriter.write(Self.laddered(), to: p)
        let g = try EPMReader.load(p)
        XCTAssertEqual(g.ladder, Self.laddered().ladder)
        XCTAssertEqual(try g.atLadderLevel(0).initializers["W"]!.floats, (1...12).map { Float($0) })
        XCTAssertEqual(try g.atLadderLevel(1).initializers["W"]!.floats, [0, 0, 0] + (4...12).map { Float($0) })
        XCTAssertEqual(try g.atLadderLevel(2).initializers["W"]!.floats, [0, 0, 0, 0, 0, 0] + (7...12).map { Float($0) })
        // The stored weights themselves stay level 0.
        XCTAssertEqual(g.initializers["W"]!.floats[0], 1)
    }

    func testLevelsOutsideTheLadderAreErrors() throws {
        let g = Self.laddered()
        XCTAssertThrowsError(try g.atLadderLevel(3)) { XCTAssertTrue("\($0)".contains("levels 0...2"), "\($0)") }
        XCTAssertThrowsError(try g.atLadderLevel(-1))
        var plain = g
        plain.ladder = nil
        XCTAssertThrowsError(try plain.atLadderLevel(1)) { XCTAssertTrue("\($0)".contains("no sparsity ladder"), "\($0)") }
        XCTAssertNoThrow(try plain.atLadderLevel(0))
    }

    func testALadderThatDoesNotFitTheModelIsRejectedAtLoad() throws {
        let cases: [(String, (inout SparsityLadder) -> Void)] = [
            ("above the top level", { $0.codes["W"]![0] = 3 }),
            ("needs one per element", { $0.codes["W"]!.removeLast() }),
            ("does not have", { $0.codes["missing"] = [0] }),
            ("must ascend", { $0.levels[2].sparsity = 0.1 }),
            ("outside [0, 1)", { $0.levels[1].sparsity = 1.5 }),
        ]
        for (fragment, mutate) in cases {
            var g = Self.laddered()
            mutate(&g.ladder!)
            let p = path()
            try EPMWriter.write(g, to: p)
            assertThrows(fragment) { _ = try EPMReader.load(p) }
        }
    }

    func testACorruptLadderSectionFailsItsChecksum() throws {
        let p = path()
        try EPMWriter.write(Self.laddered(), to: p)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)))
        // The ladder section starts after the graph section; flip a byte of its method string.
        let text = Array("magnitude".utf8)
        let at = (0..<(bytes.count - text.count)).first { Array(bytes[$0..<($0 + text.count)]) == text }!
        bytes[at] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        assertThrows("checksum mismatch in the ladder section") { _ = try EPMReader.load(p) }
    }

    func testModelsWithoutALadderHaveNone() throws {
        var g = Self.laddered()
        g.ladder = nil
        let p = path()
        try EPMWriter.write(g, to: p)
        XCTAssertNil(try EPMReader.load(p).ladder)
    }
}
