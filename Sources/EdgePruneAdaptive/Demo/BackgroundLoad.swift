#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import EdgePruneCore

/// A real background load for the demo: busy threads that stream over their own buffers
/// (read, multiply-add, write), competing with the inference thread for cores, caches and memory
/// bandwidth the way another process on a small board does. `start` and `stop` may be called
/// repeatedly; `stop` joins the threads.
public final class BackgroundLoad: @unchecked Sendable {
    public let threads: Int
    /// Floats each thread streams over (16 MiB each by default: more than a Pi's L2 and this
    /// machine's L2 share).
    public let bufferFloats: Int
    private let running = ManagedAtomic<Bool>(false)
    private var busy: [NativeThread] = []
    /// Whole passes over the buffers completed by the busy threads since creation.
    public var passes: Int { passCounter.load(ordering: .relaxed) }
    private let passCounter = ManagedAtomic<Int>(0)

    public init(threads: Int, bufferFloats: Int = 4 << 20) throws {
        guard threads >= 0 else { throw EdgePruneError(.input, "background load: thread count must be >= 0, got \(threads)") }
        guard bufferFloats >= 1024 else { throw EdgePruneError(.input, "background load: buffer must hold at least 1024 floats") }
        self.threads = threads
        self.bufferFloats = bufferFloats
    }

    deinit { stop() }

    public var isRunning: Bool { running.load(ordering: .relaxed) }

    /// Starts the busy threads (nothing when already running).
    public func start() throws {
        guard !isRunning, threads > 0 else { return }
        running.store(true, ordering: .relaxed)
        for _ in 0..<threads {
            do {
                busy.append(try NativeThread("a background load thread") { [self] in spin() })
            } catch {
                stop()
                throw error
            }
        }
    }

    /// Stops and joins the busy threads.
    public func stop() {
        running.store(false, ordering: .relaxed)
        for t in busy { t.join() }
        busy.removeAll()
    }

    private func spin() {
        let n = bufferFloats
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: n)
        while running.load(ordering: .relaxed) {
            // One pass in 64 KiB chunks, checking the flag between chunks so stop is prompt.
            var i = 0
            while i < n, running.load(ordering: .relaxed) {
                let end = min(i + 16_384, n)
                while i < end {
                    buffer[i] = buffer[i] * 0.999_9 + 0.000_1
                    i += 1
                }
            }
            if i == n { passCounter.wrappingIncrement(ordering: .relaxed) }
        }
    }
}
