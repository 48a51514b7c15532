import Dispatch
import EdgePruneAdaptive
import EdgePruneCore
import EdgePruneDevice
import EdgePruneHTTP
import Foundation
import Logging

/// The daemon's two threads: the source thread reads samples into windows (SensorPipeline, into
/// a bounded queue with a drop policy), the inference thread pops windows, runs the adaptive
/// runner and hands each result to the sinks.
///
/// Everything that changes what the inference thread uses (budgets, the model, a status read)
/// is handed to it as a closure (`perform`) and run between two inferences, so no inference
/// ever sees a half-applied change and the hot path takes no lock but the mailbox check.
public final class InferenceLoop: @unchecked Sendable {
    /// Counters the loop keeps; every window that entered the queue ends up in exactly one of
    /// inferences, errors or the queue's drop counters.
    public struct Counters: Sendable, Equatable, Codable {
        public var inferences: UInt64 = 0
        /// Windows whose size did not match the model's input.
        public var shapeErrors: UInt64 = 0
        /// Inferences that threw (the loop goes on).
        public var inferenceErrors: UInt64 = 0
        /// Emits that threw, per sink name.
        public var sinkErrors: [String: UInt64] = [:]
        public var switches: UInt64 = 0

        enum CodingKeys: String, CodingKey {
            case inferences, switches
            case shapeErrors = "shape_errors", inferenceErrors = "inference_errors", sinkErrors = "sink_errors"
        }
    }

    /// What the source thread last reported.
    public struct SourceStats: Sendable, Equatable, Codable {
        public var name: String
        public var samples: UInt64 = 0
        public var windows: UInt64 = 0
        public var rejectedSamples: UInt64 = 0
        /// Source failures (device gone, socket error); the source is retried with a back-off.
        public var errors: UInt64 = 0
        public var finished = false

        enum CodingKeys: String, CodingKey {
            case name, samples, windows, errors, finished
            case rejectedSamples = "rejected_samples"
        }
    }

    /// The inference thread's world; only touched on that thread (or inline once it has ended).
    public final class State {
        public internal(set) var runner: AdaptiveRunner
        public let sinks: [InferenceSink]
        public internal(set) var counters = Counters()
        init(runner: AdaptiveRunner, sinks: [InferenceSink]) {
            self.runner = runner
            self.sinks = sinks
        }

        /// Replaces the runner (a new model, new controller settings): takes effect for the next
        /// inference, and continues the old runner's inference ids.
        public func replaceRunner(_ runner: AdaptiveRunner) {
            runner.continueInferenceIDs(after: self.runner)
            self.runner = runner
        }
    }

    public let pipeline: SensorPipeline
    public var queue: BoundedQueue<SensorWindow> { pipeline.queue }
    private let state: State
    private let metrics: DaemonMetrics?
    private let logger: Logger
    private let lock = NSLock()
    /// Serialises `perform` bodies run on callers' threads once the inference thread has ended
    /// (a lock of its own: the bodies may read `source` or `isRunning`, which take `lock`).
    private let inlineLock = NSLock()
    private var mailbox: [(State) -> Void] = []
    private var hasMail = false
    private var stopRequested = false
    private var inferenceThreadEnded = false
    private var sourceStats: SourceStats
    private let ended = DispatchGroup()
    /// Called on the inference thread after each inference (e.g. for persistence timing); must be quick.
    private let periodic: ((State) -> Void)?
    private let periodInterval: Double
    /// Sees each inference's id and input after it ran (on-device recovery keeps recent inputs);
    /// must be quick and must not allocate.
    private let recordInput: ((UInt64, UnsafeBufferPointer<Float>) -> Void)?

    public init(pipeline: SensorPipeline, runner: AdaptiveRunner, sinks: [InferenceSink], metrics: DaemonMetrics?,
                logger: Logger, periodicInterval: Double = 0.25, periodic: ((State) -> Void)? = nil,
                recordInput: ((UInt64, UnsafeBufferPointer<Float>) -> Void)? = nil) {
        self.pipeline = pipeline
        state = State(runner: runner, sinks: sinks)
        self.metrics = metrics
        self.logger = logger
        self.periodic = periodic
        self.recordInput = recordInput
        periodInterval = periodicInterval
        sourceStats = SourceStats(name: pipeline.source.name)
    }

