import EdgePruneCore
import EdgePruneONNX
import Foundation
import XCTest

/// The `edgeprune` binary on every malformed model of the acceptance list: `inspect MODEL` and
/// `run MODEL --input x.npy` each exit non-zero (a normal exit, not a signal) within 10 s, under
/// a 4 GiB address-space limit, with exactly one line on stderr starting with "error:".
final class CLIErrorTests: XCTestCase {
    static let timeout: TimeInterval = 10
    static let defaultAddressSpaceKiB = 4 << 20   // 4 GiB: a huge allocation fails instead of swapping

    private var dir: URL!
    private var binary: URL!
    private var inputPath: String!

    override func setUpWithError() throws {
        binary = try CLIRunner.requireBinary()
        dir = try CLIRunner.makeScratchDirectory("cli")
        inputPath = dir.appendingPathComponent("x.npy").path
        try NPY.write(Tensor(MalformedONNX.baseInput, shape: [1, 4]), to: inputPath)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// Runs `edgeprune ARGS` under `ulimit -v`, killed after the timeout.
    func edgeprune(_ args: [String], addressSpaceKiB: Int = defaultAddressSpaceKiB) throws -> CLIOutcome {
        try CLIRunner.run(binary, args, timeout: Self.timeout, addressSpaceKiB: addressSpaceKiB)
    }

    /// The acceptance criterion for one failing invocation. A timeout or a crash is reported once
    /// (with the start of the crash report), not as a cascade of follow-on assertions.
    func assertCleanFailure(_ o: CLIOutcome, expect: String, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let context = "\(what): \(o.summary)"
        guard !o.timedOut else {
            return XCTFail("\(context): did not finish within \(Self.timeout) s (a hang)", file: file, line: line)
        }
        guard o.reason == .exit else {
            return XCTFail("\(context): killed by signal \(o.status) (a crash)", file: file, line: line)
        }
        guard o.status != 125 else {
            return XCTFail("\(context): `ulimit -v` is not available in /bin/sh", file: file, line: line)
        }
        assertOneLineError(o, [expect], what, file: file, line: line)
    }

    private func writeModel(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Both subcommands on every variant of `kind` (plus any extra variants).
    private func check(_ kind: MalformedONNX.Kind, extra: [MalformedONNX.Variant] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        for (i, v) in (MalformedONNX.variants(kind) + extra).enumerated() {
            try checkVariant(v, name: "\(kind.rawValue)-\(i).onnx", what: "\(kind.rawValue) / \(v.label)", file: file, line: line)
        }
    }

    private func checkVariant(_ v: MalformedONNX.Variant, name: String, what: String,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try writeModel(v.bytes, name)
        assertCleanFailure(try edgeprune(["inspect", model], addressSpaceKiB: v.addressSpaceKiB),
                           expect: v.expect, "\(what) / inspect", file: file, line: line)
        assertCleanFailure(try edgeprune(["run", model, "--input", inputPath], addressSpaceKiB: v.addressSpaceKiB),
                           expect: v.runExpect, "\(what) / run", file: file, line: line)
    }

    // MARK: The valid model works under the same limits

    func testValidModelRunsUnderTheLimits() throws {
        let model = try writeModel(MalformedONNX.bytes(MalformedONNX.baseModel()), "base.onnx")
        let smallest = MalformedONNX.largeDeclaredRawDataVariant().addressSpaceKiB
        for kib in [Self.defaultAddressSpaceKiB, smallest] {
            let i = try edgeprune(["inspect", model], addressSpaceKiB: kib)
            XCTAssertEqual(i.reason, .exit, "inspect under \(kib) KiB: \(i.stderr)")
            XCTAssertEqual(i.status, 0, "inspect under \(kib) KiB: \(i.stderr)")
            XCTAssertEqual(i.stderr, "")
            XCTAssertTrue(i.stdout.contains("Gemm"), i.stdout)

            let r = try edgeprune(["run", model, "--input", inputPath], addressSpaceKiB: kib)
            XCTAssertEqual(r.reason, .exit, "run under \(kib) KiB: \(r.stderr)")
            XCTAssertEqual(r.status, 0, "run under \(kib) KiB: \(r.stderr)")
            XCTAssertEqual(r.stderr, "")
            struct Output: Decodable { let outputs: [String: Value]; struct Value: Decodable { let shape: [Int]; let data: [Double] } }
            let y = try JSONDecoder().decode(Output.self, from: Data(r.stdout.utf8)).outputs["y"]
            XCTAssertEqual(y?.shape, [1, 3])
            for (a, b) in zip(y?.data ?? [], MalformedONNX.baseOutput) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
        }
    }

    // MARK: One test per malformed kind

    func testEmptyFile() throws { try check(.emptyFile) }
    func testRandomBytes() throws { try check(.randomBytes) }
    func testTruncated() throws { try check(.truncated) }
    func testPlainText() throws { try check(.plainText) }
    func testDanglingInput() throws { try check(.danglingInput) }
    func testCycle() throws { try check(.cycle) }
    func testHugeDimension() throws { try check(.hugeDimension) }
    func testRawDataShorterThanShape() throws {
        try check(.rawDataShorterThanShape, extra: [MalformedONNX.largeDeclaredRawDataVariant()])
    }
    func testRankMismatch() throws { try check(.rankMismatch) }
    func testInnerDimensionMismatch() throws { try check(.innerDimensionMismatch) }
    func testUnsupportedOp() throws { try check(.unsupportedOp) }
    func testUnknownOpset() throws { try check(.unknownOpset) }
    func testMissingGraphOutput() throws { try check(.missingGraphOutput) }

    // MARK: Beyond the list

    /// Dimensions whose byte size overflows Int (2^61, 2^62, Int64.max; a [1,2^40,2^40] input fed
    /// rank-2 data): these must be errors too, not overflow traps.
    func testExtremeDimension() throws {
        for (i, v) in MalformedONNX.extremeDimensionVariants().enumerated() {
            try checkVariant(v, name: "extreme-\(i).onnx", what: "extreme dimension / \(v.label)")
        }
    }

    /// A missing model file and a directory: I/O errors, same one-line form.
    func testMissingFile() throws {
        let missing = dir.appendingPathComponent("missing.onnx").path
        assertCleanFailure(try edgeprune(["inspect", missing]), expect: "cannot open", "missing file / inspect")
        assertCleanFailure(try edgeprune(["run", missing, "--input", inputPath]), expect: "cannot open", "missing file / run")
        assertCleanFailure(try edgeprune(["inspect", dir.path]), expect: "not a regular file", "directory / inspect")
    }

    /// Malformed .epm files through the CLI: the reader is picked by magic, so these reach it.
    func testMalformedEPM() throws {
        let onnx = try writeModel(MalformedONNX.bytes(MalformedONNX.baseModel()), "base.onnx")
        let epmPath = dir.appendingPathComponent("base.epm").path
        try EPMWriter.write(try ModelLoader.session(onnx).graph, to: epmPath)
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: epmPath)))
        let r = try edgeprune(["run", epmPath, "--input", inputPath])
        XCTAssertEqual(r.status, 0, "the valid .epm must run: \(r.stderr)")

