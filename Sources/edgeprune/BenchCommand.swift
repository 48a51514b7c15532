import ArgumentParser
import EdgePruneCore
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure inference latency: warm-up, then p50/p95/p99 over --runs runs.",
        discussion: "Without --input a deterministic pseudo-random input at batch 1 is used. JSON keys: p50_us, p95_us, p99_us, mean_us, min_us, runs, warmup, batch, threads, model.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Input file (.npy/.csv/.json); default: random data at batch 1.")
    var input: String?

    @Option(help: "Timed runs.")
    var runs: Int = 1000

    @Option(help: "Untimed warm-up runs.")
    var warmup: Int = 100

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also time every layer and print where the time goes (mean per run, share of the total).")
    var layers = false

    func validate() throws {
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be >= 1 and --warmup >= 0") }
    }

    struct Layer: Encodable { let name: String, op: String, kernel: String, mean_us: Double, share: Double }
    struct Report: Encodable {
        let model: String, runs: Int, warmup: Int, batch: Int, threads: Int
        let p50_us: Double, p95_us: Double, p99_us: Double, mean_us: Double, min_us: Double
        let layers: [Layer]?
    }

    func run() throws {
        try CLI.guarded {
            let session = try options.session()
            let feeds: [String: Tensor]
            if let input {
                feeds = try InputFiles.feeds([input], session: session)
            } else {
                feeds = try randomFeeds(session)
            }
            let plan = try session.plan(inputShapes: feeds.mapValues(\.shape))
            for b in plan.inputs { b.pointer.copyMemory(from: feeds[b.name]!.raw, byteCount: b.type.byteCount) }
            for _ in 0..<warmup { plan.run() }
            var times = [UInt64](repeating: 0, count: runs)
            for i in 0..<runs {
                let t0 = CLI.now()
                plan.run()
                times[i] = CLI.now() - t0
            }
            times.sort()
            func pct(_ p: Double) -> Double { Double(times[min(runs - 1, Int((p * Double(runs)).rounded(.up)) - 1)]) / 1000 }
            let batch = plan.inputs.first?.type.shape.first ?? 1
            let r = Report(model: options.model, runs: runs, warmup: warmup, batch: batch, threads: options.threads,
                           p50_us: pct(0.50), p95_us: pct(0.95), p99_us: pct(0.99),
                           mean_us: Double(times.reduce(0, +)) / Double(runs) / 1000, min_us: Double(times[0]) / 1000,
                           layers: layers ? profile(plan) : nil)
            if json { try CLI.printJSON(r); return }
            for l in r.layers ?? [] {
                print(String(format: "%8.1f us %5.1f%%  %@ (%@) %@", l.mean_us, 100 * l.share, l.name, l.op, l.kernel))
            }
            print(String(format: "%@: batch %d, %d runs after %d warm-up: p50 %.1f us, p95 %.1f us, p99 %.1f us (mean %.1f, min %.1f)",
                         options.model, batch, runs, warmup, r.p50_us, r.p95_us, r.p99_us, r.mean_us, r.min_us))
        }
    }

    /// Per-layer mean time over a separate set of runs (timing each layer adds clock reads).
    private func profile(_ plan: ExecutionPlan) -> [Layer] {
        var ns = [UInt64](repeating: 0, count: plan.steps.count)
        ns.withUnsafeMutableBufferPointer { p in for _ in 0..<runs { plan.run(accumulatingNanoseconds: p.baseAddress!) } }
        let total = max(Double(ns.reduce(0, +)), 1)
        return zip(plan.steps, ns).map { step, t in
            Layer(name: step.node, op: step.opType, kernel: step.kernel, mean_us: Double(t) / Double(runs) / 1000, share: Double(t) / total)
        }
    }

    private func randomFeeds(_ session: InferenceSession) throws -> [String: Tensor] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let shapes = try session.inputShapes(batch: 1)
        var feeds: [String: Tensor] = [:]
        for info in session.inputs {
            let t = Tensor(zeros: TensorType(info.dtype, shapes[info.name]!))
            if info.dtype == .float32 {
                let p = t.pointer(as: Float.self)
                for i in 0..<t.count {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    p[i] = Float(state >> 40) / Float(1 << 24)
                }
            }
            feeds[info.name] = t
        }
        return feeds
    }
}
