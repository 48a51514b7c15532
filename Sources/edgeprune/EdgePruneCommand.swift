import ArgumentParser

@main
struct EdgePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgeprune",
        abstract: "EdgePrune: an inference runtime for pruned neural networks on Raspberry-Pi-class boards.",
        discussion: """
            Models are ONNX files (opsets 6 to 21) or EdgePrune's native .epm files (see `convert`).
            Examples:
              edgeprune inspect model.onnx
              edgeprune run model.onnx --input x.npy --output y.npy
              edgeprune bench model.epm --runs 2000
            """,
        version: "0.1.0",
        subcommands: [InspectCommand.self, RunCommand.self, ConvertCommand.self, BenchCommand.self,
                      EvalCommand.self, ConformanceCommand.self, BenchKernelsCommand.self, ExportCommand.self, PruneCommand.self, FinetuneCommand.self, QuantizeCommand.self, SimulateCommand.self, DemoCommand.self,
                      ProfileCommand.self, BenchSwitchCommand.self, ServeCommand.self, KeygenCommand.self, SignCommand.self])
}
