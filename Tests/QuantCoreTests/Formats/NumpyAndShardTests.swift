import XCTest
@testable import QuantCore

final class NumpyReaderTests: XCTestCase {
    let folder = TemporaryFolder()

    func testNpyArray() throws {
        let path = folder.write("weights.npy", Npy.f32([1, 2, 3, 4, 5, 6], shape: "(2, 3)"))
        let model = try Model.open(path: path)
        XCTAssertEqual(model.format, .npy)
        XCTAssertEqual(model.tensors[0].name, "weights")
        XCTAssertEqual(model.tensors[0].shape, [2, 3])
        XCTAssertEqual(try model.weights(of: model.tensors[0]).toArray(), [1, 2, 3, 4, 5, 6])
    }

    func testNpyVersion2AndScalarShape() throws {
        var b = Bytes(); b.f32(7)
        let path = folder.write("scalar.npy", Npy.array(descr: "<f4", shape: "()", payload: b.data, major: 2))
        let model = try Model.open(path: path)
        XCTAssertEqual(model.tensors[0].shape, [])
        XCTAssertEqual(try model.weights(of: model.tensors[0]).toArray(), [7])
    }

    func testFormatIsDetectedFromContentNotExtension() throws {
        let path = folder.write("actually-numpy.bin", Npy.f32([1], shape: "(1,)"))
        XCTAssertEqual(try Model.open(path: path).format, .npy)
        let gguf = folder.write("actually-gguf.safetensors", { var g = GGUFBuilder(); g.addF32Tensor("t", dims: [1], values: [1]); return g.build() }())
        XCTAssertEqual(try Model.open(path: gguf).format, .gguf(version: 3))
    }

