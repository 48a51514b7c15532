import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

final class PrunableLayerTests: XCTestCase {
    func testFindsTheDigitsCNNLayersWithTheirMatrixShapes() throws {
        let layers = PrunableLayers.find(try PruningTestKit.model("digits_cnn"))
        XCTAssertEqual(layers.map(\.opType), ["Conv", "Conv", "Gemm", "Gemm"])
        XCTAssertEqual(layers.map(\.rows), [16, 32, 64, 10])
        XCTAssertEqual(layers.map(\.cols), [9, 16 * 9, 512, 64])
        XCTAssertEqual(layers[1].kernelSize, 9)
        XCTAssertEqual(layers[1].inputChannel(row: 0, col: 18), 2)
    }

    func testProtectsFirstAndLastByDefaultAndByName() throws {
        let layers = PrunableLayers.find(try PruningTestKit.model("digits_mlp"))
        let (pruned, protected) = try PrunableLayers.unprotected(layers, protect: nil)
        XCTAssertEqual(protected.map(\.weight), [layers[0].weight, layers[2].weight])
        XCTAssertEqual(pruned.map(\.weight), [layers[1].weight])
        XCTAssertEqual(try PrunableLayers.unprotected(layers, protect: []).pruned.count, 3)
        XCTAssertEqual(try PrunableLayers.unprotected(layers, protect: [layers[1].node]).pruned.map(\.weight),
                       [layers[0].weight, layers[2].weight])
    }

    func testProtectingAMissingLayerIsAnError() throws {
        let layers = PrunableLayers.find(try PruningTestKit.model("digits_mlp"))
        XCTAssertThrowsError(try PrunableLayers.unprotected(layers, protect: ["nope"])) {
            XCTAssertTrue("\($0)".contains("'nope'"), "\($0)")
        }
        XCTAssertThrowsError(try PrunableLayers.unprotected(layers, protect: layers.map(\.node)))
    }
}
