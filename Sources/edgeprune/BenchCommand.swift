import ArgumentParser
import EdgePruneCore
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure inference latency: warm-up, then p50/p95/p99 over --runs runs.",
        discussion: "Without --input a deterministic pseudo-random input at batch 1 is used. JSON keys: p50_us, p95_us, p99_us, mean_us, min_us, runs, warmup, batch, threads, model, level; with --vs-f32 also f32_p50_us, f32_p95_us and speedup_vs_f32 (f32 p50 / p50). --vs-f32 times an int8-quantised model (`edgeprune quantize`) against the same model and level in f32, in alternating blocks of runs in the same process, so both see the same machine load.")

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

    @Option(help: "Sparsity-ladder level to time (0: the stored weights).")
    var level: Int = 0

    @Flag(help: "Also time the same model and level with int8 quantisation removed (all f32), interleaved with the int8 runs, and report the ratio.")
    var vsF32 = false

    func validate() throws {
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be >= 1 and --warmup >= 0") }
        guard level >= 0 else { throw ValidationError("--level must be 0 or more") }
    }

    struct Layer: Encodable { let name: String, op: String, kernel: String, mean_us: Double, share: Double }
    struct Report: Encodable {
        let model: String, level: Int, runs: Int, warmup: Int, batch: Int, threads: Int
        let p50_us: Double, p95_us: Double, p99_us: Double, mean_us: Double, min_us: Double
        let f32_p50_us: Double?, f32_p95_us: Double?, speedup_vs_f32: Double?
        let layers: [Layer]?
    }

    /// Runs per timed block when two plans alternate.
    static let block = 50

    func run() throws {
        try CLI.guarded {
            let session = try options.session(level: level)
            if vsF32 && !session.graph.nodes.contains(where: { (try? Int8LinearParams.read($0)) != nil }) {
                throw EdgePruneError(.input, "'\(options.model)' has no int8-quantised layer; --vs-f32 compares a model from `edgeprune quantize` with its f32 form")
            }
            let feeds: [String: Tensor]
            if let input {
                feeds = try InputFiles.feeds([input], session: session)
            } else {
                feeds = try randomFeeds(session)
            }
            let plan = try session.plan(inputShapes: feeds.mapValues(\.shape))
            for b in plan.inputs { b.pointer.copyMemory(from: feeds[b.name]!.raw, byteCount: b.type.byteCount) }
            var reference: ExecutionPlan? = nil
            if vsF32 {
                let p = try options.session(level: level, f32: true).plan(inputShapes: feeds.mapValues(\.shape))
                for b in p.inputs { b.pointer.copyMemory(from: feeds[b.name]!.raw, byteCount: b.type.byteCount) }
                reference = p
            }
            for _ in 0..<warmup { plan.run(); reference?.run() }
            var times = [UInt64](repeating: 0, count: runs)
            var referenceTimes = [UInt64](repeating: 0, count: reference == nil ? 0 : runs)
            var start = 0
            while start < runs {
                let end = reference == nil ? runs : min(runs, start + Self.block)
                for i in start..<end {
                    let t0 = CLI.now()
                    plan.run()
                    times[i] = CLI.now() - t0
                }
                if let reference {
                    for i in start..<end {
                        let t0 = CLI.now()
                        reference.run()
                        referenceTimes[i] = CLI.now() - t0
                    }
                }
                start = end
            }
            times.sort()
            referenceTimes.sort()
            func pct(_ t: [UInt64], _ p: Double) -> Double { Double(t[min(runs - 1, Int((p * Double(runs)).rounded(.up)) - 1)]) / 1000 }
            let batch = plan.inputs.first?.type.shape.first ?? 1
            let f32p50 = reference == nil ? nil : pct(referenceTimes, 0.50)
            let r = Report(model: options.model, level: level, runs: runs, warmup: warmup, batch: batch, threads: options.threads,
                           p50_us: pct(times, 0.50), p95_us: pct(times, 0.95), p99_us: pct(times, 0.99),
                           mean_us: Double(times.reduce(0, +)) / Double(runs) / 1000, min_us: Double(times[0]) / 1000,
                           f32_p50_us: f32p50, f32_p95_us: reference == nil ? nil : pct(referenceTimes, 0.95),
                           speedup_vs_f32: f32p50.map { $0 / pct(times, 0.50) },
                           layers: layers ? profile(plan) : nil)
            if json { try CLI.printJSON(r); return }
            for l in r.layers ?? [] {
                print(String(format: "%8.1f us %5.1f%%  %@ (%@) %@", l.mean_us, 100 * l.share, l.name, l.op, l.kernel))
            }
            print(String(format: "%@%@: batch %d, %d runs after %d warm-up: p50 %.1f us, p95 %.1f us, p99 %.1f us (mean %.1f, min %.1f)",
                         options.model, level > 0 ? " level \(level)" : "", batch, runs, warmup, r.p50_us, r.p95_us, r.p99_us, r.mean_us, r.min_us))
            if let f = r.f32_p50_us, let p95 = r.f32_p95_us, let s = r.speedup_vs_f32 {
                print(String(format: "f32 (same model and level, interleaved): p50 %.1f us, p95 %.1f us; int8 is %.2fx f32 at p50", f, p95, s))
            }
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
