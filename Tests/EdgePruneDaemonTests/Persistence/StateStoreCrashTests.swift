@testable import EdgePruneDaemon
import EdgePruneCore
import Foundation
import XCTest

/// Step `i` of the crash drill: a state that is a pure function of `i`, so a reopened store can
/// be checked for being exactly one of the states written, with every field from the same step.
enum CrashDrill {
    static func config(_ i: UInt64) -> [UInt8] {
        let filler = String(repeating: "#", count: Int((i &* 7919) % 3000))
        return Array("step: \(i)\n\(filler)\n".utf8)
    }

    /// The model changes every third step (1, 4, 7, ...; the other steps carry it over), 64 to
    /// 256 KiB of xorshift bytes.
    static func modelStep(_ i: UInt64) -> UInt64 { i - (i - 1) % 3 }

    static func model(_ i: UInt64) -> [UInt8] {
        let step = modelStep(i)
        let words = (64 << 10 + Int((step &* 104_729) % UInt64(192 << 10))) / 8
        var x = step &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [UInt8](repeating: 0, count: words * 8)
        out.withUnsafeMutableBytes { p in
            for k in 0..<words {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17
                p.storeBytes(of: x, toByteOffset: k * 8, as: UInt64.self)
            }
        }
        return out
    }

    static func level(_ i: UInt64) -> Int { Int(i % 5) }

    static func counters(_ i: UInt64) -> [String: UInt64] {
        ["steps": i, "inferences": i &* 1000, "drops": i / 2]
    }

    static func update(_ i: UInt64) -> StateUpdate {
        StateUpdate(config: (config(i), i), model: modelStep(i) == i ? .bytes(model(i)) : nil,
                    level: level(i), counters: counters(i))
    }

    /// Fails unless `store` holds exactly step `i`'s state (i = 0: the empty store).
    static func check(_ store: StateStore, step i: UInt64, _ context: String) throws {
        let s = store.current
        if i == 0 {
            XCTAssertEqual(s, .empty, "\(context): an empty store should have no state")
            return
        }
        XCTAssertEqual(try store.readConfig(), config(i), "\(context): config of another step")
        let stored = try s.model.map(store.read)
        XCTAssertTrue(stored == model(i), "\(context): model of another step (\(stored?.count ?? 0) bytes, step \(modelStep(i)) has \(model(i).count))")
        XCTAssertEqual(s.level, level(i), "\(context): level of another step")
        XCTAssertEqual(s.counters, counters(i), "\(context): counters of another step")
    }
}

