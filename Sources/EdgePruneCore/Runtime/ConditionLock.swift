#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with one condition variable (on CLOCK_MONOTONIC where the platform allows
/// it, so timed waits are immune to wall-clock steps such as NTP at boot). Not recursive. For
/// short critical sections on and around the inference path (level hand-over, the prepare queue,
/// the MQTT client's state) where a Foundation lock would bring Foundation.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        #if os(Linux)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on the condition; call only inside `withLock`.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every waiter. Call it inside `withLock`, after changing what the waiters test.
    public func broadcast() { pthread_cond_broadcast(condition) }

    /// Takes the lock and waits up to `seconds`, or until `done()` (checked under the lock) holds
    /// after a `broadcast()`. Returns `done()`.
    @discardableResult
    public func wait(seconds: Double, until done: () -> Bool) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let deadline = ConditionLock.monotonicSeconds() + max(0, seconds)
        while !done() {
            let now = ConditionLock.monotonicSeconds()
            if now >= deadline { break }
            #if os(Linux)
            var ts = ConditionLock.deadline(at: deadline)
            #else
            var ts = ConditionLock.wallTimespec(after: deadline - now)
            #endif
            pthread_cond_timedwait(condition, mutex, &ts)
        }
        return done()
    }

    private static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private static func deadline(at seconds: Double) -> timespec {
        let whole = seconds.rounded(.down)
        var ts = timespec()
        ts.tv_sec = Int(whole)
        ts.tv_nsec = Int((seconds - whole) * 1e9)
        return ts
    }

    #if !os(Linux)
    private static func wallTimespec(after seconds: Double) -> timespec {
        var now = timeval()
        gettimeofday(&now, nil)
        let t = Double(now.tv_sec) + Double(now.tv_usec) * 1e-6 + seconds
        let whole = t.rounded(.down)
        var ts = Darwin.timespec()
        ts.tv_sec = Int(whole)
        ts.tv_nsec = Int((t - whole) * 1e9)
        return ts
    }
    #endif
}
