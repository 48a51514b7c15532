import EdgePruneCore
import EdgePruneONNX
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        guard let found = Self.locateBinary() else {
            throw XCTSkip("""
                edgeprune binary not found next to the test bundle (\(Bundle.main.bundleURL.path)) \
                nor in .build-robust/debug, .build/debug or .build/<triple>/debug of the package; \
                build it first (swift build --build-tests)
                """)
        }
        binary = found
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-cli-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        inputPath = dir.appendingPathComponent("x.npy").path
        try NPY.write(Tensor(MalformedONNX.baseInput, shape: [1, 4]), to: inputPath)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: Locating the binary

    static func locateBinary() -> URL? {
        let fm = FileManager.default
        var dirs: [URL] = []
        // Next to the test bundle: the same build as the tests.
        dirs.append(Bundle.main.bundleURL)
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        for b in Bundle.allBundles where b.bundleURL.pathExtension == "xctest" {
            dirs.append(b.bundleURL.deletingLastPathComponent())
        }
        if let arg0 = CommandLine.arguments.first, arg0.contains("/") {
            dirs.append(URL(fileURLWithPath: arg0).deletingLastPathComponent())
        }
        // The package's build folders (Tests/EdgePruneONNXTests/<this file> → package root).
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for scratch in [".build-robust", ".build"] {
            let base = root.appendingPathComponent(scratch)
            dirs.append(base.appendingPathComponent("debug"))
            if let entries = try? fm.contentsOfDirectory(atPath: base.path) {
                for e in entries.sorted() where e.contains("-") {
                    dirs.append(base.appendingPathComponent(e).appendingPathComponent("debug"))
                }
            }
        }
        for d in dirs {
            let candidate = d.appendingPathComponent("edgeprune")
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
               fm.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    // MARK: Running it

    struct Outcome {
        let command: String
        let status: Int32
        let reason: Process.TerminationReason
        let stdout: String
        let stderr: String
        let seconds: Double
        let timedOut: Bool
    }

    /// Runs `edgeprune ARGS` under `ulimit -v`, output to files (no pipe can fill up), killed
    /// after the timeout.
    func edgeprune(_ args: [String], addressSpaceKiB: Int = defaultAddressSpaceKiB) throws -> Outcome {
        let id = UUID().uuidString
        let outURL = dir.appendingPathComponent("stdout-\(id)"), errURL = dir.appendingPathComponent("stderr-\(id)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v \(addressSpaceKiB) || exit 125; exec \"$0\" \"$@\"", binary.path] + args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let t0 = Date()
        try p.run()
        var timedOut = false
        while p.isRunning {
            if Date().timeIntervalSince(t0) > Self.timeout {
                timedOut = true
                p.terminate()
                let grace = Date()
                while p.isRunning && Date().timeIntervalSince(grace) < 2 { usleep(10_000) }
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                break
            }
            usleep(5_000)
        }
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(t0)
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return Outcome(command: "edgeprune " + args.joined(separator: " "), status: p.terminationStatus,
                       reason: p.terminationReason, stdout: stdout, stderr: stderr, seconds: seconds, timedOut: timedOut)
    }

    /// The acceptance criterion for one failing invocation. A timeout or a crash is reported once
    /// (with the start of the crash report), not as a cascade of follow-on assertions.
    func assertCleanFailure(_ o: Outcome, expect: String, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let shownErr = o.stderr.count > 400 ? String(o.stderr.prefix(400)) + "…" : o.stderr
        let context = "\(what): `\(o.command)` (status \(o.status), \(String(format: "%.2f", o.seconds)) s, stderr: \(shownErr.debugDescription))"
        guard !o.timedOut else {
            return XCTFail("\(context): did not finish within \(Self.timeout) s (a hang)", file: file, line: line)
        }
        guard o.reason == .exit else {
            return XCTFail("\(context): killed by signal \(o.status) (a crash)", file: file, line: line)
        }
        guard o.status != 125 else {
            return XCTFail("\(context): `ulimit -v` is not available in /bin/sh", file: file, line: line)
        }
        XCTAssertNotEqual(o.status, 0, "\(context): exited 0 on a malformed model", file: file, line: line)
        XCTAssertTrue(o.stderr.hasSuffix("\n"), "\(context): stderr is not one terminated line", file: file, line: line)
        let lines = o.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 1, "\(context): stderr has \(lines.count) lines, want exactly one", file: file, line: line)
        let first = lines.first.map(String.init) ?? ""
        XCTAssertTrue(first.hasPrefix("error:"), "\(context): stderr does not start with 'error:'", file: file, line: line)
        XCTAssertGreaterThan(first.dropFirst("error:".count).trimmingCharacters(in: .whitespaces).count, 0,
                             "\(context): empty error message", file: file, line: line)
        XCTAssertTrue(first.contains(expect), "\(context): the error does not mention '\(expect)'", file: file, line: line)
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