/// kill -9 of a process that commits state updates in a loop, at random moments, 60 times; after
/// each kill the store reopens on exactly the last acknowledged step or the one after it (the
/// commit in flight), with config, model, level and counters all from that one step.
///
/// The child is this test bundle itself, re-executed with `EDGEPRUNE_CRASH_CHILD_DIR` set, running
/// `testChildProcessLoop`: it opens the store, records the step it found as acknowledged, creates a
/// ready marker, then commits steps i+1, i+2, ... forever, writing each acknowledged step number
/// to a progress file after `commit` returns (and a one-line event log, shown on failure).
final class StateStoreCrashTests: XCTestCase {
    static let kills = 60
    static let childEnv = "EDGEPRUNE_CRASH_CHILD_DIR"

    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-crash-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir, ProcessInfo.processInfo.environment[Self.childEnv] == nil {
            try? FileManager.default.removeItem(at: dir)
        }
    }

    func testKillNineDuringUpdatesAlwaysReopensOnOneWrittenState() throws {
        continueAfterFailure = false   // one broken reopen is the finding; later rounds would only echo it
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let stateDir = dir.appendingPathComponent("state").path
        let progressPath = dir.appendingPathComponent("progress").path
        let readyPath = dir.appendingPathComponent("ready").path
        let stderrPath = dir.appendingPathComponent("child-stderr").path
        var rng = SystemRandomNumberGenerator()
        var lastSeen: UInt64 = 0
        var interruptedWrites = 0, inFlightCommits = 0, startupKills = 0
        let started = Date()

        for round in 1...Self.kills {
            try? FileManager.default.removeItem(atPath: readyPath)
            XCTAssertTrue(FileManager.default.createFile(atPath: stderrPath, contents: nil))
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["EdgePruneDaemonTests.StateStoreCrashTests/testChildProcessLoop"]
            var env = ProcessInfo.processInfo.environment
            env[Self.childEnv] = dir.path
            child.environment = env
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle(forWritingAtPath: stderrPath)
            try child.run()

            // One round in six kills at a random moment of start-up (possibly inside open and
            // its recovery); the others wait for the ready marker, then kill 0-150 ms into the
            // update loop (a commit with a model takes about 50 ms here: three durable writes).
            if round % 6 == 0 {
                usleep(UInt32.random(in: 0...40_000, using: &rng))
                startupKills += 1
            } else {
                let deadline = Date().addingTimeInterval(20)
                while !FileManager.default.fileExists(atPath: readyPath) && child.isRunning && Date() < deadline {
                    usleep(500)
                }
                guard child.isRunning else {
                    child.waitUntilExit()
                    let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                    return XCTFail("round \(round): the child exited by itself (status \(child.terminationStatus)): \(err)")
                }
                XCTAssertTrue(FileManager.default.fileExists(atPath: readyPath), "round \(round): child not ready within 20 s")
                usleep(UInt32.random(in: 0...150_000, using: &rng))
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            guard child.terminationReason == .uncaughtSignal, child.terminationStatus == SIGKILL else {
                let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                return XCTFail("round \(round): the child ended with status \(child.terminationStatus), not by SIGKILL: \(err)")
            }

            let acknowledged = Self.readProgress(progressPath)
            let store = try StateStore(directory: stateDir)
            let step = store.current.configVersion
            let context = "round \(round) (acknowledged \(acknowledged), reopened on \(step))"
            XCTAssertTrue(step == acknowledged || step == acknowledged + 1,
                          "\(context): the reopened state is neither the last acknowledged step nor the one in flight; log: \((try? String(contentsOfFile: dir.path + "/log", encoding: .utf8))?.split(separator: "\n").suffix(12).joined(separator: " | ") ?? "")")
            XCTAssertGreaterThanOrEqual(step, lastSeen, "\(context): went back behind a state seen before")
            XCTAssertEqual(store.openReport.skippedManifests, [], "\(context): a manifest was unusable after a kill")
            try CrashDrill.check(store, step: step, context)
            if store.openReport.removedTemporaries > 0 { interruptedWrites += 1 }
            if step == acknowledged + 1 { inFlightCommits += 1 }
            lastSeen = step
            store.close()
        }
        let seconds = Date().timeIntervalSince(started)
        print("state crash drill: \(Self.kills) SIGKILLs (\(startupKills) during start-up) in \(String(format: "%.1f", seconds)) s; "
              + "\(lastSeen) steps committed; \(interruptedWrites) kills left temporaries of an interrupted write; "
              + "\(inFlightCommits) reopened on a commit not yet acknowledged; every reopen on exactly one written state")
        XCTAssertGreaterThan(lastSeen, 0, "no commit completed in \(Self.kills) rounds: the drill tested nothing")
    }

    /// The child's side (only when re-executed by the test above).
    func testChildProcessLoop() throws {
        guard let dirPath = ProcessInfo.processInfo.environment[Self.childEnv] else {
            throw XCTSkip("runs only as the child process that testKillNineDuringUpdatesAlwaysReopensOnOneWrittenState kills")
        }
        do {
            let store = try StateStore(directory: dirPath + "/state")
            let progress = open(dirPath + "/progress", O_WRONLY | O_CREAT, 0o600)
            guard progress >= 0 else { throw EdgePruneError(.io, "cannot open the progress file") }
            guard FileManager.default.createFile(atPath: dirPath + "/ready", contents: nil) else {
                throw EdgePruneError(.io, "cannot create the ready marker")
            }
            var i = store.current.configVersion
            let log = open(dirPath + "/log", O_WRONLY | O_CREAT | O_APPEND, 0o600)
            func note(_ s: String) { _ = Array("\(getpid()) \(s)\n".utf8).withUnsafeBytes { write(log, $0.baseAddress, $0.count) } }
            // The state found at open counts as acknowledged: it may be the previous child's
            // commit in flight, which that child never got to acknowledge.
            var opened = i
            guard pwrite(progress, &opened, 8, 0) == 8 else { throw EdgePruneError(.io, "cannot write progress") }
            note("open \(i)")
            while true {
                i += 1
                note("commit \(i)")
                try store.commit(CrashDrill.update(i))
                var acknowledged = i
                guard pwrite(progress, &acknowledged, 8, 0) == 8 else { throw EdgePruneError(.io, "cannot write progress") }
                note("ack \(i)")
            }
        } catch {
            FileHandle.standardError.write(Data("crash child: \(error)\n".utf8))
            exit(3)
        }
    }

    static func readProgress(_ path: String) -> UInt64 {
        guard let data = FileManager.default.contents(atPath: path), data.count == 8 else { return 0 }
        return data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }
}
