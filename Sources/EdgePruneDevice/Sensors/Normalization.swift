import EdgePruneCore

/// Per-channel standardisation applied to each window before inference:
/// x' = (x - mean[c]) / std[c].
///
/// A plain value the daemon fills from the config or the model's metadata (the mean and std
/// the model was trained with). One mean/std pair applies to every channel; otherwise there is
/// one pair per channel.
public struct Normalization: Equatable, Sendable {
    public let mean: [Float]
    public let std: [Float]

    /// No change (mean 0, std 1).
    public static let identity = Normalization(checkedMean: [0], std: [1])

    public init(mean: [Float], std: [Float]) throws {
        guard !mean.isEmpty, mean.count == std.count else {
            throw EdgePruneError(.input, "normalisation needs as many std values as mean values (got \(mean.count) and \(std.count))")
        }
        if let i = mean.firstIndex(where: { !$0.isFinite }) {
            throw EdgePruneError(.input, "normalisation mean[\(i)] is \(mean[i]), not a finite number")
        }
        if let i = std.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw EdgePruneError(.input, "normalisation std[\(i)] is \(std[i]); it must be finite and greater than 0")
        }
        self.init(checkedMean: mean, std: std)
    }

    private init(checkedMean mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Checks that the pairs fit windows of `channels` channels (1 pair, or one per channel).
    public func check(channels: Int) throws {
        guard mean.count == 1 || mean.count == channels else {
            throw EdgePruneError(.input, "normalisation has \(mean.count) mean/std pairs for \(channels) channels (use 1 or \(channels))")
        }
    }

    /// Normalises `window` in place. The window must pass `check(channels:)`.
    public func apply(to window: inout SensorWindow) {
        let frames = window.frames, channels = window.channels, layout = window.layout
        let inverse = std.map { 1 / $0 }
        window.values.withUnsafeMutableBufferPointer { v in
            for c in 0..<channels {
                let p = mean.count == 1 ? 0 : c
                let m = mean[p], s = inverse[p]
                for t in 0..<frames {
                    let i = layout == .timeMajor ? t * channels + c : c * frames + t
                    v[i] = (v[i] - m) * s
                }
            }
        }
    }
}
