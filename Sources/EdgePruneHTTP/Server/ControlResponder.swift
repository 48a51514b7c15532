import Hummingbird
import Logging

/// Routing, authentication and request logging of the control API.
///
/// Order of checks: /healthz is open; every other path first needs the bearer token (so an
/// unauthenticated client learns nothing, not even which paths exist: 401), then a known path
/// (404) and method (405 with `Allow`), then the route's own limits and parsing.
/// A plain responder rather than Hummingbird's `Router`, because the router answers a wrong
/// method with 404 and its errors are not the JSON bodies this API promises.
struct ControlResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    enum Route: Sendable { case healthz, status, metrics, feedback, config, model }

    /// Path → (method, route). One method per path.
    static let table: [String: (method: HTTPRequest.Method, route: Route)] = [
        "/healthz": (.get, .healthz),
        "/status": (.get, .status),
        "/metrics": (.get, .metrics),
        "/feedback": (.post, .feedback),
        "/config": (.put, .config),
        "/model": (.post, .model),
    ]

    let routes: ControlRoutes
    let token: BearerToken
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        var failure: String?
        do {
            response = try await dispatch(request)
        } catch {
            response = error.response
            failure = error.message
        }
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)",
            "path": "\(request.uri.path)",
            "status": "\(response.status.code)",
            "duration_ms": "\((ms * 1000).rounded() / 1000)",
        ]
        if let failure {
            metadata["error"] = "\(failure)"
            logger.warning("control API request failed", metadata: metadata)
        } else {
            logger.debug("control API request", metadata: metadata)
        }
        return response
    }

    private func dispatch(_ request: Request) async throws(APIError) -> Response {
        let path = request.uri.path
        let entry = Self.table[path]
        if entry?.route != .healthz { try authenticate(request) }
        guard let entry else { throw APIError(.notFound, "no route \(path); see docs/http-api.md") }
        guard request.method == entry.method else {
            throw APIError(.methodNotAllowed, "\(path) accepts \(entry.method.rawValue), not \(request.method.rawValue)",
                           headers: [.allow: entry.method.rawValue])
        }
        switch entry.route {
        case .healthz: return try routes.health()
        case .status: return await routes.status()
        case .metrics: return routes.metrics()
        case .feedback: return try await routes.feedback(request)
        case .config: return try await routes.config(request)
        case .model: return try await routes.uploadModel(request)
        }
    }

    /// Checks `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235) against the
    /// token in constant time.
    private func authenticate(_ request: Request) throws(APIError) {
        let values = request.headers[values: .authorization]
        guard values.count == 1 else {
            throw APIError(.unauthorized,
                           values.isEmpty ? "missing bearer token: send the header Authorization: Bearer <token>"
                                          : "more than one Authorization header",
                           headers: [.wwwAuthenticate: #"Bearer realm="edgeprune""#])
        }
        guard let presented = Self.bearerCredential(values[0]), token.matches(presented) else {
            throw APIError(.unauthorized, "invalid bearer token",
                           headers: [.wwwAuthenticate: #"Bearer realm="edgeprune", error="invalid_token""#])
        }
    }

    /// The credential of a `Bearer` authorization value, or nil for another scheme.
    static func bearerCredential(_ value: String) -> [UInt8]? {
        let bytes = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count,
              zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }),
              bytes[scheme.count] == UInt8(ascii: " ")
        else { return nil }
        var start = scheme.count
        while start < bytes.count && bytes[start] == UInt8(ascii: " ") { start += 1 }
        var end = bytes.count
        while end > start && bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return Array(bytes[start..<end])
    }
}
