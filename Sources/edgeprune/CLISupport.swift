import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation

/// Shared CLI plumbing: one-line errors on stderr and a non-zero exit for every failure.
enum CLI {
    static func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as EdgePruneError {
            fail(e.description)
        } catch let e as ExitCode {
            throw e
        } catch let e as ValidationError {
            throw e
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
        Foundation.exit(1)
    }

    /// A progress note on stderr (one line, kept in logs).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8))
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try enc.encode(value), as: UTF8.self))
    }

    /// Monotonic time in nanoseconds.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Fails unless the directory `path` would be written into exists and is writable: output
    /// paths are checked before minutes of work, not after.
    static func checkOutputDirectory(_ path: String, flag: String = "--output") throws {
        let parent = (path as NSString).deletingLastPathComponent
        let dir = parent.isEmpty ? "." : parent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue, access(dir, W_OK) == 0 else {
            throw ValidationError("\(flag) \(path): directory '\(dir)' does not exist or is not writable")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw ValidationError("\(flag) \(path) is a directory; give a file name")
        }
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

/// The options every model-running subcommand shares.
struct ModelOptions: ParsableArguments {
    @Argument(help: "Model file: .onnx or .epm.")
    var model: String

    @Option(help: "Largest single tensor the planner accepts, in MiB.")
    var maxTensorMib: Int = 1024

    @Option(help: "Threads for inference: large Conv/Gemm layers split their work over them (small layers stay on one thread, where waking workers would cost more than it saves).")
    var threads: Int = 1

    @Option(help: ArgumentHelp("Weight format for Linear layers (Gemm/MatMul with constant weights): 'auto' times every format the weight fits when the model loads and keeps the fastest per layer; 'gemm' is the blocked dense GEMM; or a format name (\(LinearFormats.formatNames.joined(separator: ", "))), used where the weight fits it. int8-quantised layers (from `edgeprune quantize`) take \(Int8LinearSelection.formatNames.joined(separator: ", ")) and time those under 'auto' or an f32 format.", valueName: "format"))
    var linearFormat: String = "auto"

    @Option(help: ArgumentHelp("Weight format for group-1 convolutions: 'auto' times the im2col + GEMM path against the sparse-weight formats when a weight has at least 20% zeros; 'gemm'; or a format (\(PixelFormats.formatNames.joined(separator: ", "))).", valueName: "format"))
    var convFormat: String = "auto"

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64") }
        let known = ["auto", "gemm"] + LinearFormats.formatNames + Int8LinearSelection.formatNames
        guard known.contains(linearFormat) else {
            throw ValidationError("--linear-format must be one of \(known.joined(separator: ", ")); got '\(linearFormat)'")
        }
        let knownConv = ["auto", "gemm"] + PixelFormats.formatNames
        guard knownConv.contains(convFormat) else {
            throw ValidationError("--conv-format must be one of \(knownConv.joined(separator: ", ")); got '\(convFormat)'")
        }
        guard maxTensorMib > 0 else { throw ValidationError("--max-tensor-mib must be positive") }
    }

    var limits: PlanLimits { PlanLimits(maxTensorBytes: maxTensorMib << 20) }

    var policy: KernelPolicy {
        KernelPolicy(linearFormat: linearFormat == "auto" ? nil : linearFormat,
                     convFormat: convFormat == "auto" ? nil : convFormat)
    }

    func session() throws -> InferenceSession {
        try ModelLoader.session(model, limits: limits, threads: threads, policy: policy)
    }

    /// The session of one sparsity-ladder level; `f32` drops int8 quantisation (the same model
    /// with every layer in f32, for comparisons).
    func session(level: Int, f32: Bool = false) throws -> InferenceSession {
        if level == 0 && !f32 { return try session() }
        var graph = try ModelLoader.load(model, limits: limits)
        do {
            graph = try PrunedLevels.graph(graph, level: level)
            if f32 { for i in graph.nodes.indices { Int8LinearParams.remove(from: &graph.nodes[i]) } }
            return try InferenceSession(graph: graph, limits: limits, threads: threads, policy: policy)
        } catch let e as EdgePruneError {
            throw EdgePruneError(e.kind, "'\(model)': \(e.message)")
        }
    }
}
