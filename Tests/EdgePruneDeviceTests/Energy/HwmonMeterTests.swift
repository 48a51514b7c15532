import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class HwmonMeterTests: XCTestCase {
    /// hwmon0 is a CPU thermal sensor, hwmon1 an INA226 with power only, hwmon2 an INA238 with
    /// an energy counter as well, hwmon10 an INA219 with its attributes under device/.
    private func makeTree() -> FakeTree {
        let tree = FakeTree()
        tree.write("hwmon0/name", "cpu_thermal\n")
        tree.write("hwmon0/temp1_input", "45000\n")
        tree.write("hwmon1/name", "ina226\n")
        tree.write("hwmon1/in1_input", "5080\n")
        tree.write("hwmon1/power1_input", "3250000\n")
        tree.write("hwmon2/name", "ina238\n")
        tree.write("hwmon2/power1_input", "4100000\n")
        tree.write("hwmon2/energy1_input", "123456789\n")
        tree.write("hwmon10/name", "ina219\n")
        tree.write("hwmon10/device/power2_input", "1500000\n")
        tree.write("hwmon10/device/power1_input", "2500000\n")
        return tree
    }

    func testDiscoversKnownChipsInNumericOrderAndPrefersEnergy() throws {
        let tree = makeTree()
        let clock = ManualClock(7)
        let meters = HwmonMeter.discover(root: tree.root, now: clock.now)
        XCTAssertEqual(meters.map(\.name), ["ina226 (hwmon1)", "ina238 (hwmon2)", "ina219 (hwmon10)"])
        XCTAssertEqual(meters[0].channel, .power(path: tree.path("hwmon1/power1_input")))
        XCTAssertEqual(meters[1].channel, .energy(path: tree.path("hwmon2/energy1_input")))
        XCTAssertEqual(meters[2].channel, .power(path: tree.path("hwmon10/device/power1_input")))

        XCTAssertEqual(try meters[0].read(), .power(watts: 3.25, time: 7))
        XCTAssertEqual(try meters[1].read(), .energy(joules: 123.456789, range: nil, time: 7))
        XCTAssertEqual(try meters[2].read(), .power(watts: 2.5, time: 7))
    }

    func testChipFilterAndEmptyRoot() {
        let tree = makeTree()
        XCTAssertEqual(HwmonMeter.discover(root: tree.root, chips: ["ina238"]).map(\.name), ["ina238 (hwmon2)"])
        XCTAssertTrue(HwmonMeter.discover(root: tree.path("missing")).isEmpty)
    }

    func testErrorsNameTheFile() throws {
        let tree = makeTree()
        let meter = HwmonMeter(device: tree.path("hwmon1"))!
        tree.write("hwmon1/power1_input", "garbage\n")
        let garbage = edgeError { _ = try meter.read() }
        XCTAssertEqual(garbage?.kind, .format)
        XCTAssertTrue(garbage?.message.contains(tree.path("hwmon1/power1_input")) ?? false, garbage?.message ?? "")

        tree.write("hwmon1/power1_input", "-5\n")
        XCTAssertEqual(edgeError { _ = try meter.read() }?.kind, .format, "negative power is not a reading")

        tree.remove("hwmon1")
        let gone = edgeError { _ = try meter.read() }
        XCTAssertEqual(gone?.kind, .io)
        XCTAssertTrue(gone?.message.contains("power1_input") ?? false, gone?.message ?? "")
    }
}
