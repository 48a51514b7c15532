#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// What the queue does with a new item when it is full.
public enum BackpressurePolicy: String, Sendable, CaseIterable {
    /// Evict the oldest queued item and accept the new one (the default: inference always sees
    /// the freshest data, and a slow model never makes the source fall behind).
    case dropOldest = "drop-oldest"
    /// Refuse the new item, keeping what is queued.
    case dropNewest = "drop-newest"
    /// Make the producer wait for room (up to the queue's block timeout, then drop the new item).
    case block
}

/// What became of one `push`.
public enum PushOutcome: Equatable, Sendable {
    case accepted
    /// Accepted after evicting the oldest item (drop-oldest).
    case acceptedDroppingOldest
    /// Not queued: the queue was full (drop-newest, or block after its timeout).
    case dropped
    /// Not queued: the queue is closed.
    case closed
}

/// Counters of a queue; every item pushed is accounted for:
/// pushed = popped + depth + droppedOldest + droppedNewest + droppedBlocked + droppedClosed.
public struct QueueStats: Equatable, Sendable {
    public var capacity: Int
    public var depth: Int
    public var pushed: UInt64 = 0
    public var popped: UInt64 = 0
    /// Evicted by drop-oldest.
    public var droppedOldest: UInt64 = 0
    /// Refused by drop-newest.
    public var droppedNewest: UInt64 = 0
    /// Refused by block after waiting its timeout.
    public var droppedBlocked: UInt64 = 0
    /// Pushed after close, or still queued when the queue was drained by `close(discarding:)`.
    public var droppedClosed: UInt64 = 0

    public var dropped: UInt64 { droppedOldest + droppedNewest + droppedBlocked + droppedClosed }
}

/// A bounded FIFO between a source thread and the inference thread, with a backpressure
/// policy for when it is full. Thread-safe (a mutex and two condition variables on the
/// monotonic clock); any number of producers and consumers.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    public let capacity: Int
    public let policy: BackpressurePolicy
    /// How long `push` waits for room under `.block` (nil: until room or close).
    public let blockTimeout: Double?

    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var isClosed = false
    private var stats_: QueueStats
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(capacity: Int, policy: BackpressurePolicy = .dropOldest, blockTimeout: Double? = nil) throws {
        guard capacity >= 1 else { throw EdgePruneError(.input, "queue capacity must be at least 1, got \(capacity)") }
        guard capacity <= 1 << 20 else { throw EdgePruneError(.limit, "queue capacity \(capacity) is over the limit of \(1 << 20)") }
        if let t = blockTimeout, !(t.isFinite && t >= 0) {
            throw EdgePruneError(.input, "queue block timeout must be a non-negative number of seconds, got \(t)")
        }
        self.capacity = capacity
        self.policy = policy
        self.blockTimeout = blockTimeout
        items = [Element?](repeating: nil, count: capacity)
        stats_ = QueueStats(capacity: capacity, depth: 0)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(notEmpty, &attr)
        pthread_cond_init(notFull, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(notEmpty)
        pthread_cond_destroy(notFull)
        pthread_mutex_destroy(mutex)
        notEmpty.deallocate()
        notFull.deallocate()
        mutex.deallocate()
    }

    /// Queues `item` under the policy; every refusal and eviction is counted.
    @discardableResult
    public func push(_ item: Element) -> PushOutcome {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        stats_.pushed += 1
        if isClosed { stats_.droppedClosed += 1; return .closed }
        var outcome = PushOutcome.accepted
        if count == capacity {
            switch policy {
            case .dropOldest:
                items[head] = nil
                head = (head + 1) % capacity
                count -= 1
                stats_.droppedOldest += 1
                outcome = .acceptedDroppingOldest
            case .dropNewest:
                stats_.droppedNewest += 1
                return .dropped
            case .block:
                let deadline = blockTimeout.map { DeviceClock.monotonicSeconds() + $0 }
                while count == capacity && !isClosed {
                    if let deadline {
                        if DeviceClock.monotonicSeconds() >= deadline { break }
                        wait(notFull, until: deadline)
                    } else {
                        pthread_cond_wait(notFull, mutex)
                    }
                }
                if isClosed { stats_.droppedClosed += 1; return .closed }
                if count == capacity { stats_.droppedBlocked += 1; return .dropped }
            }
        }
        items[(head + count) % capacity] = item
        count += 1
        pthread_cond_signal(notEmpty)
        return outcome
    }

    /// The oldest item, waiting up to `timeout` seconds (nil: until an item or close). Returns
    /// nil on timeout, or when the queue is closed and empty.
    public func pop(timeout: Double? = nil) -> Element? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let deadline = timeout.map { DeviceClock.monotonicSeconds() + max(0, $0) }
        while count == 0 && !isClosed {
            if let deadline {
                if DeviceClock.monotonicSeconds() >= deadline { return nil }
                wait(notEmpty, until: deadline)
            } else {
                pthread_cond_wait(notEmpty, mutex)
            }
        }
        guard count > 0 else { return nil }
        let item = items[head]
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        stats_.popped += 1
        pthread_cond_signal(notFull)
        return item
    }

    /// Closes the queue: pushes are refused from now on and waiting producers and consumers
    /// wake up. Queued items can still be popped, unless `discarding` (then they count as dropped).
    public func close(discarding: Bool = false) {
        pthread_mutex_lock(mutex)
        isClosed = true
        if discarding {
            stats_.droppedClosed += UInt64(count)
            for i in 0..<capacity { items[i] = nil }
            count = 0
        }
        pthread_cond_broadcast(notEmpty)
        pthread_cond_broadcast(notFull)
        pthread_mutex_unlock(mutex)
    }

    /// Closed with nothing left to pop: a consumer can end.
    public var isClosedAndEmpty: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return isClosed && count == 0
    }

    public var stats: QueueStats {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var s = stats_
        s.depth = count
        return s
    }

    private func wait(_ cond: UnsafeMutablePointer<pthread_cond_t>, until deadline: Double) {
        var ts = timespec()
        let whole = deadline.rounded(.down)
        ts.tv_sec = Int(whole)
        ts.tv_nsec = Int((deadline - whole) * 1e9)
        pthread_cond_timedwait(cond, mutex, &ts)
    }
}
