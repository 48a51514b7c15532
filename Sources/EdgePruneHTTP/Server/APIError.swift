import EdgePruneDaemon
import Hummingbird

/// A request that ends in an error status. Every error body is the JSON object
/// `{"error": "<one line>"}` (plus `"status"` for a config or model update that failed).
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]
    /// For update outcomes: "rejected", "rolled_back" or "failed".
    var outcome: String?

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:], outcome: String? = nil) {
        self.status = status
        // Keep errors on one line whatever the source text held.
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.headers = headers
        self.outcome = outcome
    }

    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    var response: Response {
        var members: [String: CanonicalJSON] = ["error": .string(message)]
        if let outcome { members["status"] = .string(outcome) }
        var response = Responses.json(CanonicalJSON.object(members), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// Builders for the bodies this API sends.
enum Responses {
    static let jsonType = "application/json"
    static let prometheusType = "text/plain; version=0.0.4; charset=utf-8"

    static func json(_ value: CanonicalJSON, status: HTTPResponse.Status = .ok) -> Response {
        var bytes = value.bytes
        bytes.append(UInt8(ascii: "\n"))
        return raw(bytes, type: jsonType, status: status)
    }

    static func raw(_ bytes: [UInt8], type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status,
                 headers: [.contentType: type, .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ string: String, type: String = "text/plain; charset=utf-8",
                     status: HTTPResponse.Status = .ok) -> Response {
        raw(Array(string.utf8), type: type, status: status)
    }

    /// The HTTP answer to a config or model update's outcome: 200 applied, 400 rejected,
    /// 422 rolled back, 500 failed.
    static func outcome(_ outcome: ControlOutcome) -> Result<Response, APIError> {
        switch outcome {
        case .applied(let detail):
            return .success(json(.object(["status": .string("applied"), "detail": .string(detail)])))
        case .rejected(let message):
            return .failure(APIError(.badRequest, message, outcome: "rejected"))
        case .rolledBack(let message):
            return .failure(APIError(.unprocessableContent, message, outcome: "rolled_back"))
        case .failed(let message):
            return .failure(APIError(.internalServerError, message, outcome: "failed"))
        }
    }
}
