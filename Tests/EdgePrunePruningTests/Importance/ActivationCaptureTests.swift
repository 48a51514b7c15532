import XCTest
import EdgePruneCore
@testable import EdgePrunePruning

final class ActivationCaptureTests: XCTestCase {
    func testStatisticsMatchAHandComputation() throws {
        // y = relu(x W^T), read back as the activation the next layer would see.
        var g = EvaluationTestKit.gemm([1, -1, -1, 1], outputs: 2, inputs: 2, bias: [0, 0])
        g.nodes.append(Node(name: "act", opType: "Relu", inputs: ["y"], outputs: ["h"]))
        g.outputs = [ValueInfo(name: "h", dtype: .float32, dims: [.symbolic("N"), .fixed(2)])]
        let x: [Float] = [1, 0, 0, 2, 3, 1]  // samples (1,0), (0,2), (3,1)
        let data = try CalibrationData(inputs: Tensor(x, shape: [3, 2]), labels: nil, for: g)
        let stats = try ActivationCapture.collect(g, values: ["y", "x"], data: data, batch: 2)
        // y = (1,-1), (-2,2), (2,-2)
        let y = try XCTUnwrap(stats["y"])
        XCTAssertEqual(y.meanAbs[0], 5.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(y.sampleMeans, [1, -1, -2, 2, 2, -2])
        let xin = try XCTUnwrap(stats["x"])  // the model input itself
        XCTAssertEqual(xin.zeroFraction, [1.0 / 3, 1.0 / 3])
        XCTAssertEqual(xin.meanAbs[1], 1, accuracy: 1e-9)
    }

    func testCalibrationDataIsCheckedAgainstTheModel() throws {
        let g = try PruningTestKit.model("digits_mlp")
        let x = Tensor(zeros: TensorType(.float32, [4, 64]))
        XCTAssertThrowsError(try CalibrationData(inputs: Tensor(zeros: TensorType(.float32, [4, 63])), labels: nil, for: g)) {
            XCTAssertTrue("\($0)".contains("axis 1 must be 64"), "\($0)")
        }
        XCTAssertThrowsError(try CalibrationData(inputs: x, labels: [0, 1, 2], for: g)) {
            XCTAssertTrue("\($0)".contains("3 labels for 4"), "\($0)")
        }
        XCTAssertThrowsError(try CalibrationData(inputs: x, labels: [0, 1, 10, 2], for: g)) {
            XCTAssertTrue("\($0)".contains("label 10 at index 2"), "\($0)")
        }
        XCTAssertNoThrow(try CalibrationData(inputs: x, labels: [0, 1, 9, 2], for: g))
        for bad in [Float.nan, .infinity] {
            let nonFinite = x.copy()
            nonFinite.pointer(as: Float.self)[2 * 64 + 5] = bad
            XCTAssertThrowsError(try CalibrationData(inputs: nonFinite, labels: nil, for: g)) {
                XCTAssertTrue("\($0)".contains("sample 2, element 5"), "\($0)")
            }
        }
    }
}
