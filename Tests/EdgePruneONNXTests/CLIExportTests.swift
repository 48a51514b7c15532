import EdgePruneCore
import EdgePrunePruning
import Foundation
import XCTest
@testable import EdgePruneONNX

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `edgeprune export` end to end: the file it writes is valid ONNX our loader reloads with the
/// same outputs (and the level's zeros), and every failure is one "error:" line, a non-zero exit
/// and no output file.
final class CLIExportTests: XCTestCase {
    typealias F = ExportFixtures
    static let timeout: TimeInterval = 120

    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        guard let found = CLIErrorTests.locateBinary() else {
            throw XCTSkip("edgeprune binary not found next to the test bundle or in the package's build folders; build it first (swift build --build-tests)")
        }
        binary = found
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-cli-export-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    struct Outcome { let status: Int32; let stdout: String; let stderr: String }

    func edgeprune(_ args: [String]) throws -> Outcome {
        let id = UUID().uuidString
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-out-\(id)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-err-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let start = Date()
        while p.isRunning {
            if Date().timeIntervalSince(start) > Self.timeout { p.terminate(); XCTFail("edgeprune \(args) hung") }
            usleep(5_000)
        }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit, "edgeprune \(args) crashed")
        return Outcome(status: p.terminationStatus,
                       stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
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
            let r = try edgeprune(args)
            XCTAssertNotEqual(r.status, 0, "\(args) succeeded")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(args): stderr \(r.stderr.debugDescription)")
            XCTAssertTrue(lines.first?.hasPrefix("error: ") ?? false, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expect), "\(args): '\(r.stderr)' lacks '\(expect)'")
            XCTAssertEqual(r.stdout, "", "\(args)")
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
