import XCTest
@testable import QuantCore

final class JSONParserTests: XCTestCase {
    func testParsesAndKeepsKeyOrder() throws {
        let value = try JSONParser.parse(#"{"z": 1, "a": [true, null, -1.5e3, "x\u00e9\n"], "m": {}}"#)
        XCTAssertEqual(value.objectValue?.map(\.key), ["z", "a", "m"])
        XCTAssertEqual(value["a"], .array([.bool(true), .null, .number("-1.5e3"), .string("xé\n")]))
        XCTAssertEqual(value["z"]?.intValue, 1)
    }

    func testRejectsWhatStrictJSONRejects() {
        for bad in ["{", "{\"a\":1,}", "[1 2]", "01", "{'a': 1}", "\"\u{01}\"", "[1] x", "{\"a\":1,\"a\":2}", "nul"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testErrorOffsets() {
        do {
            _ = try JSONParser.parse("{\"a\": 1, \"a\": 2}")
            XCTFail("duplicate accepted")
        } catch {
            XCTAssertEqual(error.offset, 9)
            XCTAssertEqual(error.message, "duplicate key \"a\"")
        }
    }

    func testWriterRoundTrips() throws {
        let value: JSONValue = .object([("b", .int(1)), ("a", .array([.double(0.1), .string("q\"\u{1}"), .null])), ("e", .object([]))])
        for pretty in [true, false] {
            XCTAssertEqual(try JSONParser.parse(JSONWriter.write(value, pretty: pretty)), value)
        }
    }
}
