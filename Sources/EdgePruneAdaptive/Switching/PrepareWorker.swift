#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// One background thread that runs prepare jobs in order, so building a level's plan never runs
/// on the inference thread. Started on the first job; `shutdown()` finishes the queued jobs and
/// joins the thread.
final class PrepareWorker: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let lock = ConditionLock()
    private var jobs: [Job] = []
    private var thread: NativeThread?
    private var stopping = false

    /// Queues a job; throws when the thread cannot be started (the job does not run).
    func submit(_ job: @escaping Job) throws {
        try lock.withLock {
            guard !stopping else { throw EdgePruneError(.input, "the prepare worker is shut down") }
            if thread == nil {
                thread = try NativeThread("the prepare thread") { [self] in loop() }
            }
            jobs.append(job)
            lock.broadcast()
        }
    }

    private func loop() {
        while true {
            let job: Job? = lock.withLock {
                while jobs.isEmpty && !stopping { lock.wait() }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }

    /// Runs the queued jobs, then stops the thread. Safe to call more than once, and from a job
    /// (the thread is then detached instead of joined).
    func shutdown() {
        let t: NativeThread? = lock.withLock {
            stopping = true
            lock.broadcast()
            defer { thread = nil }
            return thread
        }
        guard let t else { return }
        if t.isCurrent { t.detach() } else { t.join() }
    }
}
