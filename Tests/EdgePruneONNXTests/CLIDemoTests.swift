import Foundation
import XCTest

/// `edgeprune demo` end to end on a small ladder: calibration table, live lines (not a terminal:
/// one per second), summary figures, JSON, SVG and journal; one-line errors before any work.
final class CLIDemoTests: XCTestCase {
    private var dir: URL!
    private var binary: URL!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("demo")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    let mlp = CLIFixtures.path("models/digits_mlp.onnx")
    let x = CLIFixtures.path("digits/test_x_mlp.npy")
    let y = CLIFixtures.path("digits/test_y.npy")

    func edgeprune(_ args: [String]) throws -> CLIOutcome { try CLIRunner.run(binary, args, timeout: 180) }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    private func ladder() throws -> String {
        let out = path("ladder.epm")
        let o = try edgeprune(["prune", mlp, "--protect", "none", "--ladder", "0.5,0.8,0.9", "--latency-runs", "0", "-o", out])
        XCTAssertEqual(o.status, 0, o.summary)
        return out
    }

    struct DemoJSON: Decodable {
        struct Level: Decodable { let level: Int; let p95Ms: Double; let loadedP95Ms: Double?; let accuracy: Double }
        struct Step: Decodable { let inference: Int; let level: Int; let load: Double }
        struct Figures: Decodable { let loadResponses: [Load]; let longestBelowFloor: Int }
        struct Load: Decodable { let start: Int; let end: Int }
        let levels: [Level]; let steps: [Step]; let decisions: [Decision]; let decisionIndices: [Int]
        let figures: Figures; let latencyBudgetMs: Double?; let accuracyFloor: Double?
        struct Decision: Decodable { let from: Int; let to: Int; let reason: String }
    }

    func testShortDemoWritesSummaryJSONPlotAndJournal() throws {
        let model = try ladder()
        let json = path("demo.json"), svg = path("demo.svg"), journal = path("journal.jsonl")
        let o = try edgeprune(["demo", model, "--data", x, "--labels", y, "--before", "100", "--load", "200", "--after", "200",
                               "--rate", "1000", "--busy-threads", "1", "--calibration-runs", "20",
                               "--json", json, "--plot", svg, "--journal", journal])
        XCTAssertEqual(o.status, 0, o.summary)
        for fragment in ["calibrating 4 levels", "level  sparsity  p50 ms", "budget: p95 <=", "ran 500 inferences",
                         "load 100..<300: p95 first back under budget", "load 100..<300: p95 under budget for good", "longest stay below the accuracy floor", "wrote \(json)"] {
            XCTAssertTrue(o.stdout.contains(fragment), "stdout lacks '\(fragment)':\n\(o.stdout)")
        }
        XCTAssertFalse(o.stdout.contains("\u{1B}[K"), "no in-place line when stdout is not a terminal")
        XCTAssertTrue(o.stdout.contains("[  500/500]"), "the last live line is printed")
        let r = try JSONDecoder().decode(DemoJSON.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(r.levels.map(\.level), [0, 1, 2, 3])
        XCTAssertEqual(r.steps.last?.inference, 499)
        XCTAssertEqual(r.figures.loadResponses.first?.start, 100)
        XCTAssertEqual(r.decisions.count, r.decisionIndices.count)
        let dense = r.levels[0]
        let expected = dense.loadedP95Ms.map { $0 > dense.p95Ms ? ($0 * dense.p95Ms).squareRoot() : 1.5 * dense.p95Ms } ?? 1.5 * dense.p95Ms
        XCTAssertEqual(try XCTUnwrap(r.latencyBudgetMs), expected, accuracy: 1e-9,
                       "default budget: the geometric mean of the dense p95 without and with the load (1.5 x unloaded when the load did not slow it)")
        XCTAssertEqual(try XCTUnwrap(r.accuracyFloor), r.levels[0].accuracy - 0.03, accuracy: 1e-9)
        XCTAssertTrue(r.steps.contains { $0.load > 0 }, "the load phase is in the trace")
        let plot = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(plot.hasPrefix("<svg") || plot.hasPrefix("<?xml"), String(plot.prefix(80)))
        XCTAssertTrue(plot.contains("p95 latency"))
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, r.decisions.count, "every decision is in the journal file")
    }

    func testBadInputFailsBeforeAnyWork() throws {
        let plain = try edgeprune(["demo", mlp, "--data", x, "--labels", y])
        assertOneLineError(plain, ["has no sparsity ladder", "edgeprune prune"], "model without a ladder")
        let model = try ladder()
        assertUsageError(try edgeprune(["demo", model, "--data", x, "--labels", y, "--busy-threads", "-1"]), ["--busy-threads"])
        assertUsageError(try edgeprune(["demo", model, "--data", x, "--labels", y, "--budget-factor", "0.5"]), ["--budget-factor must be > 1"])
        assertUsageError(try edgeprune(["demo", model, "--data", x, "--labels", y, "--label-fraction", "2"]), ["--label-fraction"])
        let missing = path("no/such/dir/trace.svg")
        let o = try edgeprune(["demo", model, "--data", x, "--labels", y, "--plot", missing])
        XCTAssertNotEqual(o.status, 0)
        XCTAssertTrue(o.stderr.contains("--plot"), o.summary)
        XCTAssertFalse(o.stdout.contains("calibrating"), "refused before calibrating")
        let wrongLabels = try edgeprune(["demo", model, "--data", x, "--labels", CLIFixtures.path("digits/calib_y.npy")])
        assertOneLineError(wrongLabels, ["labels for 360 samples"], "labels that do not match the data")
    }
}