    // MARK: Control (any thread)

    /// Starts both threads.
    public func start() {
        ended.enter()
        ended.enter()
        let source = Thread { [self] in sourceLoop(); ended.leave() }
        source.name = "edgeprune-source"
        let infer = Thread { [self] in inferenceLoop(); ended.leave() }
        infer.name = "edgeprune-inference"
        infer.qualityOfService = .userInteractive
        source.start()
        infer.start()
    }

    /// Asks both threads to stop: the inference in flight finishes, windows still queued are
    /// dropped (counted as closed drops), sinks are closed. Waits up to `timeout` seconds.
    /// Returns false when the threads did not end in time.
    @discardableResult
    public func stop(timeout: Double = 10) -> Bool {
        lock.withLock { stopRequested = true }
        queue.close(discarding: true)
        let finished = ended.wait(timeout: .now() + timeout) == .success
        if finished {
            inlineLock.withLock { for sink in state.sinks { sink.close() } }
            pipeline.source.close()
        }
        return finished
    }

    /// Blocks until both threads have ended (the source finished and was drained, or stop).
    public func wait(timeout: Double) -> Bool { ended.wait(timeout: .now() + timeout) == .success }

    /// Whether the inference thread is still running.
    public var isRunning: Bool { lock.withLock { !inferenceThreadEnded } }

    public var source: SourceStats { lock.withLock { sourceStats } }

    /// Runs `body` on the inference thread between two inferences and returns its result; nil
    /// when it did not run within `timeout` seconds (the body may still run later). Once the
    /// inference thread has ended, runs `body` on the calling thread.
    public func perform<T>(timeout: Double = 2, _ body: @escaping (State) -> T) -> T? {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let inline: Bool = lock.withLock {
            if inferenceThreadEnded { return true }
            mailbox.append { s in
                let v = body(s)
                box.lock.withLock { box.value = v }
                done.signal()
            }
            hasMail = true
            return false
        }
        if inline { return inlineLock.withLock { body(state) } }
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return box.lock.withLock { box.value }
    }

    // MARK: Threads

    private var shouldStop: Bool { lock.withLock { stopRequested } }

