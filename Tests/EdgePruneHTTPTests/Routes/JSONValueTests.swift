@testable import EdgePruneHTTP
import XCTest

final class JSONValueTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    private func error(_ bytes: [UInt8]) -> JSONValue.SyntaxError? {
        do {
            _ = try JSONValue.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    private func error(_ text: String) -> JSONValue.SyntaxError? { error(Array(text.utf8)) }

    func testParsesValuesKeepingNumberTextAndMemberOrder() throws {
        let v = try parse(#" {"b": [1, -2.5e3, 0, true, false, null], "a": {"s": "x\"\\\/\n\u00e9\ud83d\ude00"}} "#)
        XCTAssertEqual(v, .object([
            ("b", .array([.number("1"), .number("-2.5e3"), .number("0"), .bool(true), .bool(false), .null])),
            ("a", .object([("s", .string("x\"\\/\né😀"))])),
        ]))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("{}"), .object([]))
        XCTAssertEqual(try parse("\"\""), .string(""))
    }

    func testSyntaxErrorsSayWhatAndWhere() {
        XCTAssertEqual(error("{\"id\": 1,\n \"label\" 2}"),
                       JSONValue.SyntaxError(message: "unexpected '2', expected ':'", line: 2, column: 10))
        XCTAssertEqual(error(#"{"id": 1"#)?.message, "unexpected end of the body, expected ',' or '}'")
        XCTAssertEqual(error(#"{"id": 1} x"#)?.message, "unexpected 'x' after the JSON value")
        XCTAssertEqual(error(#"{"id": 1, "id": 2}"#)?.message, "duplicate key 'id'")
        XCTAssertEqual(error(#"{id: 1}"#)?.message, "unexpected 'i', expected a member name in double quotes")
        XCTAssertEqual(error("[1,]")?.message, "unexpected ']', expected a value")
        XCTAssertEqual(error("[tru]")?.message, "unexpected 't', expected a value")
        XCTAssertEqual(error("\"abc")?.message, "unterminated string")
        XCTAssertEqual(error("\"a\tb\"")?.message, "control character 0x9 in a string; escape it")
        XCTAssertEqual(error(#""\x""#)?.message, "invalid escape '\\x' in a string")
        XCTAssertEqual(error(#""\ud83d""#)?.message, "a high surrogate \\u escape must be followed by a low one")
        XCTAssertEqual(error([0x22, 0xC3, 0x28, 0x22])?.message, "a string is not valid UTF-8")
        XCTAssertEqual(error([0x22, 0xF0, 0x9F, 0x98, 0x22])?.message, "a string is not valid UTF-8")
    }

    func testNumbersFollowTheJSONGrammar() throws {
        for good in ["0", "-0", "12", "1.5", "1e3", "1E+3", "-2.5e-3"] {
            XCTAssertEqual(try parse(good), .number(good), good)
        }
        for bad in ["01", "-", "1.", ".5", "1e", "+1", "1.e3"] {
            XCTAssertNotNil(error(bad), bad)
        }
    }

    func testNestingIsLimited() {
        let ok = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        XCTAssertNil(error(ok))
        // A deep body must be an error, not a stack overflow.
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertEqual(error(deep)?.message, "nesting deeper than \(JSONValue.maxDepth) levels")
    }
}
