import Dispatch

/// Runs blocking work (file writes, fsync, the daemon's config and model updates, which persist
/// state) on one serial dispatch queue instead of Swift concurrency's cooperative pool, whose
/// few threads (one per core: two on a Pi Zero 2 W's budget) must stay free for the event loop
/// hand-offs. Being serial, it also orders updates: two PUT /config requests apply one after the
/// other, in arrival order at the queue.
final class BlockingWork: Sendable {
    private let queue: DispatchQueue

    init(label: String = "edgeprune.http.blocking") {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
