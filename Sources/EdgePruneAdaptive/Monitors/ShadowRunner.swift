import Atomics
import Dispatch
import EdgePruneCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One shadowed inference: the active level's top-1 and the dense model's on the same input.
public struct ShadowResult: Sendable, Equatable {
    public let id: UInt64
    public let level: Int
    public let activeTop1: Int
    public let denseTop1: Int

    public init(id: UInt64, level: Int, activeTop1: Int, denseTop1: Int) {
        self.id = id
        self.level = level
        self.activeTop1 = activeTop1
        self.denseTop1 = denseTop1
    }
}

/// What a shadow runner did with the inputs it was offered.
public struct ShadowRunnerCounters: Sendable, Equatable {
    /// Inputs queued for the dense model.
    public var submitted = 0
    /// Inputs dropped because the queue was full (the inference thread never waits).
    public var dropped = 0
    /// Inputs refused: wrong element count, level or class out of range, a second thread
    /// submitting at the same time, or the runner shut down.
    public var rejected = 0
    /// Dense inferences finished.
    public var completed = 0
    /// Finished results overwritten because nobody drained them (the oldest go first).
    public var resultsDropped = 0
}

/// Runs the dense (level 0) model on a sample of inputs off the hot path, for the shadow-dense
/// agreement estimate.
///
/// The inference thread calls `submit` with the input it just ran and its top-1; the input is
/// copied into a preallocated slot of a bounded single-producer/single-consumer ring (atomics,
/// no lock) and a background thread runs the dense ExecutionPlan on it. When the ring is full the
/// input is dropped and counted: `submit` never blocks and never allocates. Results go to a
/// lock-protected ring that the thread owning the `AccuracyMonitor` empties with
/// `drain(into:)` (the monitor itself is not thread-safe, so the worker never touches it).
///
/// One thread submits (the inference thread); a concurrent second submitter is refused and
/// counted rather than corrupting the ring. The dense run costs a full dense inference on another
/// core per shadowed input; with a 5% sampling rate that is 5% extra CPU.
public final class ShadowRunner: @unchecked Sendable {
    /// Floats per input (batch 1) and classes in the dense model's first output.
    public let inputCount: Int
    public let classes: Int
    public let queueCapacity: Int
    public let resultCapacity: Int

    private let worker: ShadowWorker

    /// - Parameters:
    ///   - denseGraph: the model at level 0 (its stored weights); planned for batch 1. It must
    ///     take one f32 input and give class scores as its first (f32) output.
    ///   - queueCapacity: inputs waiting for the dense model, >= 1.
    ///   - resultCapacity: finished results waiting for `drain`, >= 1.
    public init(denseGraph: Graph, queueCapacity: Int = 16, resultCapacity: Int = 1024) throws {
        guard queueCapacity >= 1 else { throw EdgePruneError(.input, "shadow runner: queue capacity must be at least 1, got \(queueCapacity)") }
        guard resultCapacity >= 1 else { throw EdgePruneError(.input, "shadow runner: result capacity must be at least 1, got \(resultCapacity)") }
        let session = try InferenceSession(graph: denseGraph)
        let plan = try session.plan(batch: 1)
        guard plan.inputs.count == 1, plan.inputs[0].type.dtype == .float32 else {
            throw EdgePruneError(.input, "shadow runner: the dense model must take one f32 input, it takes \(plan.inputs.map { "\($0.name) \($0.type)" }.joined(separator: ", "))")
        }
        guard let out = plan.outputs.first, out.type.dtype == .float32, out.type.count >= 2 else {
            throw EdgePruneError(.input, "shadow runner: the dense model's first output must hold f32 class scores, it is \(plan.outputs.first.map { "\($0.type)" } ?? "missing")")
        }
        inputCount = plan.inputs[0].type.count
        classes = out.type.count
        self.queueCapacity = queueCapacity
        self.resultCapacity = resultCapacity
        worker = ShadowWorker(session: session, plan: plan, inputCount: inputCount, classes: classes,
                              queueCapacity: queueCapacity, resultCapacity: resultCapacity)
        try worker.start()
    }

    deinit { worker.shutdown() }

