@testable import EdgePruneServe
import EdgePruneCore
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol against a datagram socket standing in for systemd.
final class SystemdNotifierTests: XCTestCase {
    func testNoSocketMeansNoNotifier() throws {
        XCTAssertNil(try SystemdNotifier(environment: [:]))
        XCTAssertNil(try SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]))
    }

    func testMessagesReachAPathSocketAndAnAbstractOne() throws {
        for abstract in [false, true] {
            let systemd = try FakeSystemd(abstract: abstract)
            let n = try XCTUnwrap(try SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.address]))
            n.ready(status: "serving")
            let ready = try XCTUnwrap(systemd.receive(), "abstract: \(abstract)")
            XCTAssertTrue(ready.hasPrefix("READY=1\nSTATUS=serving\nMAINPID=\(getpid())"), ready)
            n.watchdog()
            XCTAssertEqual(systemd.receive(), "WATCHDOG=1")
            n.stopping()
            XCTAssertEqual(systemd.receive(), "STOPPING=1\nSTATUS=stopping")
            XCTAssertEqual(n.failures, 0)
        }
    }

    func testWatchdogIntervalFollowsTheEnvironment() throws {
        let systemd = try FakeSystemd(abstract: true)
        let base = ["NOTIFY_SOCKET": systemd.address]
        XCTAssertNil(try SystemdNotifier(environment: base)?.watchdogInterval)
        XCTAssertEqual(try SystemdNotifier(environment: base.merging(["WATCHDOG_USEC": "30000000"]) { $1 })?.watchdogInterval, 30)
        XCTAssertEqual(try SystemdNotifier(environment: base.merging(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(getpid())"]) { $1 })?
                        .watchdogInterval, 2)
        XCTAssertNil(try SystemdNotifier(environment: base.merging(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"]) { $1 })?.watchdogInterval,
                     "the watchdog belongs to another process")
    }

    func testAMissingSocketIsCountedNotFatal() throws {
        let n = try XCTUnwrap(try SystemdNotifier(environment: ["NOTIFY_SOCKET": NSTemporaryDirectory() + "no-such-socket-\(getpid())"]))
        XCTAssertFalse(n.notify("READY=1"))
        XCTAssertEqual(n.failures, 1)
    }

    func testABadSocketNameIsRefused() {
        XCTAssertThrowsError(try SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"])) {
            XCTAssertTrue("\($0)".contains("neither an absolute path nor an abstract socket"), "\($0)")
        }
    }
}
