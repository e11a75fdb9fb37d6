import XCTest
@testable import QuantCore

/// Known-answer tests against ggml's own quantisers (Fixtures/ggml-quants): bytes, dequantised floats and error statistics.
final class GGMLBlockCodecTests: XCTestCase {
    static let fixtureTypes: [GGMLType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs]

    func encode(_ type: GGMLType, _ x: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: x.count / type.blockSize * type.blockBytes)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                GGMLBlockCodec.encode(type, from: src.baseAddress!, count: x.count, into: dst.baseAddress!)
            }
        }
        return out
    }

    func decode(_ type: GGMLType, _ bytes: [UInt8], count: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                GGMLBlockCodec.decode(type, from: src.baseAddress!, count: count, into: dst.baseAddress!)
            }
        }
        return out
    }

    /// Encodes every input and compares with ggml's bytes; reports the first differing block.
    func checkEncode(_ type: GGMLType, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(GGMLBlockCodec.canEncode(type))
        for name in GGMLFixtures.inputNames {
            let x = try GGMLFixtures.input(name)
            let expected = try GGMLFixtures.quantized(type.name, name)
            let got = encode(type, x)
            XCTAssertEqual(got.count, expected.count, "\(type.name)/\(name): size", file: file, line: line)
            if got != expected {
                let bb = type.blockBytes
                let blocks = expected.count / bb
                let bad = (0..<blocks).filter { got[($0 * bb)..<(($0 + 1) * bb)] != expected[($0 * bb)..<(($0 + 1) * bb)] }
                let first = bad.first ?? -1
                let firstByte = (0..<bb).first { got[first * bb + $0] != expected[first * bb + $0] } ?? -1
                XCTFail("\(type.name)/\(name): \(bad.count) of \(blocks) blocks differ; first block \(first) (row \(first / (512 / type.blockSize))), byte \(firstByte): got \(got[first * bb + firstByte]) expected \(expected[first * bb + firstByte])",
                        file: file, line: line)
            }
        }
    }

    /// Decodes ggml's bytes and compares the float bit patterns (via sha256) and the error statistics with index.json.
    func checkDecode(_ type: GGMLType, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(GGMLBlockCodec.canDecode(type))
        for name in GGMLFixtures.inputNames {
            let x = try GGMLFixtures.input(name)
            let bytes = try GGMLFixtures.quantized(type.name, name)
            let y = decode(type, bytes, count: x.count)
            guard let ref = GGMLFixtures.results["\(type.name)/\(name)"] else {
                XCTFail("\(type.name)/\(name): missing from index.json", file: file, line: line)
                continue
            }
            XCTAssertEqual(SHA256.hex(y), ref.dequantSHA256, "\(type.name)/\(name): dequantised floats differ", file: file, line: line)
            var se = 0.0, sx = 0.0, maxAbs = 0.0
            for i in 0..<x.count {
                let e = Double(y[i]) - Double(x[i])
                se += e * e
                sx += Double(x[i]) * Double(x[i])
                maxAbs = max(maxAbs, abs(e))
            }
            let mse = se / Double(x.count)
            let sqnr = 10 * log10(sx / se)
            XCTAssertEqual(maxAbs, ref.maxAbsErr, "\(type.name)/\(name): max_abs_err", file: file, line: line)
            XCTAssertEqual(mse, ref.mse, accuracy: abs(ref.mse) * 1e-9, "\(type.name)/\(name): mse", file: file, line: line)
            XCTAssertEqual(sqnr, ref.sqnrDB, accuracy: 1e-9 + abs(ref.sqnrDB) * 1e-9, "\(type.name)/\(name): sqnr", file: file, line: line)
        }
    }

    func testFixturesArePresentAndIntact() throws {
        XCTAssertEqual(GGMLFixtures.results.count, 72)
        for name in GGMLFixtures.inputNames {
            let bytes = [UInt8](try GGMLFixtures.data("inputs/\(name).f32"))
            XCTAssertEqual(SHA256.hex(bytes), GGMLFixtures.inputSHA256[name], name)
            for type in Self.fixtureTypes {
                let q = try GGMLFixtures.quantized(type.name, name)
                XCTAssertEqual(SHA256.hex(q), GGMLFixtures.results["\(type.name)/\(name)"]?.quantSHA256, "\(type.name)/\(name)")
            }
        }
    }

    func testQ8_0() throws { try checkEncode(.q8_0); try checkDecode(.q8_0) }
    func testQ4_0() throws { try checkEncode(.q4_0); try checkDecode(.q4_0) }
    func testQ4_1() throws { try checkEncode(.q4_1); try checkDecode(.q4_1) }
    func testQ5_0() throws { try checkEncode(.q5_0); try checkDecode(.q5_0) }
    func testQ5_1() throws { try checkEncode(.q5_1); try checkDecode(.q5_1) }
    func testQ2_K() throws { try checkEncode(.q2_K); try checkDecode(.q2_K) }
    func testQ3_K() throws { try checkEncode(.q3_K); try checkDecode(.q3_K) }
    func testQ4_K() throws { try checkEncode(.q4_K); try checkDecode(.q4_K) }
    func testQ5_K() throws { try checkEncode(.q5_K); try checkDecode(.q5_K) }
    func testQ6_K() throws { try checkEncode(.q6_K); try checkDecode(.q6_K) }
    func testIQ4_NL() throws { try checkEncode(.iq4_nl); try checkDecode(.iq4_nl) }
    func testIQ4_XS() throws { try checkEncode(.iq4_xs); try checkDecode(.iq4_xs) }
}
