import XCTest
@testable import EdgePruneCore

final class NormalizationOpsTests: XCTestCase {
    func testBatchNormalizationInference() throws {
        let x = Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [1, 2, 2, 2])
        let scale = Tensor([2, 0.5], shape: [2]), bias = Tensor([1, -1], shape: [2])
        let mean = Tensor([2, 6], shape: [2]), variance = Tensor([4, 1], shape: [2])
        let y = try evaluate("BatchNormalization", [x, scale, bias, mean, variance], attributes: ["epsilon": .float(0)])[0]
        let want: [Float] = [0, 1, 2, 3, -1.5, -1, -0.5, 0]
        for (a, b) in zip(y.floats, want) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testInstanceNormalization() throws {
        let x = Tensor([1, 3, 10, 20], shape: [1, 2, 2])
        let y = try evaluate("InstanceNormalization", [x, Tensor([1, 2], shape: [2]), Tensor([0, 1], shape: [2])], attributes: ["epsilon": .float(0)])[0]
        let want: [Float] = [-1, 1, -1, 3]
        for (a, b) in zip(y.floats, want) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testParameterShapeChecked() {
        let x = Tensor(zeros: TensorType(.float32, [1, 3, 2]))
        let p = Tensor(zeros: TensorType(.float32, [2]))
        assertThrows("expected [3]") { _ = try evaluate("BatchNormalization", [x, p, p, p, p]) }
    }
}
