import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
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

    @Option(help: "Threads for inference. Only 1 is implemented in this version.")
    var threads: Int = 1

    func validate() throws {
        guard threads == 1 else { throw ValidationError("--threads: only 1 thread is implemented in this version") }
        guard maxTensorMib > 0 else { throw ValidationError("--max-tensor-mib must be positive") }
    }

    var limits: PlanLimits { PlanLimits(maxTensorBytes: maxTensorMib << 20) }

    func session() throws -> InferenceSession { try ModelLoader.session(model, limits: limits) }
}
