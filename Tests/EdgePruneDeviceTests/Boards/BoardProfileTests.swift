import Foundation
import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class BoardProfileTests: XCTestCase {
    private let names = ["pi4", "pi5", "zero2w", "x86_64-generic"]

    func testBoardFilesMatchTheBuiltInProfiles() throws {
        for name in names {
            let loaded = try BoardProfile.load(path: repoPath("boards/\(name).json"))
            XCTAssertEqual(loaded, BoardProfile.builtIn(named: name), "boards/\(name).json differs from the built-in profile")
        }
        XCTAssertEqual(BoardProfile.builtIn.map(\.name), names)
    }

    func testBuiltInProfilesAreValidAndCiteSources() throws {
        for p in BoardProfile.builtIn {
            try p.validate()
            // Measured boards cite where; the generic x86 profile says it is a placeholder.
            XCTAssertTrue(p.source.contains("http") || p.source.contains("placeholder"), "\(p.name): source cites nothing")
            if p.name.hasPrefix("pi") || p.name.hasPrefix("zero") { XCTAssertTrue(p.source.contains("http"), p.name) }
            XCTAssertTrue(p.estimateNotes.contains("Order-of-magnitude"), "\(p.name): per-MAC/byte not marked as estimates")
            XCTAssertGreaterThan(p.idleWatts, 0)
        }
        // The boards' relative order is what the published measurements say.
        let w = Dictionary(uniqueKeysWithValues: BoardProfile.builtIn.map { ($0.name, $0.idleWatts + 4 * $0.activeWattsPerCore) })
        XCTAssertLessThan(w["zero2w"]!, w["pi4"]!)
        XCTAssertLessThan(w["pi4"]!, w["pi5"]!)
    }

    private func json(_ fields: [String: Any]) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), encoding: .utf8)!
    }

    private var valid: [String: Any] {
        ["name": "b", "model": "Board", "cores": 4, "idle_watts": 1.0, "active_watts_per_core": 0.5,
         "joules_per_mac": 1e-12, "joules_per_byte": 1e-10, "source": "a measurement", "estimate_notes": "guess"]
    }

    func testLoadingErrorsNameTheFileAndField() {
        let tree = FakeTree()
        let good = tree.write("good.json", json(valid))
        XCTAssertEqual(try BoardProfile.load(path: good).activeWattsPerCore, 0.5)

        var missing = valid
        missing["idle_watts"] = nil
        let path = tree.write("missing.json", json(missing))
        let e1 = edgeError { _ = try BoardProfile.load(path: path) }
        XCTAssertEqual(e1?.kind, .format)
        XCTAssertTrue(e1?.message.contains("missing field 'idle_watts'") ?? false, e1?.message ?? "")
        XCTAssertTrue(e1?.message.contains("missing.json") ?? false)

        var negative = valid
        negative["active_watts_per_core"] = -0.5
        let e2 = edgeError { _ = try BoardProfile.load(path: tree.write("neg.json", json(negative))) }
        XCTAssertEqual(e2?.kind, .input)
        XCTAssertTrue(e2?.message.contains("'active_watts_per_core' is -0.5") ?? false, e2?.message ?? "")

        var wrongType = valid
        wrongType["cores"] = "four"
        let e3 = edgeError { _ = try BoardProfile.load(path: tree.write("type.json", json(wrongType))) }
        XCTAssertTrue(e3?.message.contains("'cores'") ?? false, e3?.message ?? "")

        var noCores = valid
        noCores["cores"] = 0
        XCTAssertTrue(edgeError { _ = try BoardProfile.load(path: tree.write("c.json", json(noCores))) }?.message.contains("'cores' is 0") ?? false)

        var milli = valid
        milli["idle_watts"] = 2700.0 * 10
        XCTAssertTrue(edgeError { _ = try BoardProfile.load(path: tree.write("m.json", json(milli))) }?.message.contains("implausibly large") ?? false)

        var unsourced = valid
        unsourced["source"] = "  "
        XCTAssertTrue(edgeError { _ = try BoardProfile.load(path: tree.write("s.json", json(unsourced))) }?.message.contains("'source'") ?? false)

        let e4 = edgeError { _ = try BoardProfile.load(path: tree.write("bad.json", "{ not json")) }
        XCTAssertEqual(e4?.kind, .format)
        XCTAssertEqual(edgeError { _ = try BoardProfile.load(path: tree.path("absent.json")) }?.kind, .io)
        // Errors are one line.
        for e in [e1, e2, e3, e4] { XCTAssertFalse(e?.description.contains("\n") ?? true) }
    }

    func testDetectionFromFakeProcFiles() {
        let tree = FakeTree()
        // The device tree's model string ends in NUL.
        let pi5 = tree.write("pi5/model", "Raspberry Pi 5 Model B Rev 1.0\u{0}")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: tree.path("none"), modelPath: pi5)?.name, "pi5")
        let cm4 = tree.write("cm4/model", "Raspberry Pi Compute Module 4 Rev 1.1\u{0}")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: tree.path("none"), modelPath: cm4)?.name, "pi4")
        let pi400 = tree.write("pi400/model", "Raspberry Pi 400 Rev 1.0\u{0}")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: tree.path("none"), modelPath: pi400)?.name, "pi4")
        let zero = tree.write("zero/model", "Raspberry Pi Zero 2 W Rev 1.0\u{0}")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: tree.path("none"), modelPath: zero)?.name, "zero2w")

        // No device tree: the cpuinfo revision code (Pi 4 B 4 GB: c03114) or Model line.
        let pi4info = tree.write("pi4/cpuinfo", "processor\t: 0\nBogoMIPS\t: 108.00\nCPU part\t: 0xd08\n\nHardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000abcdef\n")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: pi4info, modelPath: tree.path("none"))?.name, "pi4")
        let zeroinfo = tree.write("zero/cpuinfo", "processor\t: 0\nRevision\t: 902120\n")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: zeroinfo, modelPath: tree.path("none"))?.name, "zero2w")
        let pi5info = tree.write("pi5/cpuinfo", "processor\t: 0\nRevision\t: d04170\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: pi5info, modelPath: tree.path("none"))?.name, "pi5")
        let x86 = tree.write("x86/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Core(TM) i5\n")
        XCTAssertEqual(BoardProfile.detect(cpuinfoPath: x86, modelPath: tree.path("none"))?.name, "x86_64-generic")

        // Boards we have no profile for are not guessed.
        let pi3 = tree.write("pi3/model", "Raspberry Pi 3 Model B Plus Rev 1.3\u{0}")
        let pi3info = tree.write("pi3/cpuinfo", "processor\t: 0\nRevision\t: a020d3\n")
        XCTAssertNil(BoardProfile.detect(cpuinfoPath: pi3info, modelPath: pi3))
        let oldStyle = tree.write("old/cpuinfo", "Revision\t: 000e\n")
        XCTAssertNil(BoardProfile.detect(cpuinfoPath: oldStyle, modelPath: tree.path("none")))
        XCTAssertNil(BoardProfile.detect(cpuinfoPath: tree.path("none"), modelPath: tree.path("none")))
    }
}
