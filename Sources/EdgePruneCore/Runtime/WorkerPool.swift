import Atomics
import CEdgeKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Persistent worker threads that split one kernel's work. `parallelFor` runs `task(context, i)`
/// for i in 0..<count across the pool and the calling thread and returns when every index has
/// run. It allocates nothing, so kernels may call it from `run`: the task is a C function pointer
/// and its context a struct on the caller's stack (a Swift closure would not do: making a
/// non-escaping closure storable allocates). Threads are created once (at load) and sleep on a
/// condition variable between jobs. One job at a time: an ExecutionPlan is run by one thread.
public final class WorkerPool: @unchecked Sendable {
    public let threadCount: Int

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var workers: [pthread_t] = []
    public typealias Task = @convention(c) (UnsafeMutableRawPointer, Int) -> Void

    private var task: Task?
    private var context: UnsafeMutableRawPointer?
    private var jobCount = 0
    private var nextIndex = 0
    /// Indices not finished yet; the caller spins on it, then sleeps.
    private let pending = ManagedAtomic<Int>(0)
    /// Bumped per job; idle workers spin on it for a while before sleeping, because a condition
    /// variable wake-up costs more than most layers take.
    private let generation = ManagedAtomic<Int>(0)
    private var stopping = false

    /// Spin iterations before sleeping (about 50-100 us): long enough to bridge consecutive
    /// layers of one inference, short enough not to burn a core between inferences.
    static let spinLimit = 20_000

    /// A pool of `threads` threads in all (the caller counts as one). Throws when a thread cannot
    /// be created.
    public init(threads: Int) throws {
        guard threads >= 1 else { throw EdgePruneError(.input, "thread count must be at least 1, got \(threads)") }
        threadCount = threads
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
        for _ in 1..<threads {
            var tid = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let rc = pthread_create(&tid, nil, { arg in
                let pool = Unmanaged<WorkerPool>.fromOpaque(arg!).takeRetainedValue()
                pool.workerLoop()
                return nil
            }, context)
            guard rc == 0 else {
                Unmanaged<WorkerPool>.fromOpaque(context).release()
                shutdown()
                throw EdgePruneError(.io, "cannot start worker thread: \(String(cString: strerror(rc)))")
            }
            workers.append(tid)
        }
    }

    /// Stops and joins the workers. Called by whoever owns the pool (the workers hold references
    /// to it, so deinit alone would never run).
    public func shutdown() {
        pthread_mutex_lock(lock)
        stopping = true
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(lock)
        for t in workers { pthread_join(t, nil) }
        workers.removeAll()
    }

    deinit {
        pthread_mutex_destroy(lock)
        pthread_cond_destroy(wake)
        pthread_cond_destroy(finished)
        lock.deallocate()
        wake.deallocate()
        finished.deallocate()
    }

    public func parallelFor(_ count: Int, context: UnsafeMutableRawPointer, _ task: Task) {
        if count <= 1 || workers.isEmpty {
            for i in 0..<count { task(context, i) }
            return
        }
        pthread_mutex_lock(lock)
        self.task = task
        self.context = context
        jobCount = count
        nextIndex = 0
        pending.store(count, ordering: .relaxed)
        generation.wrappingIncrement(ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(lock)
        runItems()
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 && spins < WorkerPool.spinLimit { spins += 1 }
        pthread_mutex_lock(lock)
        while pending.load(ordering: .acquiring) > 0 { pthread_cond_wait(finished, lock) }
        self.task = nil
        self.context = nil
        pthread_mutex_unlock(lock)
    }

    /// Claims and runs indices of the current job until none are left.
    private func runItems() {
        while true {
            pthread_mutex_lock(lock)
            guard nextIndex < jobCount, let task, let context else {
                pthread_mutex_unlock(lock)
                return
            }
            let i = nextIndex
            nextIndex += 1
            pthread_mutex_unlock(lock)
            task(context, i)
            if pending.wrappingDecrementThenLoad(ordering: .acquiringAndReleasing) == 0 {
                pthread_mutex_lock(lock)
                pthread_cond_signal(finished)
                pthread_mutex_unlock(lock)
            }
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < WorkerPool.spinLimit { spins += 1 }
            pthread_mutex_lock(lock)
            while generation.load(ordering: .acquiring) == seen && !stopping { pthread_cond_wait(wake, lock) }
            if stopping {
                pthread_mutex_unlock(lock)
                return
            }
            seen = generation.load(ordering: .acquiring)
            pthread_mutex_unlock(lock)
            runItems()
        }
    }
}

/// How a kernel splits its work over a pool: contiguous ranges of `units` (rows, panels,
/// channels), at most one per thread, and only when each gets at least `minWork` MACs.
struct WorkSplit {
    let pool: WorkerPool?
    let tasks: Int

