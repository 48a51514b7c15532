#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore

/// Seconds with three decimals, for log lines.
func format3(_ v: Double) -> String {
    let ms = Int((v * 1000).rounded())
    let frac = ms % 1000
    return "\(ms / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + "\(frac)"
}

/// A plain pthread running one closure, for the network loop.
final class NetworkThread: @unchecked Sendable {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    private var thread: pthread_t?

    init(_ body: @escaping @Sendable () -> Void) throws {
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        #if os(Linux)
        var tid = pthread_t()
        #else
        var tid: pthread_t?
        #endif
        let rc = pthread_create(&tid, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw EdgePruneError(.io, "cannot start the MQTT network thread: \(String(cString: strerror(rc)))")
        }
        #if os(Linux)
        thread = tid
        #else
        thread = tid!
        #endif
    }

    var isCurrent: Bool {
        guard let t = thread else { return false }
        return pthread_equal(t, pthread_self()) != 0
    }

    func join() {
        guard let t = thread else { return }
        thread = nil
        pthread_join(t, nil)
    }

    func detach() {
        guard let t = thread else { return }
        thread = nil
        pthread_detach(t)
    }
}
