import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class PMICMeterTests: XCTestCase {
    private var capture: String { try! String(contentsOfFile: fixturePath("sysfs/pi5_pmic_read_adc.txt"), encoding: .utf8) }

    func testParsesCapturedOutputPairingRailsByName() throws {
        let report = try PMICReport.parse(capture)
        // 12 rails carry both a current and a voltage; EXT5V_V and BATT_V have no current.
        XCTAssertEqual(report.rails.count, 12)
        XCTAssertFalse(report.rails.contains { $0.name == "EXT5V" || $0.name == "BATT" })
        XCTAssertEqual(report.inputVolts, 5.10848)
        XCTAssertEqual(report.ignoredLines, 0)
        let core = try XCTUnwrap(report.rails.first { $0.name == "VDD_CORE" })
        XCTAssertEqual(core.amps, 2.347)
        XCTAssertEqual(core.volts, 0.88)                  // channel 15, not the current's 7
        XCTAssertEqual(core.watts, 2.06536, accuracy: 1e-9)
        XCTAssertEqual(report.totalWatts, 3.2253575002269, accuracy: 1e-9)
    }

    func testFormatVariations() throws {
        // CRLF, tabs, no indentation, a nan battery, a label whose unit disagrees, junk lines.
        let text = "VDD_CORE_A current(7)=2.00000000A\r\n\tVDD_CORE_V volt(15)=0.80000000V\r\n"
            + "BATT_V volt(25)=nanV\n  BAD_A volt(1)=3.0A\n  HDMI_A current(22)=0.1A\n  HDMI_V volt(23)=1.2.3V\n"
            + "some banner text\n  NEG_A current(3)=-0.5A\n  NEG_V volt(11)=1.0V\n"
        let report = try PMICReport.parse(text)
        XCTAssertEqual(report.rails.map(\.name), ["VDD_CORE"])
        XCTAssertEqual(report.totalWatts, 1.6, accuracy: 1e-12)
        XCTAssertEqual(report.ignoredLines, 5)   // nan, BAD_A, HDMI_V 1.2.3, banner, NEG_A
        XCTAssertNil(report.inputVolts)
    }

    func testSingleRailQueryAndErrorsAreClear() {
        let single = edgeError { _ = try PMICReport.parse("     EXT5V_V volt(24)=5.09066000V\n") }
        XCTAssertEqual(single?.kind, .format)
        let unsupported = edgeError { _ = try PMICReport.parse("error=1 error_msg=\"Command not registered\"\n") }
        XCTAssertEqual(unsupported?.kind, .unsupported)
        XCTAssertTrue(unsupported?.message.contains("Command not registered") ?? false, unsupported?.message ?? "")
        XCTAssertEqual(edgeError { _ = try PMICReport.parse("") }?.kind, .format)
    }

    func testFakeVcgencmdGivesPowerWithCorrection() throws {
        let tree = FakeTree()
        let command = tree.script("vcgencmd", "[ \"$1\" = pmic_read_adc ] || exit 2\ncat '\(fixturePath("sysfs/pi5_pmic_read_adc.txt"))'")
        let clock = ManualClock(9)
        let raw = PMICMeter(command: command, now: clock.now)
        guard case .power(let w, let t) = try raw.read() else { return XCTFail("a power reading") }
        XCTAssertEqual(w, 3.2253575002269, accuracy: 1e-9)
        XCTAssertEqual(t, 9)
        XCTAssertEqual(raw.lastReport?.rails.count, 12)

        let wall = PMICMeter(command: command, correction: PMICMeter.communityWallFit, now: clock.now)
        guard case .power(let w2, _) = try wall.read() else { return XCTFail("a power reading") }
        XCTAssertEqual(w2, 1.1451 * 3.2253575002269 + 0.5879, accuracy: 1e-9)
    }

    func testFailingAndMissingCommands() {
        let tree = FakeTree()
        let failing = tree.script("vcgencmd", "echo 'VCHI initialization failed' >&2\nexit 255")
        let error = edgeError { _ = try PMICMeter(command: failing).read() }
        XCTAssertEqual(error?.kind, .io)
        XCTAssertTrue(error?.message.contains("status 255") ?? false, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("VCHI initialization failed") ?? false, error?.message ?? "")

        let missing = edgeError { _ = try PMICMeter(command: tree.path("nope/vcgencmd")).read() }
        XCTAssertEqual(missing?.kind, .io)
        XCTAssertTrue(missing?.message.contains("nope/vcgencmd") ?? false, missing?.message ?? "")
    }

    func testHungCommandTimesOutAndIsKilled() {
        let tree = FakeTree()
        let marker = tree.path("still-running")
        // The script's child (sleep) must die with it: it would touch the marker afterwards.
        let hung = tree.script("vcgencmd", "echo partial\n(sleep 2; touch '\(marker)') &\nsleep 30")
        let start = DeviceClock.monotonicSeconds()
        let error = edgeError { _ = try PMICMeter(command: hung, timeout: 0.3).read() }
        let elapsed = DeviceClock.monotonicSeconds() - start
        XCTAssertEqual(error?.kind, .io)
        XCTAssertTrue(error?.message.contains("did not finish within 0.3 s") ?? false, error?.message ?? "")
        XCTAssertLessThan(elapsed, 2.0, "the timeout bounds the call")
        // A command that closes its output and keeps running is bounded by the same deadline.
        let silent = tree.script("vcgencmd2", "exec >/dev/null 2>&1\nsleep 30")
        let start2 = DeviceClock.monotonicSeconds()
        XCTAssertEqual(edgeError { _ = try PMICMeter(command: silent, timeout: 0.3).read() }?.kind, .io)
        XCTAssertLessThan(DeviceClock.monotonicSeconds() - start2, 2.0)
        usleep(2_500_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the command's process group was killed")
    }
}
