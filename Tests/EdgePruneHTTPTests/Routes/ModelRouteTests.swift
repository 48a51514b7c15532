import DaemonTestSupport
import EdgePruneDaemon
import EdgePruneHTTP
import XCTest

final class ModelRouteTests: ServerTestCase {
    func testUploadStreamsTheExactBytesToAPrivateFileInTheStagingDirectory() async throws {
        try await startServer(maxModelBytes: 1 << 20)
        fake.modelOutcome = .applied("model sha256 0f1e")
        for (i, framing) in [TestHTTPClient.Framing.contentLength, .chunked(4093)].enumerated() {
            let model = Self.bytes(300_000 + i, seed: UInt64(7 + i))
            let reply = try await client.send("POST", "/model", headers: auth, body: model, framing: framing)
            XCTAssertEqual(reply.status, 200, reply.text)
            XCTAssertEqual(reply.json?["status"] as? String, "applied")
            XCTAssertEqual(reply.json?["detail"] as? String, "model sha256 0f1e")
            let call = try XCTUnwrap(fake.modelCalls.last)
            XCTAssertEqual(call.bytes.count, model.count)
            XCTAssertTrue(call.bytes == model, "the staged file differs from the upload")
            XCTAssertEqual((call.path as NSString).deletingLastPathComponent, staging)
            XCTAssertEqual(call.mode, 0o600)
        }
        XCTAssertEqual(fake.modelCalls.count, 2)
        XCTAssertEqual(try stagedFiles(), [])
    }

    func testAnUploadOverTheLimitIs413AndLeavesNoFile() async throws {
        try await startServer(maxModelBytes: 100_000)
        let model = Self.bytes(250_000, seed: 3)
        let chunked = try await client.send("POST", "/model", headers: auth, body: model, framing: .chunked(8192))
        XCTAssertEqual(chunked.status, 413)
        XCTAssertEqual(chunked.errorMessage?.contains("http.max_model_bytes"), true, chunked.text)
        XCTAssertEqual(try stagedFiles(), [])

        let declared = try await client.send("POST", "/model", headers: auth, framing: .declaredOnly(100_001))
        XCTAssertEqual(declared.status, 413)
        XCTAssertEqual(declared.errorMessage?.contains("100001 bytes"), true, declared.text)
        XCTAssertEqual(try stagedFiles(), [])
        XCTAssertEqual(fake.modelCalls.count, 0)

        // At the limit exactly, it goes through.
        let exact = try await client.send("POST", "/model", headers: auth, body: Array(model[..<100_000]), framing: .chunked(8192))
        XCTAssertEqual(exact.status, 200, exact.text)
        XCTAssertEqual(fake.modelCalls.count, 1)
    }

    func testOutcomesMapToStatusesAndAFileTheDaemonLeftIsRemoved() async throws {
        try await startServer()
        fake.leaveStagedFile = true
        let cases: [(outcome: ControlOutcome, status: Int, name: String, message: String)] = [
            (.rejected("model: tensor 'conv1.weight' has shape [8, 3] but the graph needs [8, 4]"), 400, "rejected",
             "model: tensor 'conv1.weight' has shape [8, 3] but the graph needs [8, 4]"),
            (.rolledBack("health check failed: output NaN at level 0; the previous model is back"), 422, "rolled_back",
             "health check failed: output NaN at level 0; the previous model is back"),
            (.failed("cannot rename the model into place: Read-only file system"), 500, "failed",
             "cannot rename the model into place: Read-only file system"),
        ]
        for c in cases {
            fake.modelOutcome = c.outcome
            let reply = try await client.send("POST", "/model", headers: auth, body: Self.bytes(5000, seed: 9))
            XCTAssertEqual(reply.status, c.status, reply.text)
            XCTAssertEqual(reply.json?["status"] as? String, c.name)
            XCTAssertEqual(reply.errorMessage, c.message)
        }
        XCTAssertEqual(fake.modelCalls.count, 3)
        XCTAssertEqual(try stagedFiles(), [], "a staged file the daemon did not take was left behind")
    }

    func testAnEmptyUploadIs400() async throws {
        try await startServer()
        let declared = try await client.send("POST", "/model", headers: auth, body: [], framing: .contentLength)
        XCTAssertEqual(declared.status, 400)
        XCTAssertEqual(declared.errorMessage?.hasPrefix("model: the body is empty"), true, declared.text)
        let chunked = try await client.send("POST", "/model", headers: auth, body: [], framing: .chunked(10))
        XCTAssertEqual(chunked.status, 400)
        XCTAssertEqual(fake.modelCalls.count, 0)
        XCTAssertEqual(try stagedFiles(), [])
    }
}
