#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// A plain thread running one closure, joined by `join()`. For benchmarks that need a real
/// second thread (an inference loop) without Foundation.
final class JoinableThread: @unchecked Sendable {
    private final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    private var thread: pthread_t?

    init(_ body: @escaping @Sendable () -> Void) throws {
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw EdgePruneError(.io, "cannot start a thread: \(String(cString: strerror(rc)))")
        }
        thread = tid
    }

    func join() {
        guard let t = thread else { return }
        thread = nil
        pthread_join(t, nil)
    }

    deinit { join() }
}

/// A flag and counters shared between a benchmark's threads (under a lock: TSan-clean).
final class SharedFlag: @unchecked Sendable {
    private let lock = SwitchLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
