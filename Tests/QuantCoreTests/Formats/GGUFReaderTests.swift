import XCTest
@testable import QuantCore

final class GGUFReaderTests: XCTestCase {
    let folder = TemporaryFolder()

    func sample() -> GGUFBuilder {
        var g = GGUFBuilder()
        g.addString("general.architecture", "llama")
        g.addU32("llama.block_count", 1)
        g.addF32Tensor("blk.0.ffn_up.weight", dims: [4, 3], values: (0..<12).map { Float($0) })
        g.addF32Tensor("output_norm.weight", dims: [4], values: [1, 1, 1, 1])
        return g
    }

    func testReadsShapesInPyTorchOrderAndData() throws {
        let path = folder.write("m.gguf", sample().build())
        let model = try Model.open(path: path)
        XCTAssertEqual(model.format, .gguf(version: 3))
        XCTAssertEqual(model.tensors.map(\.name), ["blk.0.ffn_up.weight", "output_norm.weight"])
        XCTAssertEqual(model.tensors[0].shape, [3, 4], "GGUF ne = [4, 3] is [3, 4] in PyTorch order")
        XCTAssertEqual(model.tensors[0].rowLength, 4)
        XCTAssertEqual(try model.weights(of: model.tensors[0]).toArray(), (0..<12).map { Float($0) })
        XCTAssertEqual(model.metadata.map(\.key), ["general.architecture", "llama.block_count"])
        XCTAssertEqual(model.metadata[1].value, .uint(1))
    }

    func testEveryMetadataTypeIncludingNestedArrays() throws {
        var g = GGUFBuilder(version: 2)
        g.metadata = [
            ("u8", { $0.u32(0); $0.u8(200) }), ("i8", { $0.u32(1); $0.u8(0xFF) }),
            ("u16", { $0.u32(2); $0.u16(60000) }), ("i16", { $0.u32(3); $0.u16(0xFFFE) }),
            ("u32", { $0.u32(4); $0.u32(4_000_000_000) }), ("i32", { $0.u32(5); $0.u32(0xFFFF_FFFD) }),
            ("f32", { $0.u32(6); $0.f32(0.5) }), ("bool", { $0.u32(7); $0.u8(1) }),
            ("str", { $0.u32(8); $0.ggufString("héllo") }),
            ("u64", { $0.u32(10); $0.u64(1 << 60) }), ("i64", { $0.u32(11); $0.u64(UInt64(bitPattern: -9)) }),
            ("f64", { $0.u32(12); $0.u64(Double(2.5).bitPattern) }),
            ("nested", { b in
                b.u32(9); b.u32(9); b.u64(2) // array of 2 arrays
                b.u32(4); b.u64(2); b.u32(1); b.u32(2) // [1, 2] u32
                b.u32(8); b.u64(1); b.ggufString("x") // ["x"]
            }),
        ]
        g.addF32Tensor("t", dims: [1], values: [0])
        let model = try Model.open(path: folder.write("types.gguf", g.build()))
        XCTAssertEqual(model.format, .gguf(version: 2))
        let values = Dictionary(uniqueKeysWithValues: model.metadata.map { ($0.key, $0.value) })
        XCTAssertEqual(values["u8"], .uint(200))
        XCTAssertEqual(values["i8"], .int(-1))
        XCTAssertEqual(values["u16"], .uint(60000))
        XCTAssertEqual(values["i16"], .int(-2))
        XCTAssertEqual(values["u32"], .uint(4_000_000_000))
        XCTAssertEqual(values["i32"], .int(-3))
        XCTAssertEqual(values["f32"], .float(0.5))
        XCTAssertEqual(values["bool"], .bool(true))
        XCTAssertEqual(values["str"], .string("héllo"))
        XCTAssertEqual(values["u64"], .uint(1 << 60))
        XCTAssertEqual(values["i64"], .int(-9))
        XCTAssertEqual(values["f64"], .float(2.5))
        XCTAssertEqual(values["nested"], .array(elementType: "array", count: 2, values: [
            .array(elementType: "u32", count: 2, values: [.uint(1), .uint(2)]),
            .array(elementType: "string", count: 1, values: [.string("x")]),
        ]))
    }

