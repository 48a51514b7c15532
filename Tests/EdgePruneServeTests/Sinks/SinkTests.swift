@testable import EdgePruneServe
import EdgePruneCore
import EdgePruneDevice
import Foundation
import XCTest

final class SinkTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "edgeprune-sinks-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func record(_ id: UInt64, cls: Int = 3) -> InferenceRecord {
        InferenceRecord(id: id, time: 1_700_000_000.25, window: id, level: 2, predicted: cls, confidence: 0.875, latencyMs: 0.0421)
    }

    func testRecordIsOneJSONObjectOnOneLine() throws {
        let line = record(7).jsonLine
        XCTAssertFalse(line.contains("\n"))
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(o["id"] as? Int, 7)
        XCTAssertEqual(o["class"] as? Int, 3)
        XCTAssertEqual(o["level"] as? Int, 2)
        XCTAssertEqual(o["confidence"] as? Double ?? 0, 0.875, accuracy: 1e-4)
        XCTAssertEqual(o["latency_ms"] as? Double ?? 0, 0.0421, accuracy: 1e-4)
        var nan = record(1)
        nan.latencyMs = .nan
        XCTAssertTrue(nan.jsonLine.contains("\"latency_ms\":null"), nan.jsonLine)
    }

    func testRotatingFileKeepsWholeLinesAndTheConfiguredNumberOfFiles() throws {
        let path = dir + "/out.jsonl"
        let sink = try RotatingFileSink(path: path, maxBytes: 1024, keep: 2)
        for i in 0..<100 { try sink.emit(record(UInt64(i))) }
        sink.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["out.jsonl", "out.jsonl.1", "out.jsonl.2"])
        var ids: [Int] = []
        for f in ["out.jsonl.2", "out.jsonl.1", "out.jsonl"] {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            XCTAssertLessThanOrEqual(text.utf8.count, 1024, f)
            XCTAssertTrue(text.hasSuffix("\n"), f)
            for line in text.split(separator: "\n") {
                let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "a split line in \(f)")
                ids.append(o["id"] as! Int)
            }
        }
        XCTAssertEqual(ids, Array((100 - ids.count)..<100), "the newest lines, in order, none lost inside the kept files")
        XCTAssertGreaterThan(sink.rotations, 2)
        XCTAssertThrowsError(try sink.emit(record(1)), "emit after close")
    }

    func testRotatingFileAppendsToAnExistingFileAndRefusesBadSettings() throws {
        let path = dir + "/a.jsonl"
        try "old\n".write(toFile: path, atomically: true, encoding: .utf8)
        let sink = try RotatingFileSink(path: path, maxBytes: 4096, keep: 1)
        try sink.emit(record(1))
        sink.close()
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("old\n{\"id\":1,"))
        XCTAssertThrowsError(try RotatingFileSink(path: path, maxBytes: 10, keep: 1))
        XCTAssertThrowsError(try RotatingFileSink(path: dir + "/no/such/dir/x.jsonl")) {
            XCTAssertTrue("\($0)".contains("cannot open"), "\($0)")
        }
    }

    func testGPIOSinkDrivesTheLineOnlyOnChanges() throws {
        let chip = FakeGPIOChip(name: "gpiochip0", lineCount: 8)
        let sink = try GPIOClassSink(chip: chip, line: 5, onClasses: [1, 2])
        for cls in [0, 1, 1, 2, 0, 0, 3, 1] { try sink.emit(record(1, cls: cls)) }
        XCTAssertEqual(sink.writes, 3, "0→1 (on), 2→0 (off), 3→1 (on)")
        XCTAssertEqual(chip.level(5), 1)
    }

    func testPublishSinkExpandsTheDeviceAndCountsRefusals() throws {
        var sent: [(String, [UInt8])] = []
        var accept = true
        let sink = try PublishSink(topic: "edgeprune/{device}/inference", device: "pi-07", every: 2) { topic, payload in
            sent.append((topic, payload))
            return accept
        }
        for i in 0..<6 { try sink.emit(record(UInt64(i))) }
        XCTAssertEqual(sent.count, 3)
        XCTAssertEqual(sent.first?.0, "edgeprune/pi-07/inference")
        accept = false
        try sink.emit(record(6))
        try sink.emit(record(7))
        XCTAssertEqual(sink.published, 3)
        XCTAssertEqual(sink.refused, 1)
        XCTAssertThrowsError(try PublishSink(topic: "a/+/b", device: "d") { _, _ in true })
        XCTAssertThrowsError(try PublishSink(topic: "a", device: "d", every: 0) { _, _ in true })
    }
}
