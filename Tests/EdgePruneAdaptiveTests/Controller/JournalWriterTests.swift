import XCTest
import Foundation
import EdgePruneCore
@testable import EdgePruneAdaptive

final class JournalWriterTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "ep-journal-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    static func decision(_ k: Int) -> SwitchDecision {
        SwitchDecision(time: Double(k) * 0.5, from: k % 3, to: k % 3 + 1, reason: "tighten: p95 \(k) ms > budget \"10\" ms\nsecond line",
                       measured: ["p95": Double(k) * 1e-3, "accuracyUpper": 0.875])
    }

    func testAppendsOneJSONLinePerDecisionAndReadsBack() throws {
        let path = dir + "/journal.jsonl"
        do {
            let w = try JournalWriter(path: path)
            for k in 0..<3 { try w.append(Self.decision(k)) }
        }
        // Reopening appends; nothing is truncated.
        let w = try JournalWriter(path: path)
        for k in 3..<5 { try w.append(Self.decision(k)) }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 6, "five lines and the final newline")
        XCTAssertEqual(lines.last, "")
        XCTAssertTrue(lines[0].hasPrefix(#"{"from":0,"#), String(lines[0]))  // keys sorted
        let (read, skipped) = try JournalWriter.read(path: path)
        XCTAssertEqual(read, (0..<5).map(Self.decision))
        XCTAssertEqual(skipped, 0)
    }

    func testATornLineIsSkippedOnRead() throws {
        let path = dir + "/torn.jsonl"
        let w = try JournalWriter(path: path)
        try w.append(Self.decision(1))
        let fd = open(path, O_WRONLY | O_APPEND)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = "{\"from\":1,\"measu".withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let (read, skipped) = try JournalWriter.read(path: path)
        XCTAssertEqual(read, [Self.decision(1)])
        XCTAssertEqual(skipped, 1)
    }

    func testConcurrentWritersNeverInterleaveLines() throws {
        let path = dir + "/shared.jsonl"
        let writers = try (0..<4).map { _ in try JournalWriter(path: path) }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for k in 0..<250 { try? writers[t].append(Self.decision(t * 1000 + k)) }
        }
        let (read, skipped) = try JournalWriter.read(path: path)
        XCTAssertEqual(skipped, 0)
        XCTAssertEqual(read.count, 1000)
        XCTAssertEqual(Set(read.map(\.time)).count, 1000)
    }

    func testUnopenablePathsAreClearErrors() throws {
        ctrlAssertThrows("cannot open journal '\(dir)/missing/j.jsonl'") { _ = try JournalWriter(path: dir + "/missing/j.jsonl") }
        ctrlAssertThrows("is not a regular file") { _ = try JournalWriter(path: "/dev/null") }
    }
}
