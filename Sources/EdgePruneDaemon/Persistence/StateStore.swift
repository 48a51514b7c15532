#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import EdgePruneCore

/// One change to the persisted state; the fields left nil keep their current value. All the
/// fields of one update become visible together or not at all (a new model and its level, say).
public struct StateUpdate: Sendable {
    /// A new config document and its version.
    public var config: (bytes: [UInt8], version: UInt64)?
    /// A new model.
    public var model: ModelSource?
    public var level: Int?
    /// Replaces the whole counter set.
    public var counters: [String: UInt64]?

    public enum ModelSource: Sendable {
        case bytes([UInt8])
        /// Copied (streamed, not loaded whole) into the store.
        case file(String)
    }

    public init(config: (bytes: [UInt8], version: UInt64)? = nil, model: ModelSource? = nil,
                level: Int? = nil, counters: [String: UInt64]? = nil) {
        self.config = config
        self.model = model
        self.level = level
        self.counters = counters
    }
}

/// The daemon's state directory: current config, model, active level and counters, crash-safe.
///
/// Layout:
///
///     STATE_DIR/                (0700)
///       lock                    flock(2) held by the one process that has the store open
///       manifest.<generation>   the commit record: names the blobs by SHA-256, holds level and
///                               counters, ends with a checksum line (see StateManifest)
///       blobs/<sha256>          immutable content-addressed files (config documents, models), 0400
///       .tmp-*, blobs/.tmp-*    a writer's temporaries; leftovers of a crash, removed at open
///
/// A commit writes the new blobs (temporary, fsync, rename to their hash, fsync of blobs/), then
/// the manifest `manifest.<generation+1>` the same way; the rename of the manifest is the commit
/// point. Open picks the highest-numbered manifest whose checksum, canonical form and generation
/// check out and whose every blob exists with the recorded size and SHA-256; it falls back to the
/// one before it otherwise (a power cut on a file system that reordered writes, or disk
/// corruption: `OpenReport.skippedManifests` says which and why). So after kill -9 at any moment
/// the store reopens on the old or the new state, never a mixture, and never on a file whose
/// checksum does not match. The current and the previous manifest (and the blobs they name) are
/// kept; older manifests, unreferenced blobs and temporaries are removed after each commit and at
/// open.
///
/// Thread-safe: commits are serialised by an internal lock. Two processes cannot open one
/// directory at once (the second gets an error naming the directory).
public final class StateStore: @unchecked Sendable {
    /// What open found and cleaned up.
    public struct OpenReport: Equatable, Sendable {
        /// Temporaries of interrupted writes that were deleted.
        public var removedTemporaries = 0
        /// Manifests that were not used, each with the one-line reason (newest first).
        public var skippedManifests: [String] = []
        /// Old manifests and unreferenced blobs deleted by the clean-up.
        public var removedFiles = 0
    }

    public let directory: String
    /// What open found and cleaned up.
    public private(set) var openReport = OpenReport()
    private let blobDirectory: String
    private let mutex = Mutex()
    private var lockFD: Int32
    private var state: StateSnapshot
    /// The generation of the manifest kept as a fallback (0: none).
    private var previousGeneration: UInt64
    private var nextGeneration: UInt64

    /// Opens (creating if needed) the state directory `directory`.
    public init(directory: String) throws {
        self.directory = directory
        blobDirectory = directory + "/blobs"
        try DurableFile.ensureDirectory(directory)
        lockFD = try Self.lock(directory)
        do {
            try DurableFile.ensureDirectory(blobDirectory)
            var report = OpenReport()
            report.removedTemporaries = try DurableFile.removeTemporaries(in: directory)
                + DurableFile.removeTemporaries(in: blobDirectory)
            let generations = try DurableFile.list(directory).compactMap(StateManifest.generation(ofFileName:)).sorted(by: >)
            var chosen: StateSnapshot?
            for g in generations {
                do {
                    chosen = try Self.loadVerified(directory, generation: g)
                    break
                } catch let e as EdgePruneError {
                    report.skippedManifests.append(e.message)
                }
            }
            state = chosen ?? .empty
            previousGeneration = generations.first { $0 < (chosen?.generation ?? 0) } ?? 0
            nextGeneration = (generations.first ?? 0) + 1
            openReport = report
            openReport.removedFiles = collectGarbage()
        } catch {
            closeDescriptor(lockFD)
            throw error
        }
    }

