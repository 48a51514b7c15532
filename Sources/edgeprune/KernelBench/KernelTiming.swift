import EdgePruneCore

/// Timing for kernel benchmarks. Two kernels are timed in alternating rounds, so drift on a shared
/// machine (frequency, other processes) hits both alike and their ratio stays meaningful.
enum KernelTiming {
    /// Median microseconds per call of `a` and of `b`: one warm-up call each, then `rounds`
    /// alternating rounds, each of enough calls to last about `roundMicros`.
    static func paired(rounds: Int, roundMicros: Double, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        let repsA = repetitions(roundMicros, a), repsB = repetitions(roundMicros, b)
        var ta: [Double] = [], tb: [Double] = []
        for r in 0..<rounds {
            if r % 2 == 0 {
                ta.append(time(repsA, a)); tb.append(time(repsB, b))
            } else {
                tb.append(time(repsB, b)); ta.append(time(repsA, a))
            }
        }
        return (median(ta), median(tb))
    }

    static func single(rounds: Int, roundMicros: Double, _ a: () -> Void) -> Double {
        LinearFormats.medianMicros(rounds: rounds, roundMicros: roundMicros, a)
    }

    private static func repetitions(_ roundMicros: Double, _ body: () -> Void) -> Int {
        body()
        let once = max(time(1, body), 0.05)
        return max(1, min(100_000, Int(roundMicros / once)))
    }

    private static func time(_ reps: Int, _ body: () -> Void) -> Double {
        let t0 = CLI.now()
        for _ in 0..<reps { body() }
        return Double(CLI.now() - t0) / 1000 / Double(reps)
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }
}
