import XCTest
@testable import QuantCore

final class SafetensorsReaderTests: XCTestCase {
    let folder = TemporaryFolder()

    func testReadsTensorsShapesOffsetsAndMetadata() throws {
        let values: [Float] = (0..<12).map { Float($0) * 0.5 - 2 }
        let path = folder.write("m.safetensors", Safetensors.file(tensors: [("a.weight", [3, 4], values), ("a.bias", [3], [1, 2, 3])], metadata: ["format": "pt"]))
        let model = try Model.open(path: path)
        XCTAssertEqual(model.format, .safetensors)
        XCTAssertEqual(model.tensors.map(\.name), ["a.weight", "a.bias"])
        XCTAssertEqual(model.tensors[0].shape, [3, 4])
        XCTAssertEqual(model.tensors[0].byteCount, 48)
        XCTAssertEqual(model.parameterCount, 15)
        XCTAssertEqual(model.metadata, [MetadataEntry(key: "format", value: .string("pt"))])
        XCTAssertEqual(try model.weights(of: model.tensors[0]).toArray(), values)
        XCTAssertEqual(try model.weights(of: model.tensors[1]).toArray(), [1, 2, 3])
        // The data offset is absolute: header length field + header + begin.
        let headerLength = Int(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertEqual(model.tensors[1].dataOffset, 8 + headerLength + 48)
    }

    func testDecodesEveryByteSizedDType() throws {
        // One value list per dtype, stored by hand, decoded to f32.
        var data: [UInt8] = []
        var entries: [String] = []
        func add(_ name: String, _ dtype: String, _ bytes: [UInt8], count: Int) {
            entries.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(count)],\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
            data += bytes
        }
        func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } } }
        add("f64", "F64", le([Double(1.5).bitPattern, Double(-2.25).bitPattern]), count: 2)
        add("f32", "F32", le([Float(3.5).bitPattern]), count: 1)
        add("f16", "F16", le([Float16(0.333).bitPattern, Float16(-65504).bitPattern, UInt16(0x0001)]), count: 3)
        add("bf16", "BF16", le([UInt16(0x3FC0), UInt16(0xC040)]), count: 2) // 1.5, -3
        add("e4m3", "F8_E4M3", [0x38, 0x7E, 0xFE, 0x01, 0x7F], count: 5) // 1, 448, -448, 2^-9, NaN
        add("e5m2", "F8_E5M2", [0x3C, 0x7B, 0x7C, 0x01], count: 4) // 1, 57344, inf, 2^-16
        add("e8m0", "F8_E8M0", [127, 130, 0xFF], count: 3)
        add("i64", "I64", le([Int64(-7), Int64(1 << 40)]), count: 2)
        add("i32", "I32", le([Int32(-5)]), count: 1)
        add("i16", "I16", le([Int16(-300)]), count: 1)
        add("i8", "I8", [0xFF], count: 1)
        add("u64", "U64", le([UInt64(9)]), count: 1)
        add("u32", "U32", le([UInt32(4_000_000_000)]), count: 1)
        add("u16", "U16", le([UInt16(65535)]), count: 1)
        add("u8", "U8", [200], count: 1)
        add("bool", "BOOL", [0, 1, 2], count: 3)
        let path = folder.write("dtypes.safetensors", Safetensors.file(header: "{" + entries.joined(separator: ",") + "}", data: data))
        let model = try Model.open(path: path)
        func values(_ name: String) throws -> [Float] { try model.weights(of: model.tensor(named: name)!).toArray() }
        XCTAssertEqual(try values("f64"), [1.5, -2.25])
        XCTAssertEqual(try values("f32"), [3.5])
        XCTAssertEqual(try values("f16"), [Float(Float16(0.333)), -65504, Float(Float16(bitPattern: 1))])
        XCTAssertEqual(try values("bf16"), [1.5, -3])
        let e4m3 = try values("e4m3")
        XCTAssertEqual(Array(e4m3.prefix(4)), [1, 448, -448, 0.001953125])
        XCTAssertTrue(e4m3[4].isNaN)
        XCTAssertEqual(try values("e5m2"), [1, 57344, .infinity, 1.0 / 65536])
        let e8m0 = try values("e8m0")
        XCTAssertEqual(Array(e8m0.prefix(2)), [1, 8])
        XCTAssertTrue(e8m0[2].isNaN)
        XCTAssertEqual(try values("i64"), [-7, Float(1 << 40)])
        XCTAssertEqual(try values("i32"), [-5])
        XCTAssertEqual(try values("i16"), [-300])
        XCTAssertEqual(try values("i8"), [-1])
        XCTAssertEqual(try values("u64"), [9])
        XCTAssertEqual(try values("u32"), [4_000_000_000])
        XCTAssertEqual(try values("u16"), [65535])
        XCTAssertEqual(try values("u8"), [200])
        XCTAssertEqual(try values("bool"), [0, 1, 1])
    }

    func testSubByteTypesAreListedButRefusedClearly() throws {
        let header = "{\"packed\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]}}"
        let path = folder.write("f4.safetensors", Safetensors.file(header: header, data: [0x12, 0x34]))
        let model = try Model.open(path: path)
        XCTAssertEqual(model.tensors[0].dtype, .f4)
        XCTAssertEqual(model.tensors[0].byteCount, 2)
        XCTAssertFalse(model.tensors[0].dtype.isDecodable)
        XCTAssertThrowsError(try model.weights(of: model.tensors[0])) { error in
            XCTAssertTrue("\(error)".contains("F4, which quantscope cannot decode"), "\(error)")
        }
    }

    // MARK: - Bad input: each file is built here and must give a clear error naming the problem.

    func assertOpenFails(_ name: String, _ bytes: [UInt8], _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        let path = folder.write(name, bytes)
        guard let message = openError(path) else { return XCTFail("\(name) opened without error", file: file, line: line) }
        XCTAssertTrue(message.hasPrefix(path + ": "), "message should start with the path: \(message)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment), "\(message) should contain \(fragment)", file: file, line: line)
        }
    }

    func testZeroByteFile() {
        assertOpenFails("empty.safetensors", [], "file is empty")
    }

    func testFileShorterThanHeaderLength() {
        assertOpenFails("short.safetensors", [1, 2, 3], "truncated", "at byte 0")
    }

    func testHeaderLengthBeyondFile() {
        var b = Bytes(); b.u64(1000); b.string("{}")
        assertOpenFails("long.safetensors", b.data, "header length 1000 runs past the end of the file", "at byte 0")
    }

    func testHeaderLengthBeyondSaneCap() {
        var b = Bytes(); b.u64(UInt64(1) << 40); b.string("{}")
        assertOpenFails("huge.safetensors", b.data, "exceeds the 100 MB limit")
    }

    func testInvalidHeaderJSON() {
        assertOpenFails("bad.safetensors", Safetensors.file(header: "{\"a\": {\"dtype\": }", data: []), "invalid header JSON", "unexpected character", "at byte 24")
    }

    func testDuplicateTensorNames() {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"
        assertOpenFails("dup.safetensors", Safetensors.file(header: header, data: [UInt8](repeating: 0, count: 8)), "duplicate key \"w\"")
    }

    func testDataOffsetsBeyondFile() {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"
        assertOpenFails("beyond.safetensors", Safetensors.file(header: header, data: [0, 0, 0, 0]), "tensor w", "run past the end of the data section (4 bytes)")
    }

    func testOverlappingTensors() {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}"
        assertOpenFails("overlap.safetensors", Safetensors.file(header: header, data: [UInt8](repeating: 0, count: 12)), "tensor b overlaps")
    }

    func testGapInDataSection() {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}"
        assertOpenFails("gap.safetensors", Safetensors.file(header: header, data: [UInt8](repeating: 0, count: 12)), "4 bytes of the data section belong to no tensor")
    }

    func testTrailingBytesAfterLastTensor() {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        assertOpenFails("trailing.safetensors", Safetensors.file(header: header, data: [UInt8](repeating: 0, count: 9)), "5 bytes after the last tensor")
    }

    func testUnknownDType() {
        let header = "{\"a\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        assertOpenFails("dtype.safetensors", Safetensors.file(header: header, data: [0, 0, 0, 0]), "tensor a: unknown dtype \"F12\"")
    }

    func testShapeWhoseElementCountOverflows() {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}"
        assertOpenFails("overflow.safetensors", Safetensors.file(header: header, data: [0, 0, 0, 0]), "too many elements")
    }

    func testShapeDisagreesWithByteRange() {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}"
        assertOpenFails("mismatch.safetensors", Safetensors.file(header: header, data: [UInt8](repeating: 0, count: 20)), "needs 24 bytes but data_offsets give 20")
    }

    func testNegativeOrFractionalShapeEntries() {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}"
        assertOpenFails("negative.safetensors", Safetensors.file(header: header, data: [0, 0, 0, 0]), "not a non-negative integer")
    }

    func testHeaderThatIsNotAnObject() {
        assertOpenFails("array.safetensors", Safetensors.file(header: "[1, 2]", data: []), "header JSON is an array")
    }

    func testControlCharactersInNamesAreEscaped() {
        let header = "{\"evil\\u001b[2J\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        let path = folder.write("escape.safetensors", Safetensors.file(header: header, data: [0, 0, 0, 0]))
        let message = openError(path) ?? ""
        XCTAssertTrue(message.contains("evil\\x1b[2J"), message)
        XCTAssertFalse(message.contains("\u{1B}"), message)
    }

    func testEveryTruncationFailsCleanly() {
        let bytes = Safetensors.file(tensors: [("w", [2, 2], [1, 2, 3, 4]), ("b", [2], [5, 6])])
        for length in 0..<bytes.count {
            let path = folder.write("t\(length).safetensors", Array(bytes.prefix(length)))
            XCTAssertNotNil(openError(path), "a file truncated to \(length) bytes opened")
        }
    }

    func testOpeningNeverChangesTheFile() throws {
        let bytes = Safetensors.file(tensors: [("w", [2], [1, 2])])
        let path = folder.write("ro.safetensors", bytes)
        let model = try Model.open(path: path)
        _ = StatsComputer.compute(try model.weights(of: model.tensors[0]))
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), bytes)
    }
}
