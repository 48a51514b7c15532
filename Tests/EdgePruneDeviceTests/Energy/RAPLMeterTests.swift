import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

final class RAPLMeterTests: XCTestCase {
    func testDiscoversPackagesOnlyAndReadsJoulesWithRange() throws {
        let tree = FakeTree()
        tree.write("intel-rapl:0/name", "package-0\n")
        tree.write("intel-rapl:0/energy_uj", "262143000000\n")
        tree.write("intel-rapl:0/max_energy_range_uj", "262143328850\n")
        tree.write("intel-rapl:0:0/name", "core\n")
        tree.write("intel-rapl:0:0/energy_uj", "5\n")
        tree.write("intel-rapl:0:0/max_energy_range_uj", "262143328850\n")
        tree.write("intel-rapl-mmio:0/energy_uj", "1\n")
        tree.write("intel-rapl:1/name", "package-1\n")          // no energy_uj: skipped
        let clock = ManualClock(3)
        let meters = RAPLMeter.discover(root: tree.root, now: clock.now)
        XCTAssertEqual(meters.map(\.name), ["package-0 (intel-rapl:0)"])
        XCTAssertEqual(try meters[0].read(), .energy(joules: 262143.0, range: 262143.32885, time: 3))
    }

    func testMissingAndGarbageFilesGiveClearErrors() {
        let tree = FakeTree()
        tree.write("intel-rapl:0/energy_uj", "100\n")
        let meter = RAPLMeter(zone: tree.path("intel-rapl:0"))
        let noRange = edgeError { _ = try meter.read() }
        XCTAssertEqual(noRange?.kind, .io)
        XCTAssertTrue(noRange?.message.contains("max_energy_range_uj") ?? false, noRange?.message ?? "")

        tree.write("intel-rapl:0/max_energy_range_uj", "1000\n")
        tree.write("intel-rapl:0/energy_uj", "12ab\n")
        let garbage = edgeError { _ = try meter.read() }
        XCTAssertEqual(garbage?.kind, .format)
        XCTAssertTrue(garbage?.message.contains("energy_uj") ?? false)
    }

    func testRootOnlyCounterExplainsWhy() throws {
        guard getuid() != 0 else { throw XCTSkip("running as root: a 0400 file stays readable") }
        let tree = FakeTree()
        tree.write("intel-rapl:0/max_energy_range_uj", "1000\n")
        tree.write("intel-rapl:0/energy_uj", "5\n", mode: 0o000)
        let error = edgeError { _ = try RAPLMeter(zone: tree.path("intel-rapl:0")).read() }
        XCTAssertTrue(error?.message.contains("CVE-2020-8694") ?? false, error?.message ?? "")
    }
}
