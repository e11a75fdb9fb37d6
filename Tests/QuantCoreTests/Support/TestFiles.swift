import Foundation
@testable import QuantCore

/// A temporary folder for files a test builds. All of them live under one folder per test process,
/// removed when the process exits (XCTest keeps test-case objects alive, so deinit would come too late).
final class TemporaryFolder {
    let url: URL

    nonisolated(unsafe) static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("quantscope-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("quantscope-tests-\(getpid())")) }
        return root
    }()

    init() {
        url = Self.root.appendingPathComponent(UUID().uuidString)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` in the folder and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = url.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Little-endian byte building for hand-made model files.
struct Bytes {
    var data: [UInt8] = []

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func raw(_ bytes: [UInt8]) { data += bytes }
    mutating func string(_ s: String) { data += Array(s.utf8) }
    /// A GGUF string: u64 length then bytes.
    mutating func ggufString(_ s: String) { u64(UInt64(s.utf8.count)); string(s) }
    mutating func pad(to alignment: Int) { while data.count % alignment != 0 { data.append(0) } }
}

/// Builds safetensors files from a header JSON text and a data section.
enum Safetensors {
    static func file(header: String, data: [UInt8]) -> [UInt8] {
        var b = Bytes()
        b.u64(UInt64(header.utf8.count))
        b.string(header)
        b.raw(data)
        return b.data
    }

    /// A valid file with the given f32 tensors, laid out in order.
    static func file(tensors: [(String, [Int], [Float])], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [String] = []
        var data: [UInt8] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        for (name, shape, values) in tensors {
            let begin = data.count
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var header = "{" + entries.joined(separator: ",") + "}"
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        return file(header: header, data: data)
    }
}

/// Builds GGUF files.
struct GGUFBuilder {
    var version: UInt32 = 3
    var metadata: [(String, (inout Bytes) -> Void)] = []
    var tensors: [(name: String, dims: [UInt64], type: UInt32, data: [UInt8])] = []
    var alignment = 32
    /// Replaces the computed data offsets, to build overlapping or gapped layouts.
    var offsetOverrides: [Int: UInt64] = [:]

    mutating func addString(_ key: String, _ value: String) {
        metadata.append((key, { $0.u32(8); $0.ggufString(value) }))
    }

    mutating func addU32(_ key: String, _ value: UInt32) {
        metadata.append((key, { $0.u32(4); $0.u32(value) }))
    }

    mutating func addF32Tensor(_ name: String, dims: [UInt64], values: [Float]) {
        var b = Bytes()
        for v in values { b.f32(v) }
        tensors.append((name, dims, 0, b.data))
    }

    func build() -> [UInt8] {
        var b = Bytes()
        b.string("GGUF")
        b.u32(version)
        b.u64(UInt64(tensors.count))
        b.u64(UInt64(metadata.count))
        for (key, write) in metadata { b.ggufString(key); write(&b) }
        var offset: UInt64 = 0
        for (i, t) in tensors.enumerated() {
            b.ggufString(t.name)
            b.u32(UInt32(t.dims.count))
            for d in t.dims { b.u64(d) }
            b.u32(t.type)
            b.u64(offsetOverrides[i] ?? offset)
            offset += UInt64((t.data.count + alignment - 1) / alignment * alignment)
        }
        b.pad(to: alignment)
        for t in tensors { b.raw(t.data); b.pad(to: alignment) }
        return b.data
    }
}

/// Builds `.npy` arrays.
enum Npy {
    static func array(descr: String, shape: String, payload: [UInt8], fortran: Bool = false, major: UInt8 = 1) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        let prefix = major == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var b = Bytes()
        b.raw(NumpyHeader.magic)
        b.u8(major); b.u8(0)
        if major == 1 { b.u16(UInt16(header.utf8.count)) } else { b.u32(UInt32(header.utf8.count)) }
        b.string(header)
        b.raw(payload)
        return b.data
    }

    static func f32(_ values: [Float], shape: String) -> [UInt8] {
        var b = Bytes()
        for v in values { b.f32(v) }
        return array(descr: "<f4", shape: shape, payload: b.data)
    }
}

/// Asserts that opening `path` fails with a message containing every fragment.
func openError(_ path: String) -> String? {
    do {
        _ = try Model.open(path: path)
        return nil
    } catch {
        return "\(error)"
    }
}

/// The bundled samples, found from this source file's location in the checkout.
enum Samples {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SampleModels")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
}

/// A reproducible normal generator for tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func normal() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
