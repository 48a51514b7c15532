#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgePruneCore
import EdgePruneDaemon
import Hummingbird

/// POST /model: the body is streamed into a new file in the daemon's staging directory (never
/// held in memory), counted against `http.max_model_bytes` while it arrives, fsynced, and handed
/// to `DaemonControl.updateModel(stagedPath:)`, which verifies it, switches atomically and rolls
/// back on a failed health check.
///
/// The staged file is a `DurableFile` temporary (`.tmp-model-upload-<pid>-<random>`, mode 0600,
/// created with O_EXCL): if the daemon dies mid-upload, its start-up sweep of temporaries
/// removes the leftover. On every failure before the hand-over (over the limit, a write error,
/// the client going away) the file is removed here; after a hand-over that did not apply, a file
/// the daemon left in place is removed too.
struct ModelUpload: Sendable {
    let limit: RequestBodyLimit
    let control: any DaemonControl
    let work: BlockingWork

    /// One open staged file; methods run on the blocking queue.
    private final class StagedFile: @unchecked Sendable {
        let fd: Int32
        let path: String
        private var open = true

        init(directory: String) throws {
            (fd, path) = try DurableFile.createTemporary(in: directory, for: "model-upload", mode: 0o600)
        }

        func write(_ buffer: ByteBuffer) throws {
            try buffer.withUnsafeReadableBytes { raw in
                try FileIO.writeAll(fd, raw.baseAddress, raw.count, path: path)
            }
        }

        func finish() throws {
            try DurableFile.sync(fd, path)
            open = false
            guard close(fd) == 0 else {
                throw EdgePruneError(.io, "cannot close '\(path)': \(String(cString: strerror(errno)))")
            }
        }

        func discard() {
            if open { close(fd); open = false }
            unlink(path)
        }
    }

    func handle(_ request: Request) async throws(APIError) -> Response {
        try limit.checkDeclared(request)
        if RequestBodyLimit.declaredLength(of: request) == 0 {
            throw APIError(.badRequest, "model: the body is empty; send the model file (.epm or .onnx) as the body")
        }
        let directory = control.stagingDirectory()
        let file: StagedFile
        do {
            file = try await work.run { try StagedFile(directory: directory) }
        } catch {
            throw Self.storageError("cannot stage the upload in '\(directory)'", error)
        }
        var received = 0
        do {
            for try await buffer in request.body {
                received += buffer.readableBytes
                try limit.checkReceived(received)
                if buffer.readableBytes > 0 {
                    do {
                        try await work.run { try file.write(buffer) }
                    } catch {
                        throw Self.storageError("cannot write the upload to '\(file.path)'", error)
                    }
                }
            }
            if received == 0 {
                throw APIError(.badRequest, "model: the body is empty; send the model file (.epm or .onnx) as the body")
            }
            do {
                try await work.run { try file.finish() }
            } catch {
                throw Self.storageError("cannot fsync the upload '\(file.path)'", error)
            }
        } catch {
            await work.run { file.discard() }
            if let apiError = error as? APIError { throw apiError }
            throw APIError(.badRequest, "model: the body could not be read after \(received) bytes: \(error)")
        }

        let control = self.control
        let path = file.path
        let outcome = await work.run { control.updateModel(stagedPath: path) }
        if case .applied = outcome {} else {
            // The daemon owns the file now and normally moves or removes it; do not leave one.
            await work.run { _ = unlink(path) }
        }
        switch Responses.outcome(outcome) {
        case .success(let response): return response
        case .failure(let error): throw error
        }
    }

    private static func storageError(_ what: String, _ error: any Error) -> APIError {
        let text = (error as? EdgePruneError)?.message ?? "\(error)"
        let full = text.contains(String(cString: strerror(ENOSPC))) || text.contains(String(cString: strerror(EDQUOT)))
        return APIError(full ? APIError.insufficientStorage : .internalServerError, "model: \(what): \(text)")
    }
}
