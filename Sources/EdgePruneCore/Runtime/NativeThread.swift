#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain pthread running one closure: how the project starts its own long-lived threads (the
/// MQTT network loop, the shadow runner, the prepare worker, benchmark and load threads, the
/// large-stack YAML reader). No Foundation, no dispatch: the thread exists from `init` until the
/// closure returns. Join it with `join()` or let it go with `detach()`; one of the two, once.
public final class NativeThread: @unchecked Sendable {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    private var thread: pthread_t?

    /// Starts `body` on a new thread. `what` names the thread in the error when it cannot start;
    /// `stackBytes` sets its stack size (the platform default otherwise).
    public init(_ what: String, stackBytes: Int? = nil, _ body: @escaping @Sendable () -> Void) throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackBytes { pthread_attr_setstacksize(&attributes, stackBytes) }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        #if os(Linux)
        var tid = pthread_t()
        #else
        var tid: pthread_t?
        #endif
        let rc = pthread_create(&tid, &attributes, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw EdgePruneError(.io, "cannot start \(what): \(String(cString: strerror(rc)))")
        }
        #if os(Linux)
        thread = tid
        #else
        thread = tid!
        #endif
    }

    /// Whether the caller runs on this thread.
    public var isCurrent: Bool {
        guard let t = thread else { return false }
        return pthread_equal(t, pthread_self()) != 0
    }

    /// Waits for the closure to return (nothing after a join or detach).
    public func join() {
        guard let t = thread else { return }
        thread = nil
        pthread_join(t, nil)
    }

    /// Lets the thread finish on its own (nothing after a join or detach).
    public func detach() {
        guard let t = thread else { return }
        thread = nil
        pthread_detach(t)
    }
}
