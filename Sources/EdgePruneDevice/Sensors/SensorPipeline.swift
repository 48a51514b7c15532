import EdgePruneCore

/// Source → windows → normalisation → bounded queue, driven by the daemon's source thread.
///
/// `step(timeout:)` reads at most one sample, so the caller keeps control of shutdown: the
/// daemon loops `while !stopping { try pipeline.step(timeout: 0.1) }` and the inference
/// thread pops windows from `queue`. Samples with the wrong channel count are counted and
/// skipped, never fatal.
public final class SensorPipeline {
    public let source: any SensorSource
    public let windower: Windower
    public let normalization: Normalization
    public let queue: BoundedQueue<SensorWindow>

    public private(set) var samples: UInt64 = 0
    public private(set) var windows: UInt64 = 0
    /// Samples the windower refused (wrong number of values).
    public private(set) var rejectedSamples: UInt64 = 0
    public private(set) var isFinished = false

    public init(source: any SensorSource, windower: Windower, normalization: Normalization = .identity,
                queue: BoundedQueue<SensorWindow>) throws {
        if let c = source.channelCount, c != windower.channels {
            throw EdgePruneError(.input, "source '\(source.name)' gives \(c) channels, the window expects \(windower.channels)")
        }
        try normalization.check(channels: windower.channels)
        self.source = source
        self.windower = windower
        self.normalization = normalization
        self.queue = queue
    }

    /// Reads one sample and queues the window it completes. Returns what the source returned;
    /// on `.finished` the pipeline is finished (the queue stays open for the consumer to drain).
    @discardableResult
    public func step(timeout: Double) throws -> SensorReadResult {
        guard !isFinished else { return .finished }
        let result = try source.read(timeout: timeout)
        switch result {
        case .sample(let sample):
            samples += 1
            let window: SensorWindow?
            do { window = try windower.append(sample) } catch { rejectedSamples += 1; return result }
            if var w = window {
                normalization.apply(to: &w)
                windows += 1
                queue.push(w)
            }
        case .timedOut:
            break
        case .finished:
            isFinished = true
        }
        return result
    }

    /// Steps until the source finishes or `shouldStop` returns true (checked between steps,
    /// at least every `pollInterval` seconds).
    public func run(pollInterval: Double = 0.1, shouldStop: () -> Bool) throws {
        while !shouldStop() {
            if try step(timeout: pollInterval) == .finished { return }
        }
    }
}