        func set(_ bytes: [UInt8], at offset: Int, _ values: [UInt8]) -> [UInt8] {
            var b = bytes
            for (i, v) in values.enumerated() { b[offset + i] = v }
            return b
        }
        let cases: [(String, [UInt8], String)] = [
            ("magic only", Array(valid.prefix(8)), "too short"),
            ("header only", Array(valid.prefix(64)), "file size"),
            ("first half", Array(valid.prefix(valid.count / 2)), "file size"),
            ("one byte missing", Array(valid.dropLast()), "file size"),
            ("one byte extra", valid + [0], "file size"),
            ("major version 2", set(valid, at: 8, [2, 0]), "major version"),
            ("table offset 2^64-1", set(valid, at: 24, [UInt8](repeating: 0xFF, count: 8)), "section table"),
            ("table offset 2^63-1", set(valid, at: 24, [UInt8](repeating: 0xFF, count: 7) + [0x7F]), "section table"),
            ("section count 2^32-1", set(valid, at: 16, [0xFF, 0xFF, 0xFF, 0xFF]), "section table"),
            ("corrupt graph section", set(valid, at: 64 + 2 * 32 + 5, [valid[64 + 2 * 32 + 5] ^ 0xFF]), "checksum"),
            ("corrupt data section", set(valid, at: valid.count - 1, [valid[valid.count - 1] ^ 0xFF]), "checksum"),
        ]
        for (i, (label, bytes, expect)) in cases.enumerated() {
            let path = try writeModel(bytes, "bad-\(i).epm")
            assertCleanFailure(try edgeprune(["inspect", path]), expect: expect, ".epm \(label) / inspect")
            assertCleanFailure(try edgeprune(["run", path, "--input", inputPath]), expect: expect, ".epm \(label) / run")
        }
    }
}
