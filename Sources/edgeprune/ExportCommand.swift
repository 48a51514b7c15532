import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model (one level of its sparsity ladder) as a standard ONNX file any runtime can run.",
        discussion: """
            Levels come from `edgeprune prune`, which stores a nested sparsity ladder in the .epm it \
            writes: level 0 is the stored model, levels 1...n prune more and more weights. The \
            exported file holds that level's weights with the pruned ones as zeros (stored densely: \
            ONNX runtimes do not use sparse initializers for speed), structured levels with their \
            channels removed. A model without a ladder has only level 0. Fused operations of an \
            .epm are written back as standard ONNX nodes. The model is checked before anything is \
            written, and the file is written atomically.
            """)

    @Argument(help: "Model file: .onnx or .epm.")
    var model: String

    @Option(help: "Sparsity ladder level to export (0 = the stored weights; levels 1...n come from `edgeprune prune`).")
    var level: Int = 0

    @Option(name: .shortAndLong, help: "Output .onnx file (its directory must exist).")
    var output: String

    func run() throws {
        try CLI.guarded {
            guard level >= 0 else { throw EdgePruneError(.input, "--level must be 0 or more, got \(level)") }
            let graph = try ModelLoader.load(model)
            var exported: Graph
            do {
                exported = try PrunedLevels.graph(graph, level: level)
            } catch let e as EdgePruneError {
                throw EdgePruneError(e.kind, "'\(model)': \(e.message)")
            }
            // Refuse to write a model we cannot run ourselves.
            do {
                // Fixed kernel choices: this checks the model, it does not time kernel formats.
                let session = try InferenceSession(graph: exported, policy: KernelPolicy(linearFormat: "gemm", convFormat: "gemm"))
                if (try? session.inputShapes(batch: 1)) != nil { _ = try session.plan(batch: 1) }
            } catch let e as EdgePruneError {
                throw EdgePruneError(e.kind, "'\(model)' at level \(level): \(e.message)")
            }
            if let ladder = exported.ladder, ladder.levels.indices.contains(level) {
                exported.metadata["edgeprune.ladder_level"] = String(level)
                exported.metadata["edgeprune.ladder_sparsity"] = String(ladder.levels[level].sparsity)
            }
            try ONNXExporter.write(exported, to: output)
            let (parameters, nonzeros) = Self.parameterCounts(exported)
            let zeros = parameters > 0 ? 100 * Double(parameters - nonzeros) / Double(parameters) : 0
            print("wrote \(output): level \(level), \(parameters) parameters, \(nonzeros) non-zero (\(String(format: "%.1f", zeros))% zeros), \(CLI.fileSize(output)) bytes")
        }
    }

    /// Elements of the f32 initializers (weights and biases; integer constants such as Reshape
    /// shapes are not parameters), and how many of them are non-zero.
    static func parameterCounts(_ g: Graph) -> (Int, Int) {
        var parameters = 0, nonzeros = 0
        for t in g.initializers.values where t.dtype == .float32 {
            parameters += t.count
            let p = t.pointer(as: Float.self)
            for i in 0..<t.count where p[i] != 0 { nonzeros += 1 }
        }
        return (parameters, nonzeros)
    }
}