    func testLongArraysKeepAPreviewAndTheirCount() throws {
        var g = GGUFBuilder()
        g.metadata = [("tokenizer.ggml.tokens", { b in
            b.u32(9); b.u32(8); b.u64(1000)
            for i in 0..<1000 { b.ggufString("tok\(i)") }
        })]
        g.addF32Tensor("t", dims: [1], values: [0])
        let model = try Model.open(path: folder.write("tokens.gguf", g.build()))
        guard case let .array(type, count, values) = model.metadata[0].value else { return XCTFail("not an array") }
        XCTAssertEqual(type, "string")
        XCTAssertEqual(count, 1000)
        XCTAssertEqual(values.count, GGUFReader.arrayPreview)
        XCTAssertEqual(values.last, .string("tok\(GGUFReader.arrayPreview - 1)"))
    }

    func testAlignmentIsHonoured() throws {
        var g = sample()
        g.alignment = 64
        g.addU32("general.alignment", 64)
        let model = try Model.open(path: folder.write("a64.gguf", g.build()))
        XCTAssertEqual((model.tensors[0].dataOffset ?? 1) % 64, 0)
        XCTAssertEqual(try model.weights(of: model.tensors[1]).toArray(), [1, 1, 1, 1])
    }

    func testBlockTypesAreListedWithTheirSize() throws {
        var g = GGUFBuilder()
        g.tensors.append(("q", [64, 2], GGMLType.q8_0.rawValue, [UInt8](repeating: 0, count: 4 * 34)))
        g.tensors.append(("iq", [256], GGMLType.iq2_xxs.rawValue, [UInt8](repeating: 0, count: 66)))
        let model = try Model.open(path: folder.write("blocks.gguf", g.build()))
        XCTAssertEqual(model.tensors[0].dtype, .ggml(.q8_0))
        XCTAssertEqual(model.tensors[0].byteCount, 136)
        XCTAssertEqual(model.tensors[0].shape, [2, 64])
        XCTAssertEqual(model.tensors[1].dtype.name, "IQ2_XXS")
        XCTAssertFalse(model.tensors[1].dtype.isDecodable)
    }

    // MARK: - Bad input

