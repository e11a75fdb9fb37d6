import Testing
@testable import QuantCore

@Suite struct JSONParserTests {
    @Test func parsesAndKeepsKeyOrder() throws {
        let value = try JSONParser.parse(#"{"z": 1, "a": [true, null, -1.5e3, "x\u00e9\n"], "m": {}}"#)
        #expect(value.objectValue?.map(\.key) == ["z", "a", "m"])
        #expect(value["a"] == .array([.bool(true), .null, .number("-1.5e3"), .string("xé\n")]))
        #expect(value["z"]?.intValue == 1)
    }

    @Test(arguments: ["{", "{\"a\":1,}", "[1 2]", "01", "{'a': 1}", "\"\u{01}\"", "[1] x", "{\"a\":1,\"a\":2}", "nul",
                      String(repeating: "[", count: 100) + String(repeating: "]", count: 100)])
    func rejectsWhatStrictJSONRejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func reportsTheOffsetOfADuplicateKey() {
        do {
            _ = try JSONParser.parse("{\"a\": 1, \"a\": 2}")
            Issue.record("duplicate key accepted")
        } catch {
            #expect(error.offset == 9)
            #expect(error.message == "duplicate key \"a\"")
        }
    }

    @Test(arguments: [true, false])
    func writerOutputParsesBackToTheSameValue(pretty: Bool) throws {
        let value: JSONValue = .object([("b", .int(1)), ("a", .array([.double(0.1), .string("q\"\u{1}"), .null])), ("e", .object([]))])
        #expect(try JSONParser.parse(JSONWriter.write(value, pretty: pretty)) == value)
    }
}
