import EdgePruneDaemon
import Hummingbird

/// The handlers of the control API, one per route, over a `DaemonControl`.
struct ControlRoutes: Sendable {
    let control: any DaemonControl
    let bodyLimit: RequestBodyLimit
    let model: ModelUpload
    let work: BlockingWork
    /// Status reads wait on the inference thread (up to a second): off the cooperative pool, and
    /// on a queue of their own so they never wait behind a model upload.
    let reads = BlockingWork(label: "edgeprune.http.reads")

    init(control: any DaemonControl, settings: HTTPSettings, work: BlockingWork) {
        self.control = control
        self.work = work
        bodyLimit = RequestBodyLimit(bytes: settings.maxBodyBytes, key: "http.max_body_bytes", what: "body")
        model = ModelUpload(
            limit: RequestBodyLimit(bytes: settings.maxModelBytes, key: "http.max_model_bytes", what: "model"),
            control: control, work: work)
    }

    /// GET /healthz: 200 "ok", or 503 with the reason the daemon is not serving.
    func health() throws(APIError) -> Response {
        switch control.health() {
        case .ok: return Responses.text("ok\n")
        case .unhealthy(let reason): throw APIError(.serviceUnavailable, reason)
        }
    }

    /// GET /status: the daemon's status document.
    func status() async -> Response {
        let control = self.control
        return Responses.raw(await reads.run { control.statusJSON() }, type: Responses.jsonType)
    }

    /// GET /metrics: Prometheus text exposition format 0.0.4.
    func metrics() -> Response {
        Responses.text(control.metricsText(), type: Responses.prometheusType)
    }

    /// POST /feedback: labels for earlier inference ids; answers the FeedbackReport.
    func feedback(_ request: Request) async throws(APIError) -> Response {
        let limit = RequestBodyLimit(bytes: bodyLimit.bytes, key: bodyLimit.key, what: "feedback")
        let labels = try FeedbackBody.parse(try await limit.collect(request))
        let report = control.submitFeedback(labels)
        return Responses.json(.object([
            "accepted": .integer(UInt64(max(0, report.accepted))),
            "refused": .integer(UInt64(max(0, report.refused))),
        ]))
    }

    /// PUT /config: a YAML or JSON overlay, validated, applied and persisted by the daemon.
    func config(_ request: Request) async throws(APIError) -> Response {
        let limit = RequestBodyLimit(bytes: bodyLimit.bytes, key: bodyLimit.key, what: "config")
        let document = try await limit.collect(request)
        guard document.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else {
            throw APIError(.badRequest, "config: the body is empty; send a YAML or JSON mapping (budgets, controller, log)")
        }
        let control = self.control
        let outcome = await work.run { control.applyConfig(document, version: nil, origin: .http) }
        switch Responses.outcome(outcome) {
        case .success(let response): return response
        case .failure(let error): throw error
        }
    }

    /// POST /model: see ``ModelUpload``.
    func uploadModel(_ request: Request) async throws(APIError) -> Response {
        try await model.handle(request)
    }
}
