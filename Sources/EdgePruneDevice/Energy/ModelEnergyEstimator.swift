/// Energy of inferences estimated from a board profile, for boards without a meter.
///
/// The model (an estimate, not a measurement; its inputs are in the profile, with sources):
///
///     E_inference = P_core · n_busy · t  +  e_MAC · MACs  +  e_byte · bytes
///
/// where P_core is `activeWattsPerCore`, n_busy the cores kept busy (clamped to 0...cores), t the
/// inference's wall time, e_MAC `joulesPerMAC` and e_byte `joulesPerByte`. E_inference is the
/// energy the inference adds above the idle board: the idle power is paid whether or not the
/// model runs. The whole-board energy over the same interval is P_idle · t + E_inference, and
/// the average board power over a window of length T holding inferences i is
///
///     P_avg = P_idle + Σ_i E_inference,i / T.
///
/// The first term dominates for dense compute (busy cores); the MAC and byte terms make a
/// pruned level that runs fewer MACs and reads fewer weight bytes cheaper even at equal time.
public struct ModelEnergyEstimator: Sendable, Equatable {
    public let profile: BoardProfile

    public init(profile: BoardProfile) { self.profile = profile }

    /// Joules the inference adds above idle. Non-finite or negative inputs count as 0.
    public func inferenceJoules(seconds: Double, busyCores: Double, macs: Double, bytes: Double) -> Double {
        let cores = min(max(clean(busyCores), 0), Double(profile.cores))
        return profile.activeWattsPerCore * cores * clean(seconds)
            + profile.joulesPerMAC * clean(macs)
            + profile.joulesPerByte * clean(bytes)
    }

    /// Whole-board joules over the inference's interval: idle power plus the inference's share.
    public func boardJoules(seconds: Double, busyCores: Double, macs: Double, bytes: Double) -> Double {
        profile.idleWatts * clean(seconds) + inferenceJoules(seconds: seconds, busyCores: busyCores, macs: macs, bytes: bytes)
    }

    /// Average board power over a window of `window` seconds in which inferences added
    /// `inferenceJoules` in total. Nil for a window that is not positive.
    public func averagePower(window: Double, inferenceJoules: Double) -> Double? {
        guard window.isFinite, window > 0 else { return nil }
        return profile.idleWatts + clean(inferenceJoules) / window
    }

    private func clean(_ x: Double) -> Double { x.isFinite && x > 0 ? x : 0 }
}
