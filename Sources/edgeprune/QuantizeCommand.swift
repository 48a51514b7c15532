import ArgumentParser
import EdgePruneCore
import EdgePruneONNX
import EdgePrunePruning
import Foundation

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Post-training int8 quantisation of a model's Gemm and MatMul (and, with --conv, Conv) layers (every level of a sparsity ladder), written as .epm.",
        discussion: """
            Runs the f32 model on the calibration samples and records the range of the input and the \
            output of every Gemm and MatMul layer, and with --conv every group-1 Conv (minmax: smallest and largest value; percentile P: the \
            P-th and (100-P)-th percentiles, so rare outliers saturate). Each range becomes a uint8 scale \
            and zero point stored with the layer in the .epm; the runtime quantises the weights per output \
            channel (symmetric int8) when it loads the model and runs the layer on the int8 dense or \
            block-sparse kernels (chosen by timing, like the f32 formats). Other layers stay f32.

            With a sparsity ladder (from `edgeprune prune`) the ranges are calibrated over all levels and \
            shared by them; every level's weights are quantised from that level's masked weights, so pruned \
            weights stay exactly zero. `eval`, `profile`, `bench` and `inspect` run the result (int8 kernels \
            per layer), and `export` writes QDQ ONNX (QuantizeLinear/DequantizeLinear) for ONNX Runtime.

            Examples:
              edgeprune quantize model.epm --calib x.npy -o model-int8.epm
              edgeprune quantize model.onnx --calib x.npy --method percentile --percentile 99.99 -o m8.epm
            """)

    @Argument(help: "Model file: .onnx or .epm (with or without a sparsity ladder).")
    var model: String

    @Option(help: "Calibration samples (.npy, .csv or .json; batch dimension first), finite values.")
    var calib: String

    @Option(help: ArgumentHelp("Activation range: minmax or percentile.", valueName: "method"))
    var method: String = "minmax"

    @Option(help: "Percentile for --method percentile, in (50, 100].")
    var percentile: Double = 99.99

    @Option(help: "Integer labels (.npy), one per calibration sample: also report f32 and int8 accuracy on the calibration data at every level.")
    var labels: String?

    @Flag(help: "Also quantise group-1 Conv layers (exact int8, agrees with ONNX Runtime, but about half the speed of f32 on the current kernels: see docs/int8.md).")
    var conv = false

    @Option(help: "Calibration batch size.")
    var batch: Int = 64

    @Option(name: .shortAndLong, help: "Output .epm (written atomically; nothing is written on any error).")
    var output: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard ["minmax", "percentile"].contains(method) else {
            throw ValidationError("--method must be minmax or percentile; got '\(method)'")
        }
        guard percentile > 50, percentile <= 100 else { throw ValidationError("--percentile must be in (50, 100]; got \(percentile)") }
        guard batch >= 1 else { throw ValidationError("--batch must be >= 1") }
        try CLI.checkOutputDirectory(output)
    }

    struct Report: Encodable {
        let model: String, output: String, method: String, samples: Int, levels: Int
        let layers: [PostTrainingQuantizer.Layer]
        let skipped: [String]
        let check: [QuantizationCheck.Level]?
        let sizeBytes: Int
    }

    func run() throws {
        try CLI.guarded {
            let graph = try ModelLoader.load(model)
            guard let info = graph.runtimeInputs.first, graph.runtimeInputs.count == 1 else {
                throw EdgePruneError(.input, "'\(model)': quantize needs a single-input model")
            }
            let raw = try InputFiles.read(calib, dtype: info.dtype)
            guard raw.count > 0, (raw.shape.first ?? 0) > 0 else {
                throw EdgePruneError(.input, "'\(calib)': calibration data is empty (shape \(Shape.describe(raw.shape))); give at least one sample")
            }
            let data: CalibrationData
            do {
                data = try CalibrationData(inputs: try InputFiles.fit(raw, to: info, path: calib),
                                           labels: try labels.map(EvaluationInputs.readLabels), for: graph)
            } catch let e as EdgePruneError {
                throw EdgePruneError(e.kind, "'\(calib)': \(e.message)")
            }
            let rangeMethod: RangeMethod = method == "minmax" ? .minMax : .percentile(percentile)
            let progress = StagedProgress("quantize")
            let outcome: PostTrainingQuantizer.Outcome
            do {
                outcome = try PostTrainingQuantizer.quantize(graph, data: data, options: .init(method: rangeMethod, batch: batch, includeConv: conv),
                                                             progress: progress.report)
            } catch let e as EdgePruneError {
                progress.finish()
                throw EdgePruneError(e.kind, "'\(model)': \(e.message)")
            }
            progress.finish()
            // Refuse to write a model we cannot run: plan every level (fixed formats, no timing).
            for level in 0..<outcome.levels {
                do {
                    let session = try InferenceSession(graph: try PrunedLevels.graph(outcome.graph, level: level),
                                                       policy: KernelPolicy(linearFormat: "int8-dense", convFormat: "gemm"))
                    _ = try session.plan(batch: 1)
                } catch let e as EdgePruneError {
                    throw EdgePruneError(e.kind, "the quantised model does not plan at level \(level): \(e.message)")
                }
            }
            var check: [QuantizationCheck.Level]? = nil
            if labels != nil {
                let stage = StagedProgress("quantize")
                check = try QuantizationCheck.compare(f32: graph, int8: outcome.graph, data: data, levels: outcome.levels, progress: stage.report)
                stage.finish()
            }
            try EPMWriter.write(outcome.graph, to: output)
            let report = Report(model: model, output: output, method: rangeMethod.description, samples: data.samples,
                                levels: outcome.levels, layers: outcome.layers, skipped: outcome.skipped, check: check,
                                sizeBytes: CLI.fileSize(output))
            if json { try CLI.printJSON(report); return }
            print("\(output): \(report.layers.count) int8 layer\(report.layers.count == 1 ? "" : "s"), ranges by \(report.method) over \(report.samples) samples x \(report.levels) level\(report.levels == 1 ? "" : "s"), \(report.sizeBytes) bytes")
            var table = TextTable(["layer", "op", "input range", "x scale", "x zp", "output range", "y scale", "y zp"])
            for l in report.layers {
                table.add([l.node, l.opType, String(format: "[%.4g, %.4g]", l.inputLo, l.inputHi), String(format: "%.4g", l.xScale), "\(l.xZeroPoint)",
                           String(format: "[%.4g, %.4g]", l.outputLo, l.outputHi), String(format: "%.4g", l.yScale), "\(l.yZeroPoint)"])
            }
            print(table.render())
            for s in report.skipped { print("f32: \(s)") }
            if let check {
                print("accuracy on the calibration data:")
                var t = TextTable(["level", "f32", "int8", "points", "same top-1"])
                for l in check {
                    t.add(["\(l.level)", String(format: "%.2f%%", 100 * l.f32Accuracy), String(format: "%.2f%%", 100 * l.int8Accuracy),
                           String(format: "%+.2f", 100 * (l.int8Accuracy - l.f32Accuracy)), String(format: "%.2f%%", 100 * l.agreement)])
                }
                print(t.render())
            }
        }
    }
}
