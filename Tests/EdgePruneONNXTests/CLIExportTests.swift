import EdgePruneCore
import EdgePrunePruning
import Foundation
import XCTest
@testable import EdgePruneONNX

/// `edgeprune export` end to end: the file it writes is valid ONNX our loader reloads with the
/// same outputs (and the level's zeros), and every failure is one "error:" line, a non-zero exit
/// and no output file.
final class CLIExportTests: XCTestCase {
    typealias F = ExportFixtures
    static let timeout: TimeInterval = 120

    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("cli-export")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// Runs the binary; a hang or a crash fails the test here.
    func edgeprune(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIOutcome {
        let o = try CLIRunner.run(binary, args, timeout: Self.timeout)
        assertFinished(o, file: file, line: line)
        return o
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    // MARK: Success

    func testExportedONNXReloadsWithEqualOutputs() throws {
        for c in try F.digits() where c.name == "digits_mlp" || c.name == "digits_cnn" {
            let out = path("\(c.name).onnx")
            let r = try edgeprune(["export", c.path, "-o", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stderr, "")
            let lines = r.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stdout)
            XCTAssertTrue(r.stdout.hasPrefix("wrote \(out): level 0, "), r.stdout)
            let original = try ONNXImporter.load(c.path)
            let params = original.initializers.values.filter { $0.dtype == .float32 }.reduce(0) { $0 + $1.count }
            XCTAssertTrue(r.stdout.contains(" \(params) parameters"), "\(r.stdout) lacks \(params) parameters")

            let reloaded = try ModelLoader.load(out)
            let feeds = F.feeds(c, for: original)
            for (a, b) in zip(try F.run(reloaded, feeds), try F.run(original, feeds)) {
                XCTAssertTrue(F.sameBytes(a, b), "\(c.name): max |diff| \(F.maxAbsDiff(a, b))")
            }
        }
    }

    /// An .epm holding the fused graph and a ladder, exported at level 2: standard ONNX (no
    /// internal attributes), the level's zeros, and the level's outputs.
    func testLadderedEPMExportsTheLevel() throws {
        let c = try F.digits().first { $0.name == "digits_cnn" }!
        var g = try InferenceSession(graph: try ONNXImporter.load(c.path)).graph
        g.ladder = try F.ladder(for: g, levels: 3, seed: 11)
        let epm = path("cnn.epm")
        try EPMWriter.write(g, to: epm)
        let out = path("cnn_level2.onnx")
        let r = try edgeprune(["export", epm, "--level", "2", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("wrote \(out): level 2, "), r.stdout)

        let level2 = try PrunedLevels.graph(g, level: 2)
        let (params, nonzeros) = Self.counts(level2)
        XCTAssertTrue(r.stdout.contains("\(params) parameters, \(nonzeros) non-zero"), "\(r.stdout): want \(params), \(nonzeros)")
        let reloaded = try ONNXImporter.load(out)
        XCTAssertFalse(reloaded.nodes.contains { n in n.attributes.keys.contains { $0.hasPrefix("ep_") } })
        XCTAssertEqual(reloaded.metadata["edgeprune.ladder_level"], "2")
        XCTAssertEqual(Self.counts(reloaded).1, nonzeros, "the file holds exactly the level's non-zeros")
        let feeds = F.feeds(c, for: g)
        for (a, b) in zip(try F.run(reloaded, feeds), try F.run(level2, feeds)) {
            XCTAssertTrue(F.sameBytes(a, b), "max |diff| \(F.maxAbsDiff(a, b))")
        }
    }

    func testHelpNamesWhereLevelsComeFrom() throws {
        let r = try edgeprune(["export", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("edgeprune prune"), r.stdout)
        XCTAssertTrue(r.stdout.contains("--level"), r.stdout)
    }

    // MARK: Failures

    func testErrorsAreOneLineAndWriteNothing() throws {
        let mlp = F.root + "/models/digits_mlp.onnx"
        var g = try ONNXImporter.load(mlp)
        g.ladder = try F.ladder(for: g, levels: 2, seed: 5)
        let epm = path("mlp.epm")
        try EPMWriter.write(g, to: epm)
        let out = path("out.onnx")
        let cases: [([String], String)] = [
            (["export", mlp, "--level", "3", "-o", out], "no sparsity ladder"),
            (["export", epm, "--level", "3", "-o", out], "outside the model's sparsity ladder (levels 0...2)"),
            (["export", epm, "--level=-1", "-o", out], "--level must be 0 or more"),
            (["export", path("missing.onnx"), "-o", out], "cannot open"),
            (["export", mlp, "-o", path("no/such/dir/out.onnx")], "does not exist"),
        ]
        for (args, expect) in cases {
            assertOneLineError(try edgeprune(args), [expect])
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            XCTAssertEqual(left, ["mlp.epm"], "\(args) left files behind")
        }
    }

    static func counts(_ g: Graph) -> (Int, Int) {
        var parameters = 0, nonzeros = 0
        for t in g.initializers.values where t.dtype == .float32 {
            parameters += t.count
            nonzeros += t.floats.filter { $0 != 0 }.count
        }
        return (parameters, nonzeros)
    }
}
