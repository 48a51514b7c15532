import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

final class InformationScoresTests: XCTestCase {
    /// Deterministic pseudo-random values in [0, 1).
    func noise(_ n: Int, seed: UInt64) -> [Float] { EvaluationTestKit.values(n, seed: seed).map { ($0 + 1) / 2 } }

    func testAnInformativeUnitCarriesMoreInformationThanNoise() {
        let n = 1000, classes = 4
        let labels = (0..<n).map { $0 % classes }
        let informative = zip(labels, noise(n, seed: 1)).map { Float($0) + 0.8 * $1 }  // label plus jitter
        let pure = noise(n, seed: 2)
        let iInformative = InformationScores.mutualInformation(informative, labels: labels, classes: classes)
        let iNoise = InformationScores.mutualInformation(pure, labels: labels, classes: classes)
        XCTAssertGreaterThan(iInformative, 1.5, "close to log2(4) = 2 bits")
        XCTAssertLessThan(iNoise, 0.05, "noise is nearly independent of the label")
    }

    func testConstantAndMostlyZeroUnitsAreHandled() {
        let labels = (0..<200).map { $0 % 2 }
        XCTAssertEqual(InformationScores.mutualInformation(Array(repeating: 0, count: 200), labels: labels, classes: 2), 0)
        // A ReLU-like unit: zero for class 0, positive for class 1 -> one bit.
        let relu = labels.enumerated().map { i, y in y == 0 ? Float(0) : 1 + Float(i % 7) }
        XCTAssertEqual(InformationScores.mutualInformation(relu, labels: labels, classes: 2), 1, accuracy: 0.05)
    }

    /// Through the whole scoring path: a layer reading an informative and a noise feature ranks
    /// the informative input's weights above the noise input's, with equal weights.
    func testIBWeightScoresRankTheInformativeInputFirst() throws {
        let n = 300
        let labels = (0..<n).map { $0 % 3 }
        let jitter = noise(n, seed: 3), pure = noise(n, seed: 4)
        var x: [Float] = []
        for i in 0..<n { x += [Float(labels[i]) + 0.5 * jitter[i], pure[i]] }
        let g = EvaluationTestKit.gemm([1, 1, 1, 1, 1, 1], outputs: 3, inputs: 2, bias: [0, 0, 0])
        let data = try CalibrationData(inputs: Tensor(x, shape: [n, 2]), labels: labels, for: g)
        let layers = PrunableLayers.find(g)
        let s = try WeightScores.compute(.ib, graph: g, layers: layers, data: data)["W"]!
        for r in 0..<3 { XCTAssertGreaterThan(s[r * 2], 10 * s[r * 2 + 1], "row \(r): \(s)") }
    }
}
