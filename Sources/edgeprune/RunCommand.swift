import ArgumentParser
import EdgePruneCore
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on inputs from .npy, .csv or .json files (batch dimension first).",
        discussion: """
            --input PATH for a single-input model, --input NAME=PATH for each input of a multi-input one.
            Results go to --output (.npy; NAME=PATH for several outputs) or, without --output, to
            stdout as JSON: {"outputs": {NAME: {"shape": [...], "data": [...]}}}.
            """)

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input file, or NAME=PATH (repeat for several inputs).")
    var input: [String] = []

    @Option(name: .long, help: "Output .npy file, or NAME=PATH (repeat for several outputs).")
    var output: [String] = []

    @Option(help: "Sparsity-ladder level to run (0: the stored weights).")
    var level: Int = 0

    func validate() throws {
        guard !input.isEmpty else { throw ValidationError("give at least one --input") }
        guard level >= 0 else { throw ValidationError("--level must be 0 or more") }
    }

    struct OutputJSON: Encodable { let shape: [Int]; let dtype: String; let data: [Double] }

    func run() throws {
        try CLI.guarded {
            let session = try options.session(level: level)
            let feeds = try InputFiles.feeds(input, session: session)
            let results = try session.run(feeds)
            let names = session.outputs.map(\.name)
            if output.isEmpty {
                var all: [String: OutputJSON] = [:]
                for name in names {
                    let t = results[name]!
                    let data = t.dtype == .float32 ? t.floats.map(Double.init) : t.asInts().map(Double.init)
                    all[name] = OutputJSON(shape: t.shape, dtype: t.dtype.description, data: data)
                }
                try CLI.printJSON(["outputs": all])
                return
            }
            for spec in output {
                var name = names[0], path = spec
                if let eq = spec.firstIndex(of: "="), names.contains(String(spec[..<eq])) {
                    name = String(spec[..<eq])
                    path = String(spec[spec.index(after: eq)...])
                } else if names.count > 1 && output.count > 1 {
                    throw EdgePruneError(.input, "the model has several outputs (\(names.joined(separator: ", "))); use --output NAME=PATH")
                }
                try NPY.write(results[name]!, to: path)
            }
        }
    }
}
