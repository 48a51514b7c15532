import Hummingbird

/// Size limits on request bodies, enforced twice: against a declared `Content-Length` before a
/// byte is read, and by counting while reading (a chunked body declares nothing). An over-limit
/// body is answered 413 without being handed to the daemon; the server reads and discards the
/// rest of it before the connection can carry another request, so the response also says
/// `Connection: close`.
struct RequestBodyLimit: Sendable {
    /// The limit in bytes.
    let bytes: Int
    /// The config key that sets it, named in the error (e.g. `http.max_body_bytes`).
    let key: String
    /// What the body is, for error messages (e.g. `feedback`).
    let what: String

    /// The declared `Content-Length`, if any and well formed.
    static func declaredLength(of request: Request) -> Int? {
        guard let value = request.headers[.contentLength] else { return nil }
        return Int(value)
    }

    func tooLarge(_ message: String) -> APIError {
        APIError(.contentTooLarge, "\(what): \(message) (\(key))", headers: [.connection: "close"])
    }

    /// Throws 413 when the declared length is over the limit.
    func checkDeclared(_ request: Request) throws(APIError) {
        if let declared = Self.declaredLength(of: request), declared > bytes {
            throw tooLarge("the body is \(declared) bytes; the limit is \(bytes) bytes")
        }
    }

    /// Throws 413 once `count` bytes have been received and that is over the limit.
    func checkReceived(_ count: Int) throws(APIError) {
        if count > bytes { throw tooLarge("the body exceeds the limit of \(bytes) bytes") }
    }

    /// Reads the whole body into memory (for the small JSON and YAML bodies), enforcing the limit.
    func collect(_ request: Request) async throws(APIError) -> [UInt8] {
        try checkDeclared(request)
        var bytes: [UInt8] = []
        if let declared = Self.declaredLength(of: request) { bytes.reserveCapacity(declared) }
        do {
            for try await buffer in request.body {
                try checkReceived(bytes.count + buffer.readableBytes)
                bytes.append(contentsOf: buffer.readableBytesView)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "\(what): the body could not be read: \(error)")
        }
        return bytes
    }
}