    func assertOpenFails(_ bytes: [UInt8], _ fragments: String..., name: String = "bad.gguf", file: StaticString = #filePath, line: UInt = #line) {
        let path = folder.write(name, bytes)
        guard let message = openError(path) else { return XCTFail("opened without error", file: file, line: line) }
        XCTAssertTrue(message.hasPrefix(path + ": "), message, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment), "\(message) should contain \(fragment)", file: file, line: line)
        }
    }

    func testBadMagic() {
        var bytes = sample().build()
        bytes[0] = UInt8(ascii: "X")
        assertOpenFails(bytes, "not a GGUF file: bad magic", "at byte 0")
    }

    func testUnsupportedVersions() {
        var g = sample()
        g.version = 1
        assertOpenFails(g.build(), "GGUF version 1 is not supported")
        g.version = 4
        assertOpenFails(g.build(), "unsupported GGUF version 4")
    }

    func testAbsurdCounts() {
        var bytes = sample().build()
        bytes.replaceSubrange(8..<16, with: withUnsafeBytes(of: UInt64(1) << 50) { Array($0) })
        assertOpenFails(bytes, "tensor count 1125899906842624 is impossible", "at byte 8")
        bytes = sample().build()
        bytes.replaceSubrange(16..<24, with: withUnsafeBytes(of: UInt64.max) { Array($0) })
        assertOpenFails(bytes, "metadata count", "is impossible", "at byte 16")
    }

    func testStringLongerThanFile() {
        var bytes = sample().build()
        // The first key's length field is at byte 24.
        bytes.replaceSubrange(24..<32, with: withUnsafeBytes(of: UInt64(1) << 40) { Array($0) })
        assertOpenFails(bytes, "a metadata key claims 1099511627776 bytes", "at byte 24")
    }

    func testArrayLongerThanFile() {
        var g = GGUFBuilder()
        g.metadata = [("big", { b in b.u32(9); b.u32(4); b.u64(1 << 40) })]
        assertOpenFails(g.build(), "the value of big claims 1099511627776 elements")
    }

    func testUnknownValueAndTensorTypes() {
        var g = GGUFBuilder()
        g.metadata = [("k", { b in b.u32(13); b.u32(0) })]
        assertOpenFails(g.build(), "metadata k has unknown value type 13")
        var t = GGUFBuilder()
        t.tensors.append(("w", [4], 99, [UInt8](repeating: 0, count: 32)))
        assertOpenFails(t.build(), "tensor w has unknown ggml type id 99")
    }

    func testBadAlignment() {
        var g = sample()
        g.addU32("general.alignment", 48)
        assertOpenFails(g.build(), "general.alignment 48 is not a power of two")
    }

    func testTensorDataOutOfBounds() {
        var bytes = sample().build()
        bytes.removeLast(40)
        assertOpenFails(bytes, "tensor output_norm.weight", "run past the end of the file")
    }

    func testRowNotMultipleOfBlockSize() {
        var g = GGUFBuilder()
        g.tensors.append(("q", [48], GGMLType.q4_0.rawValue, [UInt8](repeating: 0, count: 36)))
        assertOpenFails(g.build(), "tensor q: row length 48 is not a multiple of the Q4_0 block size 32")
    }

    func testOverlappingAndGappedTensorOffsets() {
        var g = GGUFBuilder()
        g.addF32Tensor("a", dims: [16], values: [Float](repeating: 0, count: 16))
        g.addF32Tensor("b", dims: [8], values: [Float](repeating: 0, count: 8))
        g.offsetOverrides = [1: 32]
        assertOpenFails(g.build(), "tensor b: data offset 32 overlaps the previous tensor's data (expected 64)")
        g.addF32Tensor("c", dims: [8], values: [Float](repeating: 0, count: 8))
        g.addF32Tensor("d", dims: [16], values: [Float](repeating: 0, count: 16))
        g.offsetOverrides = [1: 64, 2: 128]
        assertOpenFails(g.build(), "tensor c: data offset 128 leaves a gap after the previous tensor's data (expected 96)")
    }

    func testTooManyDimensions() {
        var g = GGUFBuilder()
        g.tensors.append(("w", [1, 1, 1, 1, 1], 0, [0, 0, 0, 0]))
        assertOpenFails(g.build(), "tensor w has 5 dimensions")
    }

    func testDuplicateTensorNamesAndKeys() {
        var g = sample()
        g.addF32Tensor("output_norm.weight", dims: [1], values: [0])
        assertOpenFails(g.build(), "duplicate tensor name \"output_norm.weight\"")
        var k = sample()
        k.addString("general.architecture", "again")
        assertOpenFails(k.build(), "duplicate metadata key \"general.architecture\"")
    }

    func testEveryTruncationFailsCleanly() {
        let bytes = sample().build()
        // Padding after the last tensor's data is optional; every shorter prefix must fail.
        let model = try! Model.open(path: folder.write("full.gguf", bytes))
        let end = model.tensors.last!.dataOffset! + model.tensors.last!.byteCount
        for length in 0..<end {
            let path = folder.write("t.gguf", Array(bytes.prefix(length)))
            XCTAssertNotNil(openError(path), "a GGUF truncated to \(length) bytes opened")
        }
    }

    func testRandomCorruptionNeverCrashes() {
        let bytes = sample().build()
        var rng = SplitMix64(seed: 7)
        for trial in 0..<500 {
            var corrupted = bytes
            for _ in 0..<3 {
                let position = Int.random(in: 0..<min(corrupted.count, 200), using: &rng)
                corrupted[position] = UInt8.random(in: 0...255, using: &rng)
            }
            let path = folder.write("c.gguf", corrupted)
            if let model = try? Model.open(path: path) {
                // Whatever opened must be readable within its bounds.
                for tensor in model.tensors where tensor.dtype.isDecodable {
                    XCTAssertNoThrow(try model.weights(of: tensor).toArray(), "trial \(trial)")
                }
            }
        }
    }
}