    /// Queues `input` (copied) for the dense model. Returns false when it was not queued: queue
    /// full (counted in `dropped`), or refused (counted in `rejected`: wrong element count, level
    /// outside the ladder, `activeTop1` not a class, concurrent submit, shut down). Never blocks,
    /// never allocates.
    @discardableResult
    public func submit(id: UInt64, level: Int, activeTop1: Int, input: UnsafeBufferPointer<Float>) -> Bool {
        worker.submit(id: id, level: level, activeTop1: activeTop1, input: input)
    }

    /// Hands every finished result to `monitor.recordShadow`, oldest first, and returns how many.
    /// Call it on the thread that owns the monitor (e.g. between inferences).
    @discardableResult
    public func drain(into monitor: AccuracyMonitor) -> Int {
        worker.drain { monitor.recordShadow(level: $0.level, activeTop1: $0.activeTop1, denseTop1: $0.denseTop1) }
    }

    /// Hands every finished result to `body`, oldest first (under the runner's lock: `body` must
    /// not call back into the runner), and returns how many.
    @discardableResult
    public func drain(_ body: (ShadowResult) -> Void) -> Int { worker.drain(body) }

    /// Blocks until every input queued so far has been run (for tests, replay and shutdown
    /// paths; never call it on the inference hot path).
    public func waitUntilIdle() { worker.waitUntilIdle() }

    public var counters: ShadowRunnerCounters { worker.counters }

    /// Runs what is queued, stops the thread and refuses further inputs. Idempotent.
    public func shutdown() { worker.shutdown() }
}

/// The state shared by the submitting thread and the dense-model thread.
final class ShadowWorker: @unchecked Sendable {
    private let session: InferenceSession
    private let plan: ExecutionPlan
    private let inputCount: Int
    private let classes: Int
    private let capacity: Int