    static let minWorkPerTask = 150_000

    init(pool: WorkerPool?, units: Int, work: Int) {
        let threads = pool?.threadCount ?? 1
        let byWork = max(1, work / WorkSplit.minWorkPerTask)
        self.init(tasks: max(1, min(threads, units, byWork)), pool: pool)
    }

    init(tasks: Int, pool: WorkerPool?) {
        self.tasks = tasks
        self.pool = tasks > 1 ? pool : nil
    }

    /// The half-open range of units task `t` of `tasks` covers, in multiples of `granule`.
    static func range(_ t: Int, of tasks: Int, units: Int, granule: Int = 1) -> Range<Int> {
        let chunks = (units + granule - 1) / granule
        let lo = chunks * t / tasks * granule, hi = min(units, chunks * (t + 1) / tasks * granule)
        return lo..<max(lo, hi)
    }

    /// Runs `task(context, 0..<tasks)`, on the pool when there is more than one task.
    @inline(__always)
    func run<Context>(_ context: inout Context, _ task: WorkerPool.Task) {
        withUnsafeMutablePointer(to: &context) { p in
            if let pool { pool.parallelFor(tasks, context: p, task) } else { task(p, 0) }
        }
    }
}

/// One GEMM, C = A x B(packed) + biases, clamped, split by rows or by column panels.
struct GemmTask {
    /// How an m x n x k product splits: by column panels when there are at least as many panels
    /// as row tiles (wide outputs), else by row tiles.
    static func split(pool: WorkerPool?, config: UnsafePointer<ep_f32_gemm_config>, m: Int, n: Int, k: Int)
        -> (split: WorkSplit, columns: Bool) {
        let panels = (n + Int(config.pointee.nr) - 1) / Int(config.pointee.nr)
        let tiles = (m + Int(config.pointee.mr) - 1) / Int(config.pointee.mr)
        let columns = panels >= tiles
        return (WorkSplit(pool: pool, units: columns ? panels : tiles, work: m * n * k), columns)
    }

    var config: UnsafePointer<ep_f32_gemm_config>
    var m: Int, n: Int, k: Int
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>
    var c: UnsafeMutablePointer<Float>, ldc: Int
    var biasM: UnsafePointer<Float>?, biasN: UnsafePointer<Float>?
    var params: UnsafePointer<ep_f32_minmax_params>
    var tasks: Int
    var columns: Bool

    func execute(_ t: Int) {
        if tasks == 1 {
            ep_f32_gemm(config, m, n, k, a, lda, b, c, ldc, biasM, biasN, params)
        } else if columns {
            let r = WorkSplit.range(t, of: tasks, units: n, granule: Int(config.pointee.nr))
            guard !r.isEmpty else { return }
            ep_f32_gemm(config, m, r.count, k, a, lda, b + r.lowerBound * k, c + r.lowerBound, ldc, biasM,
                        biasN.map { $0 + r.lowerBound }, params)
        } else {
            let r = WorkSplit.range(t, of: tasks, units: m, granule: Int(config.pointee.mr))
            guard !r.isEmpty else { return }
            ep_f32_gemm(config, r.count, n, k, a + r.lowerBound * lda, lda, b, c + r.lowerBound * ldc, ldc,
                        biasM.map { $0 + r.lowerBound }, biasN, params)
        }
    }

    /// Runs every part, on the split's threads.
    mutating func run(_ split: WorkSplit) {
        tasks = split.tasks
        split.run(&self) { raw, t in raw.assumingMemoryBound(to: GemmTask.self).pointee.execute(t) }
    }
}
