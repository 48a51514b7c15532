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
        // WatchdogSec=1 s: a ping every 0.5 s. Wait (up to 10 s, for a loaded machine) for three.
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while messages.filter({ $0 == "WATCHDOG=1" }).count < 3, Date() < deadline {
            if let m = systemd.receive() { messages.append(m) }
        }
        XCTAssertEqual(d.terminate(), 0, d.logTail())
        messages += systemd.drain()
        let ready = try XCTUnwrap(messages.first { $0.hasPrefix("READY=1") }, "\(messages)")
        XCTAssertTrue(ready.contains("STATUS=level "), ready)
        XCTAssertLessThan(messages.firstIndex(of: ready)!, messages.firstIndex(of: "WATCHDOG=1") ?? .max, "READY comes first")
        XCTAssertGreaterThanOrEqual(messages.filter { $0 == "WATCHDOG=1" }.count, 3, "\(messages)")
        XCTAssertEqual(messages.last, "STOPPING=1\nSTATUS=stopping", "\(messages)")
    }
}
