import XCTest
import EdgePruneCore
@testable import EdgePruneAdaptive

/// A five-level table: p95 10, 8, 6, 4, 3 ms; energy 10, 8, 6, 4, 3 mJ; accuracy .95 .94 .92 .88 .80.
func ctrlTable(latencyMs: [Double] = [10, 8, 6, 4, 3], energyMJ: [Double?] = [10, 8, 6, 4, 3],
               accuracy: [Double?] = [0.95, 0.94, 0.92, 0.88, 0.80], alpha: Double = 0.2) throws -> LevelProfileTable {
    let profiles = latencyMs.indices.map { k in
        LevelProfile(level: k, sparsity: Double(k) * 0.2, latencyP95: latencyMs[k] * 1e-3,
                     energyPerInference: energyMJ[k].map { $0 * 1e-3 }, accuracy: accuracy[k])
    }
    return try LevelProfileTable(profiles: profiles, alpha: alpha)
}

/// What the scripted world reports at one level.
struct CtrlFigures {
    var p95: Double? = nil
    var energy: Double? = nil
    var power: Double? = nil
    var accuracy: ProportionEstimate? = nil
    var agreement: ProportionEstimate? = nil
}

/// Drives a controller the way the runtime does, on virtual time: every step runs `inferences`
/// inferences over `seconds`, then shows the controller a snapshot of the world at the current
/// level; a decision is applied at once (the next snapshot reports the new level, counting
/// inferences from the switch).
final class CtrlDriver {
    let controller: Controller
    private(set) var time = 0.0
    private(set) var level: Int
    private(set) var inferencesAtLevel = 0
    private(set) var totalInferences = 0
    private(set) var decisions: [(decision: SwitchDecision, inference: Int)] = []

    init(_ config: ControllerConfig, table: LevelProfileTable? = nil, level: Int = 0) throws {
        controller = try Controller(config: config, table: table ?? ctrlTable(), initialLevel: level)
        self.level = level
    }

    @discardableResult
    func step(inferences: Int = 10, seconds: Double = 0.1, _ world: (Int) -> CtrlFigures) -> SwitchDecision? {
        time += seconds
        inferencesAtLevel += inferences
        totalInferences += inferences
        let f = world(level)
        let s = MonitorSnapshot(time: time, level: level, inferencesAtLevel: inferencesAtLevel, latencyP95: f.p95,
                                energyPerInference: f.energy, averagePower: f.power, accuracy: f.accuracy, agreement: f.agreement)
        guard let d = controller.observe(s) else { return nil }
        XCTAssertEqual(d.from, level, "decision starts from the level in force")
        decisions.append((d, totalInferences))
        level = d.to
        inferencesAtLevel = 0
        return d
    }

    /// Steps until a decision comes or `limit` steps pass.
    @discardableResult
    func run(steps limit: Int, inferences: Int = 10, seconds: Double = 0.1, _ world: (Int) -> CtrlFigures) -> [SwitchDecision] {
        var out: [SwitchDecision] = []
        for _ in 0..<limit { if let d = step(inferences: inferences, seconds: seconds, world) { out.append(d) } }
        return out
    }
}

/// Deterministic noise in [-1, 1).
struct CtrlNoise {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> Double {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Double(state >> 11) / Double(1 << 52) - 1
    }
}

/// Latency in seconds for a level, from milliseconds per level and a load factor.
func ctrlLatency(_ ms: [Double], _ level: Int, load: Double = 1) -> Double { ms[level] * load * 1e-3 }

func ctrlAssertThrows(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing '\(fragment)'", file: file, line: line)
    } catch let e as EdgePruneError {
        XCTAssertTrue(e.description.contains(fragment), "'\(e.description)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertFalse(e.description.contains("\n"), "error spans lines", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
