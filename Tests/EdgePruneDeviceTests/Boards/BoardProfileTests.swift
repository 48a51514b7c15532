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

    func testBuiltInProfilesDescribeTheirHardware() throws {
        for p in BoardProfile.builtIn {
            XCTAssertNotNil(p.clockMHz, p.name)
            XCTAssertNotNil(p.neon, p.name)
            XCTAssertNotNil(p.dotprod, p.name)
            XCTAssertNotNil(p.defaultBudgets, p.name)
            XCTAssertTrue(p.hardwareSource?.contains(p.name == "x86_64-generic" ? "Placeholder" : "http") ?? false, p.name)
            // Default power budget: idle plus two busy cores, rounded to 0.1 W or so.
            let budgets = try XCTUnwrap(p.defaultBudgets)
            XCTAssertEqual(budgets.powerW, p.idleWatts + 2 * p.activeWattsPerCore, accuracy: 0.1, p.name)
            XCTAssertLessThan(budgets.powerW, p.idleWatts + Double(p.cores) * p.activeWattsPerCore, p.name)
        }
        // Clocks and CPU features as Raspberry Pi documents them and /proc/cpuinfo reports them.
        XCTAssertEqual(BoardProfile.builtIn.map { $0.clockMHz ?? 0 }, [1500, 2400, 1000, 3000])
        XCTAssertEqual(BoardProfile.builtIn.map { $0.neon ?? false }, [true, true, true, false])
        XCTAssertEqual(BoardProfile.builtIn.map { $0.dotprod ?? true }, [false, true, false, false])
        // The faster the board, the tighter its default latency budget.
        let latency = Dictionary(uniqueKeysWithValues: BoardProfile.builtIn.map { ($0.name, $0.defaultBudgets!.latencyP95Ms) })
        XCTAssertLessThan(latency["pi5"]!, latency["pi4"]!)
        XCTAssertLessThan(latency["pi4"]!, latency["zero2w"]!)

        // GPIO: the header chip of each Pi; none on x86.
        XCTAssertNil(BoardProfile.x86_64Generic.gpio)
        XCTAssertEqual(BoardProfile.pi4.gpio?.chips, ["gpiochip0"])
        XCTAssertEqual(BoardProfile.pi4.gpio?.label, "pinctrl-bcm2711")
        XCTAssertEqual(BoardProfile.pi4.gpio?.lineCount, 58)
        XCTAssertEqual(BoardProfile.pi5.gpio?.chips, ["gpiochip0", "gpiochip4"], "newer kernels first, then the old number")
        XCTAssertEqual(BoardProfile.pi5.gpio?.label, "pinctrl-rp1")
        XCTAssertEqual(BoardProfile.pi5.gpio?.lineCount, 54)
        XCTAssertEqual(BoardProfile.zero2w.gpio?.label, "pinctrl-bcm2835")
        for p in [BoardProfile.pi4, .pi5, .zero2w] {
            let lines = try XCTUnwrap(p.gpio?.lines)
            XCTAssertEqual(lines.count, 26, p.name)
            XCTAssertEqual(lines.first, "GPIO2")
            XCTAssertEqual(lines.last, "GPIO27")
            XCTAssertTrue(lines.contains("GPIO17"))
            XCTAssertFalse(lines.contains("ID_SDA"), "the HAT EEPROM lines are not for applications")
        }
    }

    func testNewFieldsAreOptionalInFilesAndCheckedWhenGiven() throws {
        let tree = FakeTree()
        // A profile written before the hardware fields existed still loads.
        let old = try BoardProfile.load(path: tree.write("old.json", json(valid)))
        XCTAssertNil(old.clockMHz)
        XCTAssertNil(old.gpio)
        XCTAssertNil(old.defaultBudgets)

        func refused(_ extra: [String: Any], _ part: String, file: StaticString = #filePath, line: UInt = #line) {
            var fields = valid
            for (k, v) in extra { fields[k] = v }
            let e = edgeError({ _ = try BoardProfile.load(path: tree.write("bad-\(part.hashValue).json", json(fields))) }, file: file, line: line)
            XCTAssertTrue(e?.message.contains(part) ?? false, "'\(e?.message ?? "")' lacks '\(part)'", file: file, line: line)
        }
        refused(["clock_mhz": 2_400_000_000], "'clock_mhz' is 2400000000")
        refused(["neon": false, "dotprod": true], "'dotprod' is true while 'neon' is false")
        let gpio: [String: Any] = ["chips": ["gpiochip0"], "label": "x", "line_count": 4, "lines": ["A", "B"], "notes": ""]
        refused(["gpio": gpio.merging(["chips": []]) { $1 }], "'gpio.chips'")
        refused(["gpio": gpio.merging(["line_count": 0]) { $1 }], "'gpio.line_count' is 0")
        refused(["gpio": gpio.merging(["lines": ["A", "A"]]) { $1 }], "'gpio.lines' repeats a name")
        refused(["gpio": gpio.merging(["lines": ["A", "B", "C", "D", "E"]]) { $1 }], "'gpio.lines' has more names than")
        refused(["gpio": gpio.merging(["label": 3]) { $1 }], "'gpio.label'")
        refused(["default_budgets": ["latency_p95_ms": 0, "power_w": 1, "notes": ""]], "'default_budgets.latency_p95_ms' is 0.0")
        refused(["default_budgets": ["latency_p95_ms": 5, "notes": ""]], "missing field 'default_budgets.power_w'")
        refused(["hardware_source": " "], "'hardware_source' is empty")
        var full = valid
        full["clock_mhz"] = 1800
        full["gpio"] = gpio
        full["default_budgets"] = ["latency_p95_ms": 8, "power_w": 4, "notes": "mine"]
        let loaded = try BoardProfile.load(path: tree.write("full.json", json(full)))
        XCTAssertEqual(loaded.gpio, .init(chips: ["gpiochip0"], label: "x", lineCount: 4, lines: ["A", "B"], notes: ""))
        XCTAssertEqual(loaded.defaultBudgets, .init(latencyP95Ms: 8, powerW: 4, notes: "mine"))
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