    private func sourceLoop() {
        var backoff = 0.1
        while !shouldStop {
            do {
                let r = try pipeline.step(timeout: 0.1)
                backoff = 0.1
                publishSourceStats()
                if r == .finished {
                    logger.info("source finished", metadata: ["source": "\(pipeline.source.name)"])
                    break
                }
            } catch {
                noteSourceError(error)
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
        publishSourceStats()
        if !shouldStop { queue.close() }  // the source finished: let the inference thread drain and end
    }

    private func noteSourceError(_ error: Error) {
        let n: UInt64 = lock.withLock { sourceStats.errors += 1; return sourceStats.errors }
        metrics?.addErrors(1, kind: "source")
        if n <= 3 || n % 100 == 0 {
            logger.error("source failed, retrying", metadata: ["source": "\(pipeline.source.name)", "error": "\(error)", "count": "\(n)"])
        }
    }

    private func publishSourceStats() {
        let s = SourceStats(name: pipeline.source.name, samples: pipeline.samples, windows: pipeline.windows,
                            rejectedSamples: pipeline.rejectedSamples + UInt64(pipeline.source.rejectedCount),
                            finished: pipeline.isFinished)
        lock.withLock {
            let errors = sourceStats.errors
            sourceStats = s
            sourceStats.errors = errors
        }
    }

    private func inferenceLoop() {
        var lastPeriodic = DeviceClock.monotonicSeconds()
        var droppedSeen: UInt64 = 0
        while true {
            drainMailbox()
            if shouldStop { break }
            guard let window = queue.pop(timeout: 0.05) else {
                if queue.isClosedAndEmpty { break }
                lastPeriodic = tick(lastPeriodic, &droppedSeen)
                continue
            }
            infer(window)
            lastPeriodic = tick(lastPeriodic, &droppedSeen)
        }
        state.runner.waitForShadow()
        _ = tick(0, &droppedSeen)
        lock.withLock { inferenceThreadEnded = true }
        drainMailbox()
    }

    private func drainMailbox() {
        let work: [(State) -> Void] = lock.withLock {
            guard hasMail else { return [] }
            hasMail = false
            defer { mailbox.removeAll() }
            return mailbox
        }
        for job in work { job(state) }
    }

    private func infer(_ window: SensorWindow) {
        let runner = state.runner
        guard window.values.count == runner.inputCount else {
            state.counters.shapeErrors += 1
            if state.counters.shapeErrors <= 3 {
                logger.error("window does not fit the model", metadata: ["values": "\(window.values.count)", "model_input": "\(runner.inputCount)"])
            }
            metrics?.addErrors(1, kind: "shape")
            return
        }
        var confidence: Float = 0
        let outcome: InferenceOutcome
        do {
            outcome = try window.values.withUnsafeBufferPointer { try runner.infer($0) { confidence = Self.confidence($0) } }
        } catch {
            state.counters.inferenceErrors += 1
            metrics?.addErrors(1, kind: "inference")
            if state.counters.inferenceErrors <= 3 { logger.error("inference failed", metadata: ["error": "\(error)"]) }
            return
        }
        if let recordInput { window.values.withUnsafeBufferPointer { recordInput(outcome.id, $0) } }
        state.counters.inferences += 1
        metrics?.recordInference(seconds: outcome.seconds, level: outcome.level)
        if let d = outcome.decision {
            state.counters.switches += 1
            metrics?.recordSwitch(from: d.from, to: d.to)
            logger.notice("level \(d.from) -> \(d.to)", metadata: ["reason": "\(d.reason)"])
        }
        let record = InferenceRecord(id: outcome.id, time: InferenceRecord.wallClock(), window: window.sequence, level: outcome.level,
                                     predicted: outcome.top1, confidence: confidence, latencyMs: outcome.seconds * 1000)
        for sink in state.sinks {
            do { try sink.emit(record) } catch {
                let n = (state.counters.sinkErrors[sink.name] ?? 0) + 1
                state.counters.sinkErrors[sink.name] = n
                metrics?.addErrors(1, kind: "sink")
                if n <= 3 || n % 1000 == 0 { logger.error("sink failed", metadata: ["sink": "\(sink.name)", "error": "\(error)", "count": "\(n)"]) }
            }
        }
    }

    /// Gauges and the periodic hook, every `periodInterval` seconds.
    private func tick(_ last: Double, _ droppedSeen: inout UInt64) -> Double {
        let now = DeviceClock.monotonicSeconds()
        guard now - last >= periodInterval else { return last }
        if let metrics {
            let q = queue.stats
            if q.dropped > droppedSeen {
                metrics.addDrops(Int(q.dropped - droppedSeen), reason: "queue")
                droppedSeen = q.dropped
            }
            metrics.setQueueDepth(q.depth)
            let s = state.runner.status()
            metrics.setLevel(s.level, sparsity: s.sparsity)
            metrics.setEnergy(joulesPerInference: s.energyPerInference, watts: s.averagePower?.watts)
            metrics.setAccuracy(labelled: s.accuracy?.rate, agreement: s.agreement?.rate)
        }
        periodic?(state)
        return now
    }

    /// The top class's probability: the scores themselves when they already are probabilities
    /// (non-negative, summing to 1), else their softmax.
    static func confidence(_ scores: UnsafeBufferPointer<Float>) -> Float {
        guard let top = scores.max(), top.isFinite else { return 0 }
        let sum = scores.reduce(0, +)
        if scores.allSatisfy({ $0 >= 0 }), abs(sum - 1) < 1e-3 { return top }
        var denominator: Float = 0
        for s in scores { denominator += expf(s - top) }
        return denominator > 0 ? 1 / denominator : 0
    }
}

/// One value handed from the inference thread to a waiting caller.
private final class ResultBox<T>: @unchecked Sendable {
    let lock = NSLock()
    var value: T?
}
