import ArgumentParser
import EdgePruneCore
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Classification accuracy of a model on labelled data (argmax of the first output).")

    @OptionGroup var options: ModelOptions

    @Option(help: "Samples (.npy/.csv/.json), batch dimension first.")
    var data: String

    @Option(help: "Integer class labels (.npy), one per sample.")
    var labels: String

    @Option(help: "Samples per inference batch.")
    var batch: Int = 32

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    struct Report: Encodable { let model: String; let samples: Int; let correct: Int; let accuracy: Double }

    func run() throws {
        try CLI.guarded {
            let session = try options.session()
            guard session.inputs.count == 1 else { throw EdgePruneError(.input, "eval needs a single-input model") }
            let info = session.inputs[0]
            let x = try InputFiles.fit(try InputFiles.read(data, dtype: info.dtype), to: info, path: data)
            let y = try NPY.read(labels).asInts()
            let n = x.shape.first ?? 0
            guard y.count == n, n > 0 else {
                throw EdgePruneError(.input, "'\(labels)' has \(y.count) labels for \(n) samples in '\(data)'")
            }
            let sampleBytes = x.byteCount / n
            var correct = 0
            var start = 0
            while start < n {
                let b = min(batch, n - start)
                let plan = try session.plan(inputShapes: [info.name: [b] + Array(x.shape.dropFirst())])
                plan.inputs[0].pointer.copyMemory(from: x.raw + start * sampleBytes, byteCount: b * sampleBytes)
                plan.run()
                let out = plan.outputs[0]
                guard out.type.dtype == .float32, out.type.rank == 2, out.type.shape[0] == b else {
                    throw EdgePruneError(.input, "eval expects a [batch, classes] f32 first output, got \(out.type)")
                }
                let classes = out.type.shape[1]
                let p = out.pointer.assumingMemoryBound(to: Float.self)
                for i in 0..<b {
                    var best = 0
                    for c in 1..<classes where p[i * classes + c] > p[i * classes + best] { best = c }
                    if best == y[start + i] { correct += 1 }
                }
                start += b
            }
            let r = Report(model: options.model, samples: n, correct: correct, accuracy: Double(correct) / Double(n))
            if json { try CLI.printJSON(r); return }
            print(String(format: "%@: accuracy %.2f%% (%d of %d)", options.model, 100 * r.accuracy, correct, n))
        }
    }
}
