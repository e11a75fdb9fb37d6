import XCTest
@testable import QuantCore

/// Blocks with NaN (either sign), infinities, huge values and random bit patterns: the legacy 4- and 5-bit fast
/// paths must detect them (or reproduce them) and equal their scalar transcriptions of ggml.
final class GGMLLegacyNonFiniteTests: XCTestCase {
    func testNonFiniteAndRandomBitBlocksMatchScalar() {
        var g = GGMLCodecPropertyTests.SplitMix(state: 4242)
        let specials: [Float] = [.nan, -.nan, Float(bitPattern: 0xFFC0_00C5), .infinity, -.infinity, 0, -0.0,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e30, -3e38, 1e-40, 65520, 1]
        let blocks = 4096
        var x = [Float](repeating: 0, count: 32 * blocks)
        for b in 0..<blocks {
            let kind = b % 3
            for j in 0..<32 {
                let r = g.next()
                switch kind {
                case 0: x[32 * b + j] = r % 8 == 0 ? specials[Int(r >> 8) % specials.count] : Float(g.normal())
                case 1: x[32 * b + j] = Float(bitPattern: UInt32(truncatingIfNeeded: r))
                default: x[32 * b + j] = j == Int(r % 32) ? specials[Int(r >> 8) % specials.count] : Float(g.normal()) * 1e-3
                }
            }
        }
        x.withUnsafeBufferPointer { p in
            let src = p.baseAddress!
            func check(_ type: GGMLType, _ scalar: (UnsafeMutableRawPointer) -> Void) {
                let bytes = blocks * type.blockBytes
                var fast = [UInt8](repeating: 0x5A, count: bytes), slow = fast
                fast.withUnsafeMutableBytes { GGMLBlockCodec.encode(type, from: src, count: 32 * blocks, into: $0.baseAddress!) }
                slow.withUnsafeMutableBytes { scalar($0.baseAddress!) }
                let bb = type.blockBytes
                let bad = (0..<blocks).filter { fast[($0 * bb)..<(($0 + 1) * bb)] != slow[($0 * bb)..<(($0 + 1) * bb)] }
                XCTAssertTrue(bad.isEmpty, "\(type.name): \(bad.count) blocks differ, first \(bad.prefix(8))")
            }
            check(.q4_0) { Q4_0Codec.encodeScalar(src, blocks: blocks, into: $0) }
            check(.q4_1) { Q4_1Codec.encodeScalar(src, blocks: blocks, into: $0) }
            check(.q5_0) { Q5_0Codec.encodeScalar(src, blocks: blocks, into: $0) }
            check(.q5_1) { Q5_1Codec.encodeScalar(src, blocks: blocks, into: $0) }
        }
    }
}
