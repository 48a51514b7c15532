import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneDevice

/// What an uploaded model must pass before it replaces the running one: every ladder level runs
/// on a few inputs (zeros, and a deterministic pseudo-random one) with finite outputs and within
/// a time limit.
enum ModelHealthCheck {
    /// nil when healthy, else the problem in one line.
    static func run(_ model: AdaptiveModel, inputCount: Int, secondsPerInference limit: Double = 1) -> String? {
        var inputs: [[Float]] = [[Float](repeating: 0, count: inputCount)]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        inputs.append((0..<inputCount).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Double(state >> 11) / Double(1 << 53) * 2 - 1)
        })
        let start = model.activeLevel
        defer { try? model.switchTo(level: start) }
        for level in 0...model.topLevel {
            do { try model.switchTo(level: level) } catch { return "level \(level) cannot be prepared: \(error)" }
            for (k, x) in inputs.enumerated() {
                let t0 = DeviceClock.monotonicSeconds()
                let bad: String? = model.run { plan, _ in
                    let dst = plan.inputs[0].pointer.assumingMemoryBound(to: Float.self)
                    x.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: inputCount) }
                    plan.run()
                    let n = plan.outputs[0].type.count
                    let out = UnsafeBufferPointer(start: plan.outputs[0].pointer.assumingMemoryBound(to: Float.self), count: n)
                    if let i = out.firstIndex(where: { !$0.isFinite }) { return "output \(i) is \(out[i])" }
                    return nil
                }
                if let bad { return "level \(level), input \(k): \(bad)" }
                let dt = DeviceClock.monotonicSeconds() - t0
                if dt > limit { return "level \(level) took \(dt) s for one inference (limit \(limit) s)" }
            }
        }
        return nil
    }
}
