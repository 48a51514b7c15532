#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with one condition variable (CLOCK_MONOTONIC where the platform allows it), for the
/// MQTT client's state and its interruptible back-off sleep. Never held across a libmosquitto
/// call: libmosquitto holds its own callback mutex while it runs our callbacks, so holding this
/// lock while calling into the library could deadlock against a callback.
final class MQTTLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
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

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Wakes every waiter of `wait(seconds:until:)`.
    func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits up to `seconds`, or until `done()` (checked under the lock) holds after a
    /// `broadcast()`. Returns `done()`.
    @discardableResult
    func wait(seconds: Double, until done: () -> Bool) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let deadline = MonotonicClock.seconds() + max(0, seconds)
        while !done() {
            let now = MonotonicClock.seconds()
            if now >= deadline { break }
            #if os(Linux)
            var ts = MonotonicClock.deadlineSpec(at: deadline)
            #else
            var ts = MonotonicClock.wallTimespec(after: deadline - now)
            #endif
            pthread_cond_timedwait(condition, mutex, &ts)
        }
        return done()
    }
}

/// Seconds on the monotonic clock (immune to wall-clock steps, e.g. NTP at boot).
enum MonotonicClock {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func deadlineSpec(at seconds: Double) -> timespec {
        let whole = seconds.rounded(.down)
        var ts = timespec()
        ts.tv_sec = Int(whole)
        ts.tv_nsec = Int((seconds - whole) * 1e9)
        return ts
    }

    #if !os(Linux)
    static func wallTimespec(after seconds: Double) -> timespec {
        var now = timeval()
        gettimeofday(&now, nil)
        let t = Double(now.tv_sec) + Double(now.tv_usec) * 1e-6 + seconds
        let whole = t.rounded(.down)
        var ts = timespec()
        ts.tv_sec = Int(whole)
        ts.tv_nsec = Int((t - whole) * 1e9)
        return ts
    }
    #endif
}