    func testNpyErrors() {
        let truncated = folder.write("trunc.npy", Array(Npy.f32([1, 2, 3, 4], shape: "(4,)").dropLast(3)))
        XCTAssertTrue(openError(truncated)?.contains("file is truncated: the array needs 16 bytes") ?? false, openError(truncated) ?? "")
        let bigEndian = folder.write("be.npy", Npy.array(descr: ">f4", shape: "(1,)", payload: [0, 0, 0, 0]))
        XCTAssertTrue(openError(bigEndian)?.contains("big-endian arrays are not supported") ?? false)
        let object = folder.write("obj.npy", Npy.array(descr: "|O", shape: "(1,)", payload: [0, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertTrue(openError(object)?.contains("dtype '|O' is not supported") ?? false)
        let fortran = folder.write("f.npy", Npy.array(descr: "<f4", shape: "(2, 2)", payload: [UInt8](repeating: 0, count: 16), fortran: true))
        XCTAssertTrue(openError(fortran)?.contains("Fortran-ordered") ?? false)
        var garbage = Npy.f32([1], shape: "(1,)")
        garbage.replaceSubrange(10..<20, with: Array("not a dict".utf8))
        let bad = folder.write("g.npy", garbage)
        XCTAssertTrue(openError(bad)?.contains("not a Python dict literal") ?? false, openError(bad) ?? "")
    }

    func testBundledNpzWithDeflatedMembersMatchesSafetensors() throws {
        let npz = try Model.open(path: Samples.path("digits-mlp.npz"))
        let st = try Model.open(path: Samples.path("digits-mlp.safetensors"))
        XCTAssertEqual(npz.format, .npz)
        XCTAssertEqual(Set(npz.tensors.map(\.name)), Set(st.tensors.map(\.name)))
        for tensor in st.tensors {
            let other = try XCTUnwrap(npz.tensor(named: tensor.name))
            XCTAssertEqual(other.shape, tensor.shape)
            XCTAssertEqual(try npz.weights(of: other).toArray(), try st.weights(of: tensor).toArray(), tensor.name)
        }
    }

    func testStoredNpzMembersAreMappedInPlace() throws {
        // A ZIP with one stored member, written by hand.
        let member = Npy.f32([3, 1, 4], shape: "(3,)")
        var zip = Bytes()
        let name = "pi.npy"
        zip.u32(0x0403_4B50); zip.u16(20); zip.u16(0); zip.u16(0); zip.u16(0); zip.u16(0)
        zip.u32(0); zip.u32(UInt32(member.count)); zip.u32(UInt32(member.count))
        zip.u16(UInt16(name.utf8.count)); zip.u16(0); zip.string(name); zip.raw(member)
        let directoryOffset = zip.data.count
        zip.u32(0x0201_4B50); zip.u16(20); zip.u16(20); zip.u16(0); zip.u16(0); zip.u16(0); zip.u16(0)
        zip.u32(0); zip.u32(UInt32(member.count)); zip.u32(UInt32(member.count))
        zip.u16(UInt16(name.utf8.count)); zip.u16(0); zip.u16(0); zip.u16(0); zip.u16(0); zip.u32(0); zip.u32(0)
        zip.string(name)
        let directorySize = zip.data.count - directoryOffset
        zip.u32(0x0605_4B50); zip.u16(0); zip.u16(0); zip.u16(1); zip.u16(1)
        zip.u32(UInt32(directorySize)); zip.u32(UInt32(directoryOffset)); zip.u16(0)
        let model = try Model.open(path: folder.write("stored.npz", zip.data))
        XCTAssertEqual(model.tensors.map(\.name), ["pi"])
        if case .mapped = model.tensors[0].location {} else { XCTFail("a stored member should be mapped, not inflated") }
        XCTAssertEqual(try model.weights(of: model.tensors[0]).toArray(), [3, 1, 4])
        // A central directory that points past the end is refused.
        var broken = zip.data
        broken.replaceSubrange((broken.count - 6)..<(broken.count - 2), with: [0xFF, 0xFF, 0xFF, 0x00])
        let brokenPath = folder.write("broken.npz", broken)
        XCTAssertTrue(openError(brokenPath)?.contains("lies beyond the file") ?? false, openError(brokenPath) ?? "")
    }
}

final class ShardedSafetensorsTests: XCTestCase {
    let folder = TemporaryFolder()

    func writeShards(index: String) {
        folder.write("model-00001-of-00002.safetensors", Safetensors.file(tensors: [("a", [2], [1, 2])]))
        folder.write("model-00002-of-00002.safetensors", Safetensors.file(tensors: [("b", [1], [3]), ("c", [1], [4])]))
        folder.write("model.safetensors.index.json", Array(index.utf8))
    }

    let goodIndex = """
    {"metadata": {"total_size": 16}, "weight_map": {"a": "model-00001-of-00002.safetensors",
     "b": "model-00002-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
    """

    func testOpensFolderAndIndexFile() throws {
        writeShards(index: goodIndex)
        for path in [folder.url.path, folder.path("model.safetensors.index.json")] {
            let model = try Model.open(path: path)
            XCTAssertEqual(model.format, .shardedSafetensors(shards: 2))
            XCTAssertEqual(model.tensors.map(\.name), ["a", "b", "c"])
            XCTAssertEqual(try model.weights(of: model.tensor(named: "c")!).toArray(), [4])
            XCTAssertTrue(model.filePath(of: model.tensor(named: "b")!).hasSuffix("model-00002-of-00002.safetensors"))
        }
    }

    func testIndexErrors() {
        writeShards(index: goodIndex.replacingOccurrences(of: "\"c\": \"model-00002", with: "\"c\": \"model-00001"))
        XCTAssertTrue(openError(folder.url.path)?.contains("weight_map puts c in model-00001-of-00002.safetensors, but it is in model-00002-of-00002.safetensors") ?? false)
        writeShards(index: goodIndex.replacingOccurrences(of: "00002-of-00002", with: "00003-of-00002"))
        XCTAssertTrue(openError(folder.url.path)?.contains("no such file") ?? false, openError(folder.url.path) ?? "")
        writeShards(index: "{\"weight_map\": {\"a\": \"../etc/passwd\"}}")
        XCTAssertTrue(openError(folder.url.path)?.contains("outside the index's folder") ?? false)
    }

    func testFolderWithoutIndexAndMissingPaths() {
        let empty = TemporaryFolder()
        XCTAssertEqual(openError(empty.url.path), "\(empty.url.path): is a directory without model.safetensors.index.json or model.safetensors")
        XCTAssertEqual(openError(empty.path("nope.gguf")), "\(empty.path("nope.gguf")): no such file or directory")
    }

    func testUnknownFormat() {
        let path = folder.write("notes.txt", Array("hello, world, this is text".utf8))
        XCTAssertTrue(openError(path)?.contains("unknown format") ?? false)
    }
}
