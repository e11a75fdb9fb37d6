import XCTest
@testable import QuantCore

/// Adversarial blocks (ties, one-signed blocks, zeros, subnormals, fp16-valued, outliers): every fast path must equal its scalar transcription of ggml.
final class GGMLAdversarialTests: XCTestCase {
    func testFuzzFastVsScalar() {
        var g = GGMLCodecPropertyTests.SplitMix(state: 777)
        let blocks = 1024
        var x = [Float](repeating: 0, count: 256 * blocks)
        for b in 0..<blocks {
            let kind = Int(g.next() % 10)
            let scale = Float(pow(10, -6 + 8 * g.unit()))
            for i in 0..<256 {
                let z = Float(g.normal())
                var v: Float
                switch kind {
                case 0: v = scale * z
                case 1: v = Float(Int(g.next() % 33) - 16) * 0.25 * scale       // many ties, signed ties
                case 2: v = (g.next() % 4 == 0) ? 0 : scale * z
                case 3: v = scale * abs(z)                                      // all positive
                case 4: v = -scale * abs(z)                                     // all negative
                case 5: v = Float(Int(g.next() % 3) - 1) * scale                // ±scale, 0
                case 6: v = (i % 2 == 0 ? 1 : -1) * scale                        // alternating exact tie
                case 7: v = Float(bitPattern: UInt32(truncatingIfNeeded: g.next()) & 0x807f_ffff) // subnormals
                case 8: v = scale * z * (i % 32 == 5 ? 100 : 1)
                default: v = Float(Float16(scale * z))
                }
                x[256 * b + i] = v
            }
        }
        x.withUnsafeBufferPointer { p in
            let src = p.baseAddress!
            let n = x.count
            func check(_ type: GGMLType, _ scalar: (UnsafeMutableRawPointer) -> Void) {
                let bytes = n / type.blockSize * type.blockBytes
                var fast = [UInt8](repeating: 0x5A, count: bytes), slow = fast
                fast.withUnsafeMutableBytes { GGMLBlockCodec.encode(type, from: src, count: n, into: $0.baseAddress!) }
                slow.withUnsafeMutableBytes { scalar($0.baseAddress!) }
                let bb = type.blockBytes
                let bad = (0..<(bytes / bb)).filter { fast[($0 * bb)..<(($0 + 1) * bb)] != slow[($0 * bb)..<(($0 + 1) * bb)] }
                XCTAssertTrue(bad.isEmpty, "\(type.name): \(bad.count) blocks differ, first \(bad.prefix(8))")
            }
            let b32 = n / 32, b256 = n / 256
            check(.q8_0) { Q8_0Codec.encodeScalar(src, blocks: b32, into: $0) }
            check(.q4_0) { Q4_0Codec.encodeScalar(src, blocks: b32, into: $0) }
            check(.q4_1) { Q4_1Codec.encodeScalar(src, blocks: b32, into: $0) }
            check(.q5_0) { Q5_0Codec.encodeScalar(src, blocks: b32, into: $0) }
            check(.q5_1) { Q5_1Codec.encodeScalar(src, blocks: b32, into: $0) }
            check(.q2_K) { Q2KCodec.encode(src, blocks: b256, into: $0, scalarOnly: true) }
            check(.q3_K) { Q3KCodec.encode(src, blocks: b256, into: $0, scalarOnly: true) }
            check(.q4_K) { Q4KCodec.encode(src, blocks: b256, into: $0, scalarOnly: true) }
            check(.q5_K) { Q5KCodec.encode(src, blocks: b256, into: $0, scalarOnly: true) }
            check(.q6_K) { Q6KCodec.encode(src, blocks: b256, into: $0, scalarOnly: true) }
        }
    }
}
