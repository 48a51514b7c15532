import Foundation
import XCTest
import EdgePruneCore
@testable import EdgePruneDevice

/// A throw-away directory tree standing in for /sys or /proc.
final class FakeTree {
    let root: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/edgeprune-sysfs-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        root = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    @discardableResult
    func write(_ relative: String, _ text: String, mode: Int = 0o644) -> String {
        let p = path(relative)
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: false, encoding: .utf8)
        chmod(p, mode_t(mode))
        return p
    }

    func remove(_ relative: String) { try? FileManager.default.removeItem(atPath: path(relative)) }

    /// An executable shell script standing in for a command such as vcgencmd.
    func script(_ relative: String, _ body: String) -> String {
        write(relative, "#!/bin/sh\n" + body + "\n", mode: 0o755)
    }
}

/// A clock the test moves by hand.
final class ManualClock {
    var t: Double
    init(_ t: Double = 100) { self.t = t }
    func now() -> Double { t }
}

/// A meter replaying a script of readings and errors.
final class ScriptedMeter: EnergyMeter {
    enum Step { case reading(EnergyReading); case fail(EdgePruneError) }
    let name = "scripted"
    var steps: [Step]
    var calls = 0
    init(_ steps: [Step]) { self.steps = steps }
    func read() throws -> EnergyReading {
        calls += 1
        guard !steps.isEmpty else { throw EdgePruneError(.io, "scripted meter exhausted") }
        switch steps.removeFirst() {
        case .reading(let r): return r
        case .fail(let e): throw e
        }
    }
}

func fixturePath(_ relative: String) -> String {
    let here = "\(#filePath)"
    let root = here.components(separatedBy: "/Tests/").first!
    return root + "/Tests/Fixtures/" + relative
}

func repoPath(_ relative: String) -> String {
    let here = "\(#filePath)"
    return here.components(separatedBy: "/Tests/").first! + "/" + relative
}

/// Runs `body` and returns the EdgePruneError it throws (failing the test if it does not).
func edgeError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> EdgePruneError? {
    do { try body() } catch let e as EdgePruneError { return e } catch {
        XCTFail("threw \(error), not an EdgePruneError", file: file, line: line); return nil
    }
    XCTFail("did not throw", file: file, line: line)
    return nil
}