    deinit { if lockFD >= 0 { closeDescriptor(lockFD) } }

    /// Releases the directory lock; the store must not be used afterwards.
    public func close() {
        mutex.locked {
            if lockFD >= 0 { closeDescriptor(lockFD); lockFD = -1 }
        }
    }

    /// The committed state.
    public var current: StateSnapshot { mutex.locked { state } }

    /// Path of a blob's file (for mapping a model without copying it). The file stays until two
    /// more commits have replaced it; an open mapping outlives its removal.
    public func path(of blob: StoredBlob) -> String { blobDirectory + "/" + blob.sha256 }

    /// The current model's file path, or nil when no model is stored.
    public var modelPath: String? { current.model.map(path(of:)) }

    /// Reads a blob and checks its size and SHA-256; a mismatch is an error, never data.
    public func read(_ blob: StoredBlob) throws -> [UInt8] {
        let p = path(of: blob)
        let bytes = try FileIO.read(p, maxBytes: blob.size)
        guard bytes.count == blob.size, DurableFile.hex(SHA256.hash(data: bytes)) == blob.sha256 else {
            throw EdgePruneError(.format, "state blob '\(p)' does not match its checksum; not used")
        }
        return bytes
    }

    /// The current config document, checked, or nil when none is stored.
    public func readConfig() throws -> [UInt8]? { try current.config.map(read) }

    /// Commits `update` durably and returns the new state. On any error the committed state is
    /// unchanged (on disk and in memory).
    @discardableResult
    public func commit(_ update: StateUpdate) throws -> StateSnapshot {
        try mutex.locked {
            guard lockFD >= 0 else { throw EdgePruneError(.io, "state store '\(directory)' is closed") }
            if let level = update.level, level < 0 {
                throw EdgePruneError(.input, "state level \(level) is negative")
            }
            let generation = nextGeneration
            nextGeneration += 1   // never reuse a number, even after a failed commit
            var next = state
            next.generation = generation
            if let c = update.config {
                next.config = try storeBlob(c.bytes)
                next.configVersion = c.version
            }
            switch update.model {
            case .bytes(let b)?: next.model = try storeBlob(b)
            case .file(let p)?: next.model = try storeBlob(copying: p)
            case nil: break
            }
            if let level = update.level { next.level = level }
            if let counters = update.counters { next.counters = counters }
            let path = directory + "/" + StateManifest.fileName(generation)
            do {
                try DurableFile.write(StateManifest.encode(next), to: path, mode: 0o600)
            } catch {
                // The rename may have happened before a failed directory fsync: take the
                // manifest back so a restart cannot come up on a commit reported as failed.
                if unlink(path) == 0 { try? DurableFile.syncDirectory(directory) }
                throw error
            }
            previousGeneration = state.generation
            state = next
            _ = collectGarbage()
            return next
        }
    }

    public func setConfig(_ bytes: [UInt8], version: UInt64) throws {
        try commit(StateUpdate(config: (bytes, version)))
    }

    public func setModel(_ source: StateUpdate.ModelSource, level: Int? = nil) throws {
        try commit(StateUpdate(model: source, level: level))
    }

    public func setLevel(_ level: Int) throws { try commit(StateUpdate(level: level)) }

    public func setCounters(_ counters: [String: UInt64]) throws { try commit(StateUpdate(counters: counters)) }

    // MARK: - Internals

