import EdgePruneHTTP
import XCTest

final class ConstantTimeTests: XCTestCase {
    private let secret = Array("s3cret-token-with-32-characters!".utf8)

    func testEqualBytesMatch() {
        XCTAssertTrue(ConstantTime.equals(secret, secret))
        XCTAssertTrue(ConstantTime.equals([], []))
    }

    func testADifferenceAnywhereFails() {
        for position in [0, 1, secret.count / 2, secret.count - 1] {
            for bit in [0, 7] {
                var other = secret
                other[position] ^= UInt8(1 << bit)
                XCTAssertFalse(ConstantTime.equals(other, secret), "byte \(position) bit \(bit)")
            }
        }
    }

    func testDifferentLengthsFailWhateverTheirContent() {
        XCTAssertFalse(ConstantTime.equals(Array(secret.dropLast()), secret), "a prefix")
        XCTAssertFalse(ConstantTime.equals(secret + [0], secret), "the secret plus a NUL")
        XCTAssertFalse(ConstantTime.equals(secret + secret, secret), "the secret twice")
        XCTAssertFalse(ConstantTime.equals([], secret))
        XCTAssertFalse(ConstantTime.equals(secret, []))
        // Zero bytes past the presented end compare as 0; a secret ending in NULs must still
        // differ from its shorter prefix (the length is folded into the result).
        XCTAssertFalse(ConstantTime.equals([1, 2], [1, 2, 0, 0]))
        // A length difference that is a multiple of 256 must not cancel out.
        XCTAssertFalse(ConstantTime.equals([UInt8](repeating: 7, count: 256), []))
    }

    func testBearerTokenMatchesOnlyItself() throws {
        let token = try BearerToken(String(decoding: secret, as: UTF8.self))
        XCTAssertTrue(token.matches(secret))
        var wrong = secret
        wrong[wrong.count - 1] ^= 0x20
        XCTAssertFalse(token.matches(wrong))
        XCTAssertFalse(token.matches(Array(secret.dropLast())))
        XCTAssertFalse("\(token)".contains("s3cret"), "the description leaks the token")
    }
}
