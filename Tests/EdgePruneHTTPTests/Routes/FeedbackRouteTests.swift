import DaemonTestSupport
import EdgePruneDaemon
import EdgePruneHTTP
import XCTest

final class FeedbackRouteTests: ServerTestCase {
    func testOneLabelAndABatchReachTheDaemonAndTheReportComesBack() async throws {
        try await startServer()
        fake.feedbackReport = FeedbackReport(accepted: 1, refused: 0)
        let one = try await client.send("POST", "/feedback", headers: auth, body: Array(#"{"id": 42, "label": 3}"#.utf8))
        XCTAssertEqual(one.status, 200, one.text)
        XCTAssertEqual(one.json?["accepted"] as? Int, 1)
        XCTAssertEqual(one.json?["refused"] as? Int, 0)

        fake.feedbackReport = FeedbackReport(accepted: 2, refused: 1)
        let batch = #"{"labels": [{"id": 1, "label": 0}, {"label": 5, "id": 18446744073709551615}, {"id": 7, "label": -1}]}"#
        let many = try await client.send("POST", "/feedback", headers: auth, body: Array(batch.utf8), framing: .chunked(7))
        XCTAssertEqual(many.status, 200, many.text)
        XCTAssertEqual(many.json?["accepted"] as? Int, 2)
        XCTAssertEqual(many.json?["refused"] as? Int, 1)

        XCTAssertEqual(fake.feedbackCalls, [
            [FeedbackLabel(id: 42, label: 3)],
            [FeedbackLabel(id: 1, label: 0), FeedbackLabel(id: UInt64.max, label: 5), FeedbackLabel(id: 7, label: -1)],
        ])
    }

    func testMalformedBodiesAre400NamingTheProblemAndTheDaemonIsNotCalled() async throws {
        try await startServer()
        let cases: [(body: String, expected: String)] = [
            (#"{"id": 1, "label": 2"#, "not valid JSON (unexpected end of the body, expected ',' or '}' at line 1, column 21)"),
            (#"{"id": 1, "label": 2}}"#, "unexpected '}' after the JSON value"),
            ("", "the body is empty"),
            ("[1, 2]", #"the body is an array, not an object; expected {"id": N, "label": K}"#),
            (#"{"id": "seven", "label": 2}"#, "id must be a non-negative integer"),
            (#"{"id": -1, "label": 2}"#, "id must be a non-negative integer (an inference id), not -1"),
            (#"{"id": 1.5, "label": 2}"#, "id must be a non-negative integer (an inference id), not 1.5"),
            (#"{"id": 18446744073709551616, "label": 2}"#, "not 18446744073709551616"),
            (#"{"id": 1, "label": 2.5}"#, "label must be an integer (a class index), not 2.5"),
            (#"{"id": 1}"#, "label is missing"),
            (#"{"id": 1, "label": 2, "lable": 3}"#, "unknown key 'lable'"),
            (#"{"labels": [{"id": 1, "label": 0}, {"id": 2}]}"#, "labels[1].label is missing"),
            (#"{"labels": [{"id": 1, "label": "cat"}]}"#, "labels[0].label must be an integer (a class index), not a string"),
            (#"{"labels": [{"id": 1, "label": 0}, 7]}"#, "labels[1] must be an object"),
            (#"{"labels": [{"id": 1, "label": 0, "x": 1}]}"#, "unknown key 'x' in labels[0]"),
            (#"{"labels": {"id": 1}}"#, "labels must be an array"),
            (#"{"labels": [], "id": 1}"#, "unknown key 'id'"),
            (#"{"label": 2, "ids": 1}"#, "unknown key 'ids'"),
            ("{}", "the object is empty"),
        ]
        for c in cases {
            let reply = try await client.send("POST", "/feedback", headers: auth, body: Array(c.body.utf8))
            XCTAssertEqual(reply.status, 400, c.body)
            let message = reply.errorMessage ?? ""
            XCTAssertTrue(message.hasPrefix("feedback: "), "\(c.body): \(message)")
            XCTAssertTrue(message.contains(c.expected), "\(c.body): '\(message)' lacks '\(c.expected)'")
            XCTAssertFalse(message.contains("\n"))
        }
        XCTAssertEqual(fake.feedbackCalls.count, 0)
    }
}
