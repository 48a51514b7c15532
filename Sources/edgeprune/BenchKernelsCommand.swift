import ArgumentParser
import EdgePruneCore
import Foundation

struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Time every kernel and weight format on real layer sizes, against our f32 dense, in one run.",
        discussion: """
        Linear layers (in x out: 256x256, 512x512, 1024x1024, 64x1024, 1024x10) at each --batch, in \
        every Linear weight format, f32 and int8, at each --sparsity, with weights whose zeros follow \
        the format's pattern (unstructured, whole blocks, N:M); and conv layers (3x3 16->32 on 32x32, \
        1x1 64->64 on 32x32, depthwise 3x3 on 32 channels). Each record is timed in rounds that \
        alternate with our f32 dense kernel on the same layer (the faster of the blocked GEMM and the \
        'dense' format), so `speedup` = dense_us / us is a same-run ratio. JSON (--json): a list of \
        records {op, shape, batch, dtype, format, kernel, sparsity, achieved_sparsity, us, dense_us, \
        dense_kernel, speedup}.
        """)

    @Option(help: "Write the records as JSON to this file (atomically).")
    var json: String?

    @Option(help: "Write an SVG plot of speedup against sparsity per format (batch 1, median over the Linear shapes).")
    var plot: String?

    @Option(parsing: .upToNextOption, help: "Batch sizes.")
    var batch: [Int] = [1, 8]

    @Option(parsing: .upToNextOption, help: "Sparsity levels (N:M formats have their own: 0.5 for 2:4 and 4:8).")
    var sparsity: [Double] = [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95]

    @Option(help: "Timing rounds per record (median).")
    var rounds: Int = 21

    @Option(help: "Fraction of zeros in the input activations (0: dense inputs; ReLU outputs are often 0.3-0.5).")
    var inputZeros: Double = 0

    @Option(help: "Which layers: linear, conv or all.")
    var op: String = "all"

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Linear shapes as INxOUT (default: the five listed above).", valueName: "INxOUT"))
    var shape: [String] = []

    @Flag(help: "A quick pass: fewer rounds and only the 256x256 and 1024x1024 Linear shapes.")
    var quick = false

    /// --shape values parsed, or nil for the defaults.
    private var linearShapes: [(Int, Int)]? {
        guard !shape.isEmpty else { return nil }
        return shape.map { s in
            let parts = s.split(separator: "x").compactMap { Int($0) }
            return (parts[0], parts[1])
        }
    }

    func validate() throws {
        guard !batch.isEmpty, batch.allSatisfy({ (1...64).contains($0) }) else { throw ValidationError("--batch values must be in 1...64") }
        guard !sparsity.isEmpty, sparsity.allSatisfy({ (0..<1).contains($0) }) else { throw ValidationError("--sparsity values must be in [0, 1)") }
        guard (1...101).contains(rounds) else { throw ValidationError("--rounds must be in 1...101") }
        guard (0..<1).contains(inputZeros) else { throw ValidationError("--input-zeros must be in [0, 1)") }
        for s in shape {
            let parts = s.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let i = parts[0], let o = parts[1], (1...65536).contains(i), (1...65536).contains(o) else {
                throw ValidationError("--shape must be INxOUT with both in 1...65536, e.g. 256x128; got '\(s)'")
            }
        }
        guard ["linear", "conv", "all"].contains(op) else { throw ValidationError("--op must be linear, conv or all") }
        // Output paths are checked before minutes of timing, not after.
        for (flag, path) in [("--json", json), ("--plot", plot)] {
            if let path { try CLI.checkOutputDirectory(path, flag: flag) }
        }
    }

    static let linearShapes = [(256, 256), (512, 512), (1024, 1024), (64, 1024), (1024, 10)]

    func run() throws {
        try CLI.guarded {
            let rounds = quick ? min(self.rounds, 5) : self.rounds
            let roundMicros = quick ? 100.0 : 300.0
            let progress: (String) -> Void = { FileHandle.standardError.write(Data(("  " + $0 + "\n").utf8)) }
            var records: [KernelRecord] = []
            if op != "conv" {
                let shapes = linearShapes ?? (quick ? [Self.linearShapes[0], Self.linearShapes[2]] : Self.linearShapes)
                let bench = LinearBench(rounds: rounds, roundMicros: roundMicros, inputZeros: inputZeros)
                for b in batch {
                    for (cols, rows) in shapes {
                        records += bench.measure(inputs: cols, outputs: rows, batch: b, sparsities: sparsity, progress: progress)
                    }
                }
            }
            if op != "linear" {
                records += ConvBench(rounds: rounds, roundMicros: roundMicros).measure(sparsities: sparsity, progress: progress)
            }
            printTable(records)
            printSummary(records)
            if let json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try FileIO.writeAtomically(json, bytes: Array(try enc.encode(records)))
                print("wrote \(records.count) records to \(json)")
            }
            if let plot {
                try FileIO.writeAtomically(plot, bytes: Array(SpeedupPlot.svg(records).utf8))
                print("wrote \(plot)")
            }
        }
    }

    private func printTable(_ records: [KernelRecord]) {
        print(pad("op", 7) + pad("shape", 20) + pad("batch", 6) + pad("dtype", 6) + pad("format", 10) + pad("sparsity", 9)
              + pad("us", 10) + pad("dense_us", 10) + pad("speedup", 8) + "kernel")
        for r in records {
            print(pad(r.op, 7) + pad(r.shape, 20) + pad("\(r.batch)", 6) + pad(r.dtype, 6) + pad(r.format, 10)
                  + pad(String(format: "%.2f", r.achieved_sparsity), 9) + pad(String(format: "%.2f", r.us), 10)
                  + pad(String(format: "%.2f", r.dense_us), 10) + pad(String(format: "%.2f", r.speedup), 8) + r.kernel)
        }
    }

    /// Median speedup over the Linear shapes at batch 1, per (dtype, format, sparsity): the figures
    /// the kernel targets are stated in.
    private func printSummary(_ records: [KernelRecord]) {
        let rows = SpeedupSummary.linearBatch1(records)
        guard !rows.isEmpty else { return }
        print("\nmedian speedup over the Linear shapes, batch 1 (dense_us / us):")
        print(pad("dtype", 6) + pad("format", 10) + pad("sparsity", 9) + pad("speedup", 8) + "shapes")
        for r in rows {
            print(pad(r.dtype, 6) + pad(r.format, 10) + pad(String(format: "%.2f", r.sparsity), 9)
                  + pad(String(format: "%.2f", r.median), 8) + "\(r.count)")
        }
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}
