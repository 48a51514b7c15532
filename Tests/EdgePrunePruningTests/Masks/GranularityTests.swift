import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

final class GranularityTests: XCTestCase {
    func testParsesEveryForm() throws {
        XCTAssertEqual(try Granularity(parsing: "unstructured"), .unstructured)
        XCTAssertEqual(try Granularity(parsing: "channel"), .channel)
        XCTAssertEqual(try Granularity(parsing: "block:16x1"), .block(rows: 16, cols: 1))
        XCTAssertEqual(try Granularity(parsing: "block:1x4"), .block(rows: 1, cols: 4))
        XCTAssertEqual(try Granularity(parsing: "nm:2:4"), .nm(n: 2, m: 4))
        XCTAssertEqual(try Granularity(parsing: "nm:4:8").description, "nm:4:8")
    }

    func testRejectsMalformed() {
        for bad in ["", "blocks:4x1", "block:1x1", "block:0x4", "block:4", "block:4x1x1", "nm:4:4", "nm:0:4", "nm:2", "nm:a:b", "channel:2"] {
            XCTAssertThrowsError(try Granularity(parsing: bad), bad)
        }
    }

    func testBlockGroupsTileTheMatrixWithEdgeBlocks() {
        let layer = PrunableLayer(node: "fc", opType: "Gemm", weight: "W", rows: 5, cols: 3, transposed: false,
                                  kernelSize: 1, groups: 1, input: "x")
        let g = WeightGroups.make(layer, blockRows: 2, blockCols: 2)
        XCTAssertEqual(g.count, 3 * 2)  // ceil(5/2) x ceil(3/2)
        XCTAssertEqual(Set(g.elements.map(Int.init)), Set(0..<15))  // every weight exactly once
        XCTAssertEqual(g.elements.count, 15)
        XCTAssertEqual(Array(g.members(0)).map(Int.init), [0, 1, 3, 4])  // rows 0-1, cols 0-1
        XCTAssertEqual(g.size(5), 1)  // row 4, col 2
    }

    func testTransposedLayersIndexByOutputUnit() {
        let layer = PrunableLayer(node: "mm", opType: "MatMul", weight: "W", rows: 3, cols: 2, transposed: true,
                                  kernelSize: 1, groups: 1, input: "x")
        // W stored [inputs=2, outputs=3]: element (row 1, col 1) is at 1*3 + 1.
        XCTAssertEqual(layer.index(row: 1, col: 1), 4)
        XCTAssertEqual(Array(WeightGroups.make(layer, blockRows: 1, blockCols: 2).members(2)).map(Int.init), [2, 5])
    }
}
