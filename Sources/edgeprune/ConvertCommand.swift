import ArgumentParser
import EdgePruneCore
import EdgePruneONNX

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an ONNX model to EdgePrune's native .epm format (folded, fused, mmap-able).",
        discussion: "The model is validated and planned at batch 1 before anything is written; the file is written atomically.")

    @Argument(help: "Input model (.onnx or .epm).")
    var model: String

    @Option(name: .shortAndLong, help: "Output .epm file.")
    var output: String

    func run() throws {
        try CLI.guarded {
            let session = try ModelLoader.session(model)
            // Refuse to write a model we cannot run.
            if (try? session.inputShapes(batch: 1)) != nil { _ = try session.plan(batch: 1) }
            try EPMWriter.write(session.graph, to: output)
            print("wrote \(output) (\(CLI.fileSize(output)) bytes, \(session.graph.nodes.count) nodes, \(session.graph.initializers.count) tensors)")
        }
    }
}
