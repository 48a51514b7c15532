@testable import EdgePruneDaemon
import EdgePruneCore
import Foundation
import XCTest

final class StateStoreTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgeprune-state-\(getpid())-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        if let dir {
            _ = try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir + "/blobs")
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    private func files(_ sub: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir + sub).sorted()
    }

    private func manifests() throws -> [String] { try files().filter { $0.hasPrefix("manifest.") } }

    /// Overwrites a file in place (blobs are 0400).
    private func overwrite(_ path: String, _ bytes: [UInt8]) throws {
        chmod(path, 0o600)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func testNewStoreIsEmptyAndPrivate() throws {
        let store = try StateStore(directory: dir)
        XCTAssertEqual(store.current, .empty)
        XCTAssertNil(try store.readConfig())
        XCTAssertNil(store.modelPath)
        XCTAssertEqual(try files(), ["blobs", "lock"])
        let mode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700, "the state directory may hold secrets in configs")
    }

    func testCommitsSurviveReopenExactly() throws {
        let model = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        do {
            let store = try StateStore(directory: dir)
            try store.setConfig(Array("level: 1\n".utf8), version: 3)
            try store.setModel(.bytes(model), level: 2)
            let s = try store.commit(StateUpdate(counters: ["inferences": 10, "drops": 1]))
            XCTAssertEqual(s.generation, 3)
            XCTAssertEqual(s.configVersion, 3)
            XCTAssertEqual(s.level, 2)
            XCTAssertEqual(store.current, s)
            store.close()
        }
        let store = try StateStore(directory: dir)
        let s = store.current
        XCTAssertEqual(s.generation, 3)
        XCTAssertEqual(s.configVersion, 3)
        XCTAssertEqual(s.level, 2)
        XCTAssertEqual(s.counters, ["inferences": 10, "drops": 1])
        XCTAssertEqual(try store.readConfig(), Array("level: 1\n".utf8))
        XCTAssertEqual(try s.model.map(store.read), model)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store.modelPath!)), Data(model))
        XCTAssertEqual(store.openReport, StateStore.OpenReport())
    }

    func testModelImportedFromFileIsStreamedAndChecked() throws {
        let source = dir + "-model.onnx"
        defer { try? FileManager.default.removeItem(atPath: source) }
        let bytes = (0..<(1 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 8)) }
        try Data(bytes).write(to: URL(fileURLWithPath: source))
        let store = try StateStore(directory: dir)
        let s = try store.commit(StateUpdate(model: .file(source), level: 1))
        XCTAssertEqual(s.model?.size, bytes.count)
        XCTAssertEqual(try s.model.map(store.read), bytes)
        let blobMode = try FileManager.default.attributesOfItem(atPath: store.modelPath!)[.posixPermissions] as? Int
        XCTAssertEqual(blobMode, 0o400, "blobs are immutable")
    }

    func testSecondOpenerIsRefusedWhileTheFirstHoldsTheDirectory() throws {
        let first = try StateStore(directory: dir)
        XCTAssertThrowsError(try StateStore(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("in use by another process"), "\(error)")
        }
        first.close()
        XCTAssertNoThrow(try StateStore(directory: dir))
    }

    func testBadUpdatesChangeNothing() throws {
        let store = try StateStore(directory: dir)
        try store.setConfig(Array("a: 1\n".utf8), version: 1)
        let before = store.current
        let filesBefore = try files()
        XCTAssertThrowsError(try store.setLevel(-1))
        XCTAssertThrowsError(try store.setModel(.file(dir + "/no-such-model.onnx"), level: 3))
        XCTAssertThrowsError(try store.setModel(.file(dir)))   // a directory
        XCTAssertEqual(store.current, before)
        XCTAssertEqual(try files(), filesBefore)
        XCTAssertEqual(try files("/blobs").count, 1)
        store.close()
        XCTAssertEqual(try StateStore(directory: dir).current, before)
    }

    func testLeftoverTemporariesAreRemovedAtOpen() throws {
        try StateStore(directory: dir).setConfig(Array("x\n".utf8), version: 1)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/.tmp-manifest.00000000000000000002-1-2", contents: Data("{\"gar".utf8)))
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/blobs/.tmp-blob-1-2", contents: Data(repeating: 7, count: 99)))
        let store = try StateStore(directory: dir)
        XCTAssertEqual(store.openReport.removedTemporaries, 2)
        XCTAssertFalse(try files().contains { $0.hasPrefix(".tmp-") })
        XCTAssertFalse(try files("/blobs").contains { $0.hasPrefix(".tmp-") })
        XCTAssertEqual(store.current.configVersion, 1)
    }

    func testOnlyCurrentAndPreviousGenerationsAreKept() throws {
        let store = try StateStore(directory: dir)
        for i in 1...6 {
            try store.commit(StateUpdate(config: (Array("v\(i)\n".utf8), UInt64(i)), model: .bytes([UInt8](repeating: UInt8(i), count: 100))))
        }
        XCTAssertEqual(try manifests(), ["manifest.00000000000000000005", "manifest.00000000000000000006"])
        // Config and model of generations 5 and 6.
        XCTAssertEqual(try files("/blobs").count, 4)
        // An orphan blob (renamed into place by a commit that crashed before its manifest).
        let orphan = String(repeating: "ab", count: 32)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/blobs/" + orphan, contents: Data([1])))
        store.close()
        let reopened = try StateStore(directory: dir)
        XCTAssertEqual(reopened.openReport.removedFiles, 1)
        XCTAssertFalse(try files("/blobs").contains(orphan))
        XCTAssertEqual(reopened.current.configVersion, 6)
    }

    /// Builds generations 1 (config "old") and 2 (config "new") and returns the path of blob "new".
    private func twoGenerations() throws -> (newBlob: String, manifest2: String) {
        let store = try StateStore(directory: dir)
        try store.setConfig(Array("old\n".utf8), version: 1)
        let s = try store.commit(StateUpdate(config: (Array("new\n".utf8), 2), level: 4))
        store.close()
        return (store.path(of: s.config!), dir + "/manifest.00000000000000000002")
    }

    private func assertFellBackToGenerationOne(_ why: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try StateStore(directory: dir)
        let s = store.current
        XCTAssertEqual(s.generation, 1, file: file, line: line)
        XCTAssertEqual(s.configVersion, 1, file: file, line: line)
        XCTAssertEqual(s.level, 0, "all fields from generation 1, none from 2", file: file, line: line)
        XCTAssertEqual(try store.readConfig(), Array("old\n".utf8), file: file, line: line)
        XCTAssertEqual(store.openReport.skippedManifests.count, 1, file: file, line: line)
        XCTAssertTrue(store.openReport.skippedManifests.first?.contains(why) ?? false,
                      "\(store.openReport.skippedManifests)", file: file, line: line)
        // The next commit gets a new generation number and survives a reopen.
        XCTAssertEqual(try store.commit(StateUpdate(level: 1)).generation, 3, file: file, line: line)
        store.close()
        XCTAssertEqual(try StateStore(directory: dir).current.level, 1, file: file, line: line)
    }

    func testCorruptNewestManifestFallsBackToThePreviousState() throws {
        let (_, manifest2) = try twoGenerations()
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: manifest2)))
        bytes[bytes.count / 3] ^= 0x01
        try overwrite(manifest2, bytes)
        try assertFellBackToGenerationOne("checksum does not match")
    }

    func testTruncatedNewestManifestFallsBackToThePreviousState() throws {
        let (_, manifest2) = try twoGenerations()
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: manifest2)))
        try overwrite(manifest2, Array(bytes.prefix(40)))
        try assertFellBackToGenerationOne("no checksum line")
    }

    func testBlobWhoseChecksumDoesNotMatchIsNeverUsed() throws {
        let (newBlob, _) = try twoGenerations()
        try overwrite(newBlob, Array("NEW\n".utf8))   // same size, other content
        try assertFellBackToGenerationOne("does not match its checksum")
    }

    func testReadingABlobCorruptedAfterOpenFailsInsteadOfReturningData() throws {
        let store = try StateStore(directory: dir)
        let s = try store.commit(StateUpdate(config: (Array("abc\n".utf8), 1)))
        try overwrite(store.path(of: s.config!), Array("abd\n".utf8))
        XCTAssertThrowsError(try store.readConfig()) { XCTAssertTrue("\($0)".contains("does not match its checksum"), "\($0)") }
    }

    func testMissingBlobFallsBackToThePreviousState() throws {
        let (newBlob, _) = try twoGenerations()
        try FileManager.default.removeItem(atPath: newBlob)
        try assertFellBackToGenerationOne("cannot open")
    }

    func testManifestWithValidChecksumButNonCanonicalBodyIsRejected() throws {
        let (_, manifest2) = try twoGenerations()
        let text = try String(contentsOfFile: manifest2, encoding: .utf8)
        let body = String(text.prefix { $0 != "\n" }).replacingOccurrences(of: ",", with: ", ")
        let forged = body + "\nsha256 " + DurableFile.sha256Hex(Array(body.utf8)) + "\n"
        try overwrite(manifest2, Array(forged.utf8))
        try assertFellBackToGenerationOne("not canonical")
    }

    func testManifestFromAnotherGenerationIsRejected() throws {
        let (_, manifest2) = try twoGenerations()
        // A copy of generation 1's manifest under generation 2's name.
        try overwrite(manifest2, Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.00000000000000000001"))))
        try assertFellBackToGenerationOne("not the one in its name")
    }

    func testManifestEncodingIsCanonicalAndRoundTrips() throws {
        let s = StateSnapshot(generation: 9, config: StoredBlob(sha256: String(repeating: "0", count: 64), size: 3),
                              configVersion: .max, model: nil, level: 7, counters: ["b\"q": 2, "a": .max])
        let bytes = StateManifest.encode(s)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"config":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000","size":3},"configVersion":18446744073709551615,"counters":{"a":18446744073709551615,"b\"q":2},"format":1,"generation":9,"level":7}"#), text)
        XCTAssertEqual(try StateManifest.decode(bytes, name: StateManifest.fileName(9)), s)
    }
}
