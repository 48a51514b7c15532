import XCTest
@testable import EdgePruneCore

final class NPYTests: XCTestCase {
    func testRoundTripAndHeaderAlignment() throws {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let bytes = NPY.encode(t)
        let headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLen) % 64, 0)
        let back = try NPY.decode(bytes)
        XCTAssertEqual(back.shape, [2, 3])
        XCTAssertEqual(back.floats, t.floats)
        let ints = try NPY.decode(NPY.encode(Tensor(int64: [7, -1], shape: [2])))
        XCTAssertEqual(ints.asInts(), [7, -1])
    }

    func testRejectsBadFiles() {
        assertThrows("bad magic") { _ = try NPY.decode(Array("hello world, not numpy".utf8)) }
        var bytes = NPY.encode(Tensor([1, 2, 3], shape: [3]))
        bytes.removeLast(4)
        assertThrows("shorter than shape") { _ = try NPY.decode(bytes) }
        var header = NPY.encode(Tensor([1], shape: [1]))
        if let i = header.firstIndex(of: UInt8(ascii: "<")) { header[i] = UInt8(ascii: ">") }
        assertThrows("unsupported .npy dtype") { _ = try NPY.decode(header) }
    }
}