    private static func lock(_ directory: String) throws -> Int32 {
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFile.ioError("cannot open '\(path)'") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let e = busy ? EdgePruneError(.io, "state directory '\(directory)' is in use by another process")
                         : DurableFile.ioError("cannot lock '\(path)'")
            closeDescriptor(fd)
            throw e
        }
        return fd
    }

    /// Loads manifest `generation` and checks every blob it names (size and SHA-256).
    private static func loadVerified(_ directory: String, generation: UInt64) throws -> StateSnapshot {
        let name = StateManifest.fileName(generation)
        let s = try StateManifest.decode(FileIO.read(directory + "/" + name, maxBytes: StateManifest.maxBytes), name: name)
        for blob in s.blobs {
            let p = directory + "/blobs/" + blob.sha256
            let (hex, size) = try DurableFile.sha256(ofFile: p)
            guard hex == blob.sha256, size == blob.size else {
                throw EdgePruneError(.format, "\(name): blob \(blob.sha256) does not match its checksum")
            }
        }
        return s
    }

    /// Stores bytes as a blob (reusing an intact existing copy).
    private func storeBlob(_ bytes: [UInt8]) throws -> StoredBlob {
        let blob = StoredBlob(sha256: DurableFile.hex(SHA256.hash(data: bytes)), size: bytes.count)
        if intact(blob) { return blob }
        try DurableFile.write(bytes, to: path(of: blob), mode: 0o400)
        return blob
    }

    /// Streams a file into a blob, hashing while copying.
    private func storeBlob(copying source: String) throws -> StoredBlob {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw DurableFile.ioError("cannot open '\(source)'") }
        defer { closeDescriptor(input) }
        var st = stat()
        guard fstat(input, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw EdgePruneError(.io, "'\(source)' is not a regular file")
        }
        let (fd, tmp) = try DurableFile.createTemporary(in: blobDirectory, for: "blob", mode: 0o400)
        var hasher = SHA256()
        var size = 0
        do {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { readDescriptor(input, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw DurableFile.ioError("cannot read '\(source)'") }
                if n == 0 { break }
                try buffer.withUnsafeBytes { raw in
                    let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                    hasher.update(bufferPointer: chunk)
                    try FileIO.writeAll(fd, chunk.baseAddress, n, path: tmp)
                }
                size += n
            }
            try DurableFile.sync(fd, tmp)
            guard closeDescriptor(fd) == 0 else { throw DurableFile.ioError("cannot close '\(tmp)'") }
        } catch {
            closeDescriptor(fd)
            unlink(tmp)
            throw error
        }
        let blob = StoredBlob(sha256: DurableFile.hex(hasher.finalize()), size: size)
        if intact(blob) {
            unlink(tmp)
            return blob
        }
        try DurableFile.commit(temporary: tmp, to: path(of: blob), directory: blobDirectory)
        return blob
    }

    private func intact(_ blob: StoredBlob) -> Bool {
        guard let (hex, size) = try? DurableFile.sha256(ofFile: path(of: blob)) else { return false }
        return hex == blob.sha256 && size == blob.size
    }

    /// Deletes manifests other than the current and the previous one, then blobs neither of them
    /// names. Manifests go first, so no kept manifest ever names a missing blob. Failures are
    /// ignored: garbage is harmless and is collected next time. Returns the number removed.
    private func collectGarbage() -> Int {
        var removed = 0
        let keep: Set<UInt64> = [state.generation, previousGeneration]
        var referenced = Set(state.blobs.map(\.sha256))
        if previousGeneration > 0 {
            let name = StateManifest.fileName(previousGeneration)
            if let bytes = try? FileIO.read(directory + "/" + name, maxBytes: StateManifest.maxBytes),
               let previous = try? StateManifest.decode(bytes, name: name) {
                referenced.formUnion(previous.blobs.map(\.sha256))
            }
        }
        if let names = try? DurableFile.list(directory) {
            for name in names {
                guard let g = StateManifest.generation(ofFileName: name), !keep.contains(g) else { continue }
                if unlink(directory + "/" + name) == 0 { removed += 1 }
            }
        }
        if removed > 0 { try? DurableFile.syncDirectory(directory) }
        var removedBlobs = 0
        if let names = try? DurableFile.list(blobDirectory) {
            for name in names where StateManifest.isBlobName(name) && !referenced.contains(name) {
                if unlink(blobDirectory + "/" + name) == 0 { removedBlobs += 1 }
            }
        }
        if removedBlobs > 0 { try? DurableFile.syncDirectory(blobDirectory) }
        return removed + removedBlobs
    }
}

@discardableResult private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }
private func readDescriptor(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// A pthread mutex (the module targets macOS 13, where Synchronization.Mutex is unavailable).
final class Mutex: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        m = .allocate(capacity: 1)
        m.initialize(to: pthread_mutex_t())
        pthread_mutex_init(m, nil)
    }

    deinit {
        pthread_mutex_destroy(m)
        m.deallocate()
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }
}
