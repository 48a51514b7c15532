import Foundation
import XCTest

/// The real daemon under a stand-in for systemd: READY once it serves, WATCHDOG pings while the
/// inference thread answers, STATUS lines, STOPPING on SIGTERM.
final class ServeSystemdEndToEndTests: XCTestCase {
    func testNotifiesReadyWatchdogAndStopping() async throws {
        let systemd = try FakeSystemd(abstract: false)
        let d = try DaemonHarness(tag: "serve-systemd")
        try d.writeConfig(model: try DaemonHarness.ladderModel("0.5,0.8"))
        try await d.start(environment: ["NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "1000000"])
        try await Task.sleep(nanoseconds: 2_500_000_000)
        XCTAssertEqual(d.terminate(), 0, d.logTail())
        let messages = systemd.drain()
        let ready = messages.firstIndex { $0.hasPrefix("READY=1") }
        XCTAssertNotNil(ready, "\(messages)")
        XCTAssertTrue(messages.first { $0.hasPrefix("READY=1") }?.contains("STATUS=level ") ?? false, "\(messages)")
        // WatchdogSec=1 s: pings every 0.5 s for 2.5 s.
        XCTAssertGreaterThanOrEqual(messages.filter { $0 == "WATCHDOG=1" }.count, 3, "\(messages)")
        XCTAssertEqual(messages.last, "STOPPING=1\nSTATUS=stopping", "\(messages)")
    }
}
