import ArgumentParser
import EdgePruneCore
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's layers, shapes, parameters, non-zeros, MACs, size and the kernel chosen per layer.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Batch size to plan for (binds the symbolic batch dimension).")
    var batch: Int = 1

    @Option(help: "Sparsity-ladder level to plan (0: the stored weights).")
    var level: Int = 0

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Layer: Encodable {
        let name: String, op: String, kernel: String, output_shape: [Int]
        let parameters: Int, nonzeros: Int, macs: Int
    }
    struct Report: Encodable {
        let model: String, file_bytes: Int, opset: Int
        let inputs: [String: String], outputs: [String: String]
        let layers: [Layer]
        let parameters: Int, nonzeros: Int, macs: Int, arena_bytes: Int
    }

    func run() throws {
        try CLI.guarded {
            guard batch >= 1 else { throw EdgePruneError(.input, "--batch must be at least 1") }
            let session = try options.session(level: max(level, 0))
            let plan = try session.plan(batch: batch)
            let layers = plan.steps.map {
                Layer(name: $0.node, op: $0.opType, kernel: $0.kernel, output_shape: $0.outputs.first?.shape ?? [],
                      parameters: $0.parameters, nonzeros: $0.nonzeros, macs: $0.macs)
            }
            let report = Report(
                model: options.model, file_bytes: CLI.fileSize(options.model), opset: session.graph.opset,
                inputs: Dictionary(uniqueKeysWithValues: session.inputs.map { ($0.name, "\($0.dtype)\($0.shapeDescription)") }),
                outputs: Dictionary(uniqueKeysWithValues: plan.outputs.map { ($0.name, $0.type.description) }),
                layers: layers, parameters: layers.reduce(0) { $0 + $1.parameters },
                nonzeros: layers.reduce(0) { $0 + $1.nonzeros }, macs: plan.totalMACs, arena_bytes: plan.arenaBytes)
            if json { try CLI.printJSON(report); return }
            printTable(report, session: session)
        }
    }

    private func printTable(_ r: Report, session: InferenceSession) {
        print("model   \(r.model) (\(r.file_bytes) bytes, opset \(r.opset))")
        for i in session.inputs { print("input   \(i.name): \(i.dtype)\(i.shapeDescription)") }
        for o in r.outputs.sorted(by: { $0.key < $1.key }) { print("output  \(o.key): \(o.value) at batch \(batch)") }
        print("")
        let header = ["#", "layer", "op", "output", "params", "nonzero", "MACs", "kernel"]
        var rows = [header]
        for (i, l) in r.layers.enumerated() {
            rows.append([String(i), l.name, l.op, Shape.describe(l.output_shape), String(l.parameters), String(l.nonzeros), String(l.macs), l.kernel])
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max()! }
        for row in rows {
            print(row.enumerated().map { c, s in c == row.count - 1 ? s : s.padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        let sparsity = r.parameters > 0 ? 100 * Double(r.parameters - r.nonzeros) / Double(r.parameters) : 0
        print("")
        print("total   \(r.layers.count) layers, \(r.parameters) parameters (\(r.nonzeros) non-zero, \(String(format: "%.1f", sparsity))% zeros), \(r.macs) MACs, arena \(r.arena_bytes) bytes")
    }
}
