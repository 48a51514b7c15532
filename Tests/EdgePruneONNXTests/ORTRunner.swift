import EdgePruneCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs ONNX Runtime from tests, through the package's Python venv (`.venv`, made by
/// scripts/setup.sh) and scripts/ort_outputs.py: ORT on the CPU with one thread.
///
/// Depends on EdgePruneCore and Foundation only (no XCTest), so other test targets can share
/// this file. Tests call `available()` first and skip with `unavailableReason` when it is nil.
enum ORTRunner {
    /// The package root: this file is Tests/EdgePruneONNXTests/ORTRunner.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let python = packageRoot.appendingPathComponent(".venv/bin/python")
    static let script = packageRoot.appendingPathComponent("scripts/ort_outputs.py")
    /// A run that takes longer than this is killed and reported as an error.
    static let timeout: TimeInterval = 300

    /// The venv's python when it exists and imports numpy and onnxruntime (checked once).
    static func available() -> URL? { probe.python }

    /// Why `available()` is nil (for XCTSkip), or nil when ORT is available.
    static var unavailableReason: String? { probe.reason }

    private static let probe: (python: URL?, reason: String?) = {
        let fm = FileManager.default
        guard fm.isExecutableFile(atPath: python.path) else {
            return (nil, "no Python venv at \(python.path); create it with scripts/setup.sh")
        }
        guard fm.fileExists(atPath: script.path) else { return (nil, "\(script.path) is missing") }
        guard let r = try? execute(python, ["-c", "import numpy, onnxruntime"]), r.status == 0 else {
            return (nil, "\(python.path) cannot import numpy and onnxruntime; run scripts/setup.sh")
        }
        return (python, nil)
    }()

    /// ORT's outputs of `model` (an .onnx path) on `input`, in the model's output order.
    static func run(model: String, input: Tensor) throws -> [Tensor] {
        guard let python = available() else {
            throw EdgePruneError(.io, "ONNX Runtime is not available: \(unavailableReason ?? "?")")
        }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("edgeprune-ort-\(getpid())-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let inputPath = dir.appendingPathComponent("input.npy").path
        try NPY.write(input, to: inputPath)
        let prefix = dir.appendingPathComponent("out").path
        let r = try execute(python, [script.path, model, inputPath, prefix])
        guard r.status == 0 else {
            let message = r.stderr.split(separator: "\n").last.map(String.init) ?? "no message"
            throw EdgePruneError(.io, "ort_outputs.py exited with status \(r.status) on '\(model)': \(message)")
        }
        var outputs: [Tensor] = []
        while fm.fileExists(atPath: "\(prefix)_\(outputs.count).npy") {
            outputs.append(try NPY.read("\(prefix)_\(outputs.count).npy"))
        }
        guard !outputs.isEmpty else { throw EdgePruneError(.io, "ort_outputs.py wrote no outputs for '\(model)'") }
        return outputs
    }

    /// Runs a program with output to files (no pipe can fill up), killed after `timeout`.
    private static func execute(_ program: URL, _ args: [String]) throws -> (status: Int32, stderr: String) {
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-ort-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? err.close() }
        let p = Process()
        p.executableURL = program
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let start = Date()
        while p.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                p.terminate()
                p.waitUntilExit()
                throw EdgePruneError(.io, "\(program.lastPathComponent) \(args.first ?? "") did not finish within \(Int(timeout)) s")
            }
            usleep(10_000)
        }
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}
