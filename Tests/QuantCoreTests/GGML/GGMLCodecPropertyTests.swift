import XCTest
@testable import QuantCore

/// Properties beyond the fixtures: the SIMD paths agree with the direct transcriptions of ggml's scalar code on many
/// random blocks, unaligned pointers work, and Q8_0/Q4_0 re-encoding is idempotent where ggml's quantiser is.
final class GGMLCodecPropertyTests: XCTestCase {
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }
        mutating func normal() -> Double { (-2 * log(unit())).squareRoot() * cos(2 * .pi * unit()) }
    }

    /// 64 blocks of 256 in assorted shapes: normal, heavy-tailed, wide dynamic range, all-zero/constant
    /// sub-blocks, signed zeros, exact ties, subnormals, and a few non-finite values.
    func randomTensor(seed: UInt64) -> [Float] {
        var g = SplitMix(state: seed)
        var x = [Float](repeating: 0, count: 256 * 64)
        for b in 0..<64 {
            let kind = b % 8
            for i in 0..<256 {
                let z = g.normal()
                var v: Float
                switch kind {
                case 0: v = Float(0.02 * z)
                case 1: v = Float(0.02 * z / max(0.05, abs(g.normal())))
                case 2: v = Float(pow(10, -9 + 10 * g.unit()) * z)
                case 3: v = (i / 16) % 3 == 0 ? 0 : ((i / 16) % 3 == 1 ? 0.25 : Float(z))
                case 4: v = (i % 5 == 0) ? -0.0 : Float((z * 4).rounded()) / 4
                case 5: v = Float(z) * Float(bitPattern: 0x0000_4000)
                case 6: v = Float(Int(g.next() % 17) - 8) * 0.125
                default: v = Float(z)
                }
                x[256 * b + i] = v
            }
        }
        x[256 * 7 + 3] = .infinity
        x[256 * 15 + 200] = .nan
        x[256 * 23 + 17] = 3e35
        return x
    }

    func bytes(_ count: Int, _ body: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        var out = [UInt8](repeating: 0x5A, count: count)
        out.withUnsafeMutableBytes { body($0.baseAddress!) }
        return out
    }

    func testSIMDPathsMatchScalarTranscriptions() {
        for seed: UInt64 in 1...3 {
            let x = randomTensor(seed: seed)
            let blocks256 = x.count / 256, blocks32 = x.count / 32
            x.withUnsafeBufferPointer { p in
                let src = p.baseAddress!
                func check(_ type: GGMLType, _ scalar: (UnsafeMutableRawPointer) -> Void) {
                    let n = x.count / type.blockSize * type.blockBytes
                    let fast = bytes(n) { GGMLBlockCodec.encode(type, from: src, count: x.count, into: $0) }
                    let slow = bytes(n, scalar)
                    let bb = type.blockBytes
                    let bad = (0..<(n / bb)).filter { fast[($0 * bb)..<(($0 + 1) * bb)] != slow[($0 * bb)..<(($0 + 1) * bb)] }
                    XCTAssertTrue(bad.isEmpty, "\(type.name) seed \(seed): blocks \(bad.prefix(8)) differ from the scalar transcription")
                }
                check(.q8_0) { Q8_0Codec.encodeScalar(src, blocks: blocks32, into: $0) }
                check(.q4_0) { Q4_0Codec.encodeScalar(src, blocks: blocks32, into: $0) }
                check(.q4_1) { Q4_1Codec.encodeScalar(src, blocks: blocks32, into: $0) }
                check(.q5_0) { Q5_0Codec.encodeScalar(src, blocks: blocks32, into: $0) }
                check(.q5_1) { Q5_1Codec.encodeScalar(src, blocks: blocks32, into: $0) }
                check(.q2_K) { Q2KCodec.encode(src, blocks: blocks256, into: $0, scalarOnly: true) }
                check(.q3_K) { Q3KCodec.encode(src, blocks: blocks256, into: $0, scalarOnly: true) }
                check(.q4_K) { Q4KCodec.encode(src, blocks: blocks256, into: $0, scalarOnly: true) }
                check(.q5_K) { Q5KCodec.encode(src, blocks: blocks256, into: $0, scalarOnly: true) }
                check(.q6_K) { Q6KCodec.encode(src, blocks: blocks256, into: $0, scalarOnly: true) }
            }
        }
    }

    func testUnalignedPointers() throws {
        let x = try GGMLFixtures.input("normal")
        for type in GGMLBlockCodecTests.fixtureTypes {
            let expected = try GGMLFixtures.quantized(type.name, "normal")
            // Encode into and decode from an odd byte offset; read the input from an odd offset too.
            var raw = [UInt8](repeating: 0, count: expected.count + 1)
            var shifted = [UInt8](repeating: 0, count: x.count * 4 + 1)
            x.withUnsafeBytes { src in
                shifted.withUnsafeMutableBytes { d in d.baseAddress!.advanced(by: 1).copyMemory(from: src.baseAddress!, byteCount: src.count) }
            }
            var xs = [Float](repeating: 0, count: x.count)
            shifted.withUnsafeBytes { s in
                xs.withUnsafeMutableBufferPointer { d in
                    for i in 0..<x.count { d[i] = s.loadUnaligned(fromByteOffset: 1 + 4 * i, as: Float.self) }
                }
            }
            xs.withUnsafeBufferPointer { s in
                raw.withUnsafeMutableBytes { GGMLBlockCodec.encode(type, from: s.baseAddress!, count: x.count, into: $0.baseAddress! + 1) }
            }
            XCTAssertEqual(Array(raw[1...]), expected, type.name)
            var y = [Float](repeating: 0, count: x.count)
            raw.withUnsafeBytes { s in
                y.withUnsafeMutableBufferPointer { GGMLBlockCodec.decode(type, from: s.baseAddress! + 1, count: x.count, into: $0.baseAddress!) }
            }
            XCTAssertEqual(SHA256.hex(y), GGMLFixtures.results["\(type.name)/normal"]?.dequantSHA256, type.name)
        }
    }

    /// encode(decode(encode(x))) == encode(x) for Q8_0 and Q4_0. This holds for ggml's quantisers when the fp16 scale is a
    /// normal number; it fails when d underflows to zero or to a subnormal (the "tiny" input: the levels were computed from
    /// the unrounded d, but decode to 0), so the test uses the inputs where d stays normal.
    func testQ8_0AndQ4_0ReencodeIsIdempotent() throws {
        for type in [GGMLType.q8_0, .q4_0] {
            for name in ["normal", "heavy", "outliers", "uniform", "mixed"] {
                let first = try GGMLFixtures.quantized(type.name, name)
                var y = [Float](repeating: 0, count: 8192)
                first.withUnsafeBytes { s in y.withUnsafeMutableBufferPointer { GGMLBlockCodec.decode(type, from: s.baseAddress!, count: 8192, into: $0.baseAddress!) } }
                let second = y.withUnsafeBufferPointer { s in bytes(first.count) { GGMLBlockCodec.encode(type, from: s.baseAddress!, count: 8192, into: $0) } }
                XCTAssertEqual(second, first, "\(type.name)/\(name)")
            }
        }
    }

    func testPlainFloatTypes() {
        let x: [Float] = [0, -0.0, 1, -2.5, 65504, 1e-7, 3.14159, .infinity, 1e30, -1e-30, 0.1, 1.0009765625]
        for type in [GGMLType.f32, .f16, .bf16] {
            XCTAssertTrue(GGMLBlockCodec.canEncode(type) && GGMLBlockCodec.canDecode(type))
            let enc = x.withUnsafeBufferPointer { s in bytes(x.count * type.blockBytes) { GGMLBlockCodec.encode(type, from: s.baseAddress!, count: x.count, into: $0) } }
            var y = [Float](repeating: .nan, count: x.count)
            enc.withUnsafeBytes { s in y.withUnsafeMutableBufferPointer { GGMLBlockCodec.decode(type, from: s.baseAddress!, count: x.count, into: $0.baseAddress!) } }
            for i in x.indices {
                let expected: Float
                switch type {
                case .f32: expected = x[i]
                case .f16: expected = Half.round(x[i])
                default:
                    let u = x[i].bitPattern
                    expected = Float(bitPattern: ((u &+ 0x7fff &+ ((u >> 16) & 1)) >> 16) << 16)
                }
                XCTAssertEqual(y[i].bitPattern, expected.bitPattern, "\(type.name) \(x[i])")
            }
        }
        XCTAssertFalse(GGMLBlockCodec.canDecode(.q8_1))
        XCTAssertFalse(GGMLBlockCodec.canEncode(.iq2_xxs))
    }

    func testNearestIntMatchesGGML() {
        XCTAssertEqual(GGMLBlockCodec.nearestInt(2.5), 2)
        XCTAssertEqual(GGMLBlockCodec.nearestInt(3.5), 4)
        XCTAssertEqual(GGMLBlockCodec.nearestInt(-2.5), -2)
        XCTAssertEqual(GGMLBlockCodec.nearestInt(-0.4999), 0)
        XCTAssertEqual(GGMLBlockCodec.nearestInt(4_194_303), 4_194_303)
        XCTAssertEqual(GGMLBlockCodec.nearestInt(-4_194_303), -4_194_303)
    }
}