    // Input ring: slot i holds inputs[i * inputCount ..< (i + 1) * inputCount] and its metadata.
    // `tail` is written only by the producer, `head` only by the worker; both only grow.
    private let inputs: UnsafeMutablePointer<Float>
    private let ids: UnsafeMutablePointer<UInt64>
    private let levels: UnsafeMutablePointer<Int>
    private let activeTop1: UnsafeMutablePointer<Int>
    private let head = ManagedAtomic<Int>(0)
    private let tail = ManagedAtomic<Int>(0)
    private let producerBusy = ManagedAtomic<Bool>(false)
    private let stopping = ManagedAtomic<Bool>(false)
    private let shutdownClaimed = ManagedAtomic<Bool>(false)
    private let dropped = ManagedAtomic<Int>(0)
    private let rejected = ManagedAtomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)

    // Result ring, under `lock`.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let progressed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let results: UnsafeMutablePointer<ShadowResult>
    private let resultCapacity: Int
    private var resultStart = 0
    private var resultCount = 0
    private var processed = 0
    private var resultsDropped = 0

    private var thread: NativeThread?
    private var joined = false

    init(session: InferenceSession, plan: ExecutionPlan, inputCount: Int, classes: Int, queueCapacity: Int, resultCapacity: Int) {
        self.session = session
        self.plan = plan
        self.inputCount = inputCount
        self.classes = classes
        capacity = queueCapacity
        self.resultCapacity = resultCapacity
        inputs = .allocate(capacity: queueCapacity * inputCount)
        inputs.initialize(repeating: 0, count: queueCapacity * inputCount)
        ids = .allocate(capacity: queueCapacity)
        ids.initialize(repeating: 0, count: queueCapacity)
        levels = .allocate(capacity: queueCapacity)
        levels.initialize(repeating: 0, count: queueCapacity)
        activeTop1 = .allocate(capacity: queueCapacity)
        activeTop1.initialize(repeating: 0, count: queueCapacity)
        results = .allocate(capacity: resultCapacity)
        results.initialize(repeating: ShadowResult(id: 0, level: 0, activeTop1: 0, denseTop1: 0), count: resultCapacity)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(progressed, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        pthread_cond_destroy(progressed)
        lock.deallocate()
        progressed.deallocate()
        inputs.deallocate()
        ids.deallocate()
        levels.deallocate()
        activeTop1.deallocate()
        results.deallocate()
    }

    func start() throws {
        do {
            thread = try NativeThread("the shadow runner's thread") { [self] in loop() }
        } catch {
            stopping.store(true, ordering: .releasing)
            throw error
        }
    }

    func submit(id: UInt64, level: Int, activeTop1 top1: Int, input: UnsafeBufferPointer<Float>) -> Bool {
        guard input.count == inputCount, let source = input.baseAddress, level >= 0, level <= SparsityLadder.maxLevels,
              top1 >= 0, top1 < classes, !stopping.load(ordering: .acquiring) else {
            rejected.wrappingIncrement(ordering: .relaxed)
            return false
        }
        guard producerBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            rejected.wrappingIncrement(ordering: .relaxed)
            return false
        }
        defer { producerBusy.store(false, ordering: .releasing) }
        let t = tail.load(ordering: .relaxed)
        guard t - head.load(ordering: .acquiring) < capacity else {
            dropped.wrappingIncrement(ordering: .relaxed)
            return false
        }
        let slot = t % capacity
        (inputs + slot * inputCount).update(from: source, count: inputCount)
        ids[slot] = id
        levels[slot] = level
        activeTop1[slot] = top1
        tail.store(t + 1, ordering: .releasing)
        wake.signal()
        return true
    }

    private func loop() {
        let input = plan.inputs[0].pointer.assumingMemoryBound(to: Float.self)
        let output = plan.outputs[0].pointer.assumingMemoryBound(to: Float.self)
        while true {
            wake.wait()
            while true {
                let h = head.load(ordering: .relaxed)
                guard h < tail.load(ordering: .acquiring) else { break }
                let slot = h % capacity
                input.update(from: inputs + slot * inputCount, count: inputCount)
                let id = ids[slot], level = levels[slot], top1 = activeTop1[slot]
                head.store(h + 1, ordering: .releasing)  // the slot is free again
                plan.run()
                var best = 0
                for c in 1..<classes where output[c] > output[best] { best = c }
                publish(ShadowResult(id: id, level: level, activeTop1: top1, denseTop1: best))
            }
            if stopping.load(ordering: .acquiring) && head.load(ordering: .relaxed) == tail.load(ordering: .acquiring) { return }
        }
    }

    private func publish(_ r: ShadowResult) {
        pthread_mutex_lock(lock)
        if resultCount == resultCapacity {
            resultStart = (resultStart + 1) % resultCapacity
            resultCount -= 1
            resultsDropped += 1
        }
        results[(resultStart + resultCount) % resultCapacity] = r
        resultCount += 1
        processed += 1
        pthread_cond_broadcast(progressed)
        pthread_mutex_unlock(lock)
    }

    func drain(_ body: (ShadowResult) -> Void) -> Int {
        pthread_mutex_lock(lock)
        let n = resultCount
        for i in 0..<n { body(results[(resultStart + i) % resultCapacity]) }
        resultStart = 0
        resultCount = 0
        pthread_mutex_unlock(lock)
        return n
    }

    func waitUntilIdle() {
        let target = tail.load(ordering: .acquiring)
        pthread_mutex_lock(lock)
        while processed < target && !joined { pthread_cond_wait(progressed, lock) }
        pthread_mutex_unlock(lock)
    }

    var counters: ShadowRunnerCounters {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return ShadowRunnerCounters(submitted: tail.load(ordering: .acquiring), dropped: dropped.load(ordering: .relaxed),
                                    rejected: rejected.load(ordering: .relaxed), completed: processed,
                                    resultsDropped: resultsDropped)
    }

    /// The first caller stops and joins the thread; later (or concurrent) callers return at once.
    /// An input submitted while the worker is exiting may be left unrun (it is counted in
    /// `submitted`, never in `completed`).
    func shutdown() {
        guard shutdownClaimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        stopping.store(true, ordering: .releasing)
        wake.signal()
        thread?.join()
        pthread_mutex_lock(lock)
        joined = true
        pthread_cond_broadcast(progressed)
        pthread_mutex_unlock(lock)
    }
}
