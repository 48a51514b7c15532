/// Reconnect delays: `minSeconds`, then doubling with every failed attempt up to `maxSeconds`,
/// each scaled by a random factor in [0.8, 1.2] (and kept within [min, max]) so that a fleet
/// that lost its broker does not reconnect in lockstep when it comes back.
struct ReconnectBackoff: Equatable, Sendable {
    let minSeconds: Double
    let maxSeconds: Double

    /// The delay before retry number `attempt` (0 for the first retry); `jitter` in [-1, 1]
    /// (a random draw; 0 gives the nominal delay).
    func delay(attempt: Int, jitter: Double) -> Double {
        let exponent = Double(min(max(attempt, 0), 62))
        let nominal = min(maxSeconds, minSeconds * pow2(exponent))
        let scaled = nominal * (1 + 0.2 * min(max(jitter, -1), 1))
        return min(maxSeconds, max(minSeconds, scaled))
    }

    func randomDelay(attempt: Int) -> Double {
        delay(attempt: attempt, jitter: Double.random(in: -1...1))
    }

    private func pow2(_ e: Double) -> Double {
        var v = 1.0
        var i = 0.0
        while i < e && v < 1e18 { v *= 2; i += 1 }
        return v
    }
}
