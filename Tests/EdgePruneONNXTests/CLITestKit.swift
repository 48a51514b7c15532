import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Shared plumbing for the end-to-end tests of the `edgeprune` binary: find it, run it with
// stdout and stderr captured to files under a timeout, and check the one-line error contract.

/// How one run of the binary ended.
struct CLIOutcome {
    /// "edgeprune ARGS", for failure messages.
    let command: String
    /// Exit status, or the signal number when `reason` is `.uncaughtSignal`.
    let status: Int32
    let reason: Process.TerminationReason
    let stdout: String
    let stderr: String
    /// Wall time from start to exit (including the kill, after a timeout).
    let seconds: Double
    /// The run outlived its timeout and was killed (SIGTERM, then SIGKILL after 2 s).
    let timedOut: Bool

    func labelled(_ what: String) -> CLIOutcome {
        var o = self
        o.label = what
        return o
    }

    /// Ended by a signal it did not survive (and not by our timeout kill): a crash.
    var crashed: Bool { reason == .uncaughtSignal && !timedOut }

    /// A name for the case, shown first in `summary`.
    var label = ""

    /// Context for an assertion message: the case, command, status and the start of stderr.
    var summary: String {
        let err = stderr.count > 400 ? String(stderr.prefix(400)) + "…" : stderr
        return (label.isEmpty ? "" : label + ": ") + "`\(command)` (status \(status), \(String(format: "%.2f", seconds)) s, stderr: \(err.debugDescription))"
    }
}

enum CLIRunner {
    /// The `edgeprune` executable of the same build as the tests (next to the test bundle), else
    /// one in the package's `.build-robust` or `.build` folders; nil when none exists.
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
        // The package's build folders.
        let root = URL(fileURLWithPath: CLIFixtures.packageRoot)
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

    /// `locateBinary()`, or an XCTSkip that says where it looked and how to build it.
    static func requireBinary() throws -> URL {
        guard let found = locateBinary() else {
            throw XCTSkip("""
                edgeprune binary not found next to the test bundle (\(Bundle.main.bundleURL.path)) \
                nor in .build-robust/debug, .build/debug or .build/<triple>/debug of the package; \
                build it first (swift build --build-tests)
                """)
        }
        return found
    }

    /// A fresh, empty directory for one test's files (the caller removes it in tearDown).
    static func makeScratchDirectory(_ tag: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-\(tag)-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs `binary ARGS` with stdin from /dev/null and stdout/stderr to files (no pipe can fill
    /// up and block the child); SIGTERM after `timeout` seconds, SIGKILL 2 s later. With
    /// `addressSpaceKiB` the binary runs under `/bin/sh -c 'ulimit -v KIB; exec …'`, so a huge
    /// allocation fails instead of swapping (status 125: the shell has no `ulimit -v`).
    /// The capture files live outside any test directory and are removed before returning, so a
    /// test can check exactly which files a command left behind.
    static func run(_ binary: URL, _ args: [String], timeout: TimeInterval,
                    addressSpaceKiB: Int? = nil) throws -> CLIOutcome {
        let fm = FileManager.default
        let id = UUID().uuidString
        let outURL = fm.temporaryDirectory.appendingPathComponent("edgeprune-stdout-\(getpid())-\(id)")
        let errURL = fm.temporaryDirectory.appendingPathComponent("edgeprune-stderr-\(getpid())-\(id)")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? fm.removeItem(at: outURL)
            try? fm.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let p = Process()
        if let kib = addressSpaceKiB {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "ulimit -v \(kib) || exit 125; exec \"$0\" \"$@\"", binary.path] + args
        } else {
            p.executableURL = binary
            p.arguments = args
        }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        let t0 = Date()
        try p.run()
        var timedOut = false
        while p.isRunning {
            if Date().timeIntervalSince(t0) > timeout {
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
        return CLIOutcome(command: "edgeprune " + args.joined(separator: " "), status: p.terminationStatus,
                          reason: p.terminationReason,
                          stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                          seconds: seconds, timedOut: timedOut)
    }
}

/// Paths of the shared test fixtures (Tests/Fixtures) and of the package.
enum CLIFixtures {
    /// The package root (this file is Tests/EdgePruneONNXTests/CLITestKit.swift).
    static let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `Tests/Fixtures/<relative>` as an absolute path.
    static func path(_ relative: String) -> String { packageRoot + "/Tests/Fixtures/" + relative }
}

/// Asserts the run ended on its own (no timeout, no crash); false (after one failure) otherwise,
/// so callers can skip follow-on assertions.
@discardableResult
func assertFinished(_ o: CLIOutcome, file: StaticString = #filePath, line: UInt = #line) -> Bool {
    if o.timedOut {
        XCTFail("\(o.summary): did not finish in time (a hang)", file: file, line: line)
        return false
    }
    if o.crashed {
        XCTFail("\(o.summary): killed by signal \(o.status) (a crash)", file: file, line: line)
        return false
    }
    return true
}

/// The error contract of every subcommand: a normal non-zero exit, nothing on stdout, and
/// exactly one terminated stderr line "error: MESSAGE" whose message contains every fragment.
/// `what` names the case in failure messages.
func assertOneLineError(_ o: CLIOutcome, _ fragments: [String], _ what: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    let o = what.isEmpty ? o : o.labelled(what)
    guard assertFinished(o, file: file, line: line) else { return }
    XCTAssertNotEqual(o.status, 0, "\(o.summary): must fail; stdout \(o.stdout.debugDescription)", file: file, line: line)
    XCTAssertTrue(o.stderr.hasSuffix("\n"), "\(o.summary): stderr is not one terminated line", file: file, line: line)
    let lines = o.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    XCTAssertEqual(lines.count, 1, "\(o.summary): stderr has \(lines.count) lines, want exactly one", file: file, line: line)
    let first = lines.first.map(String.init) ?? ""
    XCTAssertTrue(first.hasPrefix("error: "), "\(o.summary): stderr does not start with 'error: '", file: file, line: line)
    XCTAssertFalse(first.dropFirst("error:".count).trimmingCharacters(in: .whitespaces).isEmpty,
                   "\(o.summary): empty error message", file: file, line: line)
    for f in fragments {
        XCTAssertTrue(o.stderr.contains(f), "\(o.summary): the error lacks '\(f)'", file: file, line: line)
    }
    XCTAssertEqual(o.stdout, "", "\(o.summary): stdout must be empty on an error", file: file, line: line)
}

/// ArgumentParser's answer to option values its `validate()` rejects: exit 64 (EX_USAGE),
/// nothing on stdout, stderr "Error: MESSAGE" (containing every fragment), then the usage.
func assertUsageError(_ o: CLIOutcome, _ fragments: [String], _ what: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
    let o = what.isEmpty ? o : o.labelled(what)
    guard assertFinished(o, file: file, line: line) else { return }
    XCTAssertEqual(o.status, 64, "\(o.summary): want the usage-error status 64", file: file, line: line)
    let first = o.stderr.split(separator: "\n").first.map(String.init) ?? ""
    XCTAssertTrue(first.hasPrefix("Error: "), "\(o.summary): stderr does not start with 'Error: '", file: file, line: line)
    for f in fragments {
        XCTAssertTrue(first.contains(f), "\(o.summary): the first stderr line lacks '\(f)'", file: file, line: line)
    }
    XCTAssertTrue(o.stderr.contains("Usage: "), "\(o.summary): no usage after the error", file: file, line: line)
    XCTAssertEqual(o.stdout, "", "\(o.summary): stdout must be empty on an error", file: file, line: line)
}
