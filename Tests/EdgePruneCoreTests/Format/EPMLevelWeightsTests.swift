import Foundation
import XCTest
@testable import EdgePruneCore

/// Recovered per-level weights: a level with some uses them for its kept elements, the other
/// levels and the stored model are untouched, and they survive an .epm round trip.
final class EPMLevelWeightsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgeprune-levelw-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The EPMLadderTests model with level 2 re-fitted (it keeps the last six elements).
    static func recovered() -> Graph {
        var g = EPMLadderTests.laddered()
        g.ladder!.levelWeights = [2: ["W": [70, 80, 90, 100, 110, 120], "b": [1, 2, 3, 4]]]
        return g
    }

    func testARecoveredLevelUsesItsValuesAndNoOtherLevelChanges() throws {
        let g = Self.recovered()
        XCTAssertEqual(try g.atLadderLevel(2).initializers["W"]!.floats, [0, 0, 0, 0, 0, 0, 70, 80, 90, 100, 110, 120])
        XCTAssertEqual(try g.atLadderLevel(2).initializers["b"]!.floats, [1, 2, 3, 4])
        XCTAssertEqual(try g.atLadderLevel(1).initializers["b"]!.floats, [0, 0, 0, 0])
        XCTAssertEqual(try g.atLadderLevel(1).initializers["W"]!.floats, [0, 0, 0] + (4...12).map { Float($0) })
        XCTAssertEqual(try g.atLadderLevel(0).initializers["W"]!.floats, (1...12).map { Float($0) })
    }

    func testRecoveredWeightsRoundTripThroughEPM() throws {
        let p = dir.appendingPathComponent("r.epm").path
        try EPMWriter.write(Self.recovered(), to: p)
        let g = try EPMReader.load(p)
        XCTAssertEqual(g.ladder, Self.recovered().ladder)
        XCTAssertEqual(try g.atLadderLevel(2).initializers["W"]!.floats.suffix(6), [70, 80, 90, 100, 110, 120])
        // A ladder without recovered weights writes no level-weights section (files stay as before).
        let plain = dir.appendingPathComponent("p.epm").path
        try EPMWriter.write(EPMLadderTests.laddered(), to: plain)
        XCTAssertEqual(try EPMReader.load(plain).ladder?.levelWeights, [:])
    }

    /// A level that keeps no element of a weight stores an empty list.
    func testALevelKeepingNothingOfAWeightRoundTrips() throws {
        var g = EPMLadderTests.laddered()
        g.ladder!.codes["W"] = [Array(repeating: UInt8(2), count: 12)].flatMap { $0 }
        g.ladder!.levelWeights = [2: ["W": [], "b": [1, 2, 3, 4]]]
        let p = dir.appendingPathComponent("empty.epm").path
        try EPMWriter.write(g, to: p)
        XCTAssertEqual(try EPMReader.load(p).ladder, g.ladder)
    }

    func testRecoveredWeightsThatDoNotFitAreRejectedAtLoad() throws {
        let cases: [(String, [Int: [String: [Float]]])] = [
            ("the level keeps 6", [2: ["W": [1, 2, 3]]]),
            ("outside the ladder's levels", [3: ["W": [1]]]),
            ("outside the ladder's levels", [0: ["W": (1...12).map { Float($0) }]]),
            ("neither a coded weight", [1: ["b": [1, 2, 3]]]),
            ("neither a coded weight", [1: ["missing": [1]]]),
            ("is inf", [1: ["b": [1, 2, 3, .infinity]]]),
            ("is nan", [2: ["W": [1, 2, 3, 4, 5, .nan]]]),
        ]
        for (fragment, weights) in cases {
            var g = EPMLadderTests.laddered()
            g.ladder!.levelWeights = weights
            let p = dir.appendingPathComponent("bad-\(UUID().uuidString).epm").path
            try EPMWriter.write(g, to: p)
            XCTAssertThrowsError(try EPMReader.load(p), fragment) { XCTAssertTrue("\($0)".contains(fragment), "\($0)") }
        }
    }

    func testTruncatingALadderDropsTheRecoveredWeightsOfRemovedLevels() {
        var ladder = Self.recovered().ladder!
        ladder.levelWeights[1] = ["W": (4...12).map { Float($0) }]
        let cut = ladder.truncated(to: 1)
        XCTAssertEqual(cut.topLevel, 1)
        XCTAssertEqual(Array(cut.levelWeights.keys), [1])
        XCTAssertEqual(cut.codes["W"], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }
}
