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

    /// `count` super-blocks of 16 sub-blocks of 16 values: each sub-block draws a kind (< `kinds`) and a magnitude,
    /// then `value(kind, magnitude, index, generator)` makes its values.
    static func superBlocks(_ count: Int, seed: UInt64, kinds: Int, magnitude: (inout GGMLCodecPropertyTests.SplitMix) -> Float,
                            _ value: (Int, Float, Int, inout GGMLCodecPropertyTests.SplitMix) -> Float) -> [Float] {
        var g = GGMLCodecPropertyTests.SplitMix(state: seed)
        var x = [Float](repeating: 0, count: 256 * count)
        for subBlock in 0..<(16 * count) {
            let kind = Int(g.next() % UInt64(kinds))
            let m = magnitude(&g)
            for i in 0..<16 { x[16 * subBlock + i] = value(kind, m, i, &g) }
        }
        return x
    }

    /// Q3_K's refinement (ggml's `make_q3_quants`) changes levels only in sub-blocks whose value of largest magnitude is
    /// negative; the fast path runs its first pass in lanes and refines the few changing sub-blocks further in lanes. These
    /// blocks make many such sub-blocks, several changes per pass and several passes, ties and zeros among them.
    func testQ3KRefinementMatchesScalar() {
        let blocks = 2048
        let x = Self.superBlocks(blocks, seed: 4242, kinds: 8, magnitude: { Float(pow(10, -4 + 6 * $0.unit())) }) { kind, scale, i, g in
            let z = Float(g.normal())
            switch kind {
            case 0: return scale * z
            case 1: return scale * (i == Int(g.next() % 16) ? -4 : z)                      // a negative outlier
            case 2: return scale * Float(g.unit() * 1.8 - 1)                              // uniform, leaning negative
            case 3: return scale * (Float(Int(g.next() % 8) - 4) + 0.05 * z)               // near the levels
            case 4: return scale * Float(Int(g.next() % 9) - 5) * 0.5                      // half-level ties
            case 5: return i % 4 == 0 ? 0 : -scale * abs(z)                                // all ≤ 0, zeros
            case 6: return scale * (z - 1.5)                                               // shifted negative
            default: return i == 0 ? -scale : scale * Float(Int(g.next() % 3) - 1) * 0.75  // few distinct values
            }
        }
        compare("Q3_K", x, blockBytes: Q3KCodec.blockBytes) { Q3KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
    }

    /// The Q3_K fast path searches super-blocks in batches and refines the sub-blocks that change after the first pass
    /// 16 at a time in lanes, gathered across the batch (those still changing after two passes are gathered again). These
    /// rows end in partial batches and partial groups of lanes, mix sub-blocks that stop after different passes, refine
    /// every sub-block of some super-blocks (many groups in one batch), and put refined sub-blocks next to much larger
    /// ones so that their final scale is 0 and ggml keeps the search's levels.
    func testQ3KBatchesMatchScalar() {
        for blocks in [1, 2, 3, 5, 7, 9, 15, 16, 17, 31, 33, 50] {
            let x = Self.superBlocks(blocks, seed: 31 + UInt64(blocks), kinds: 6, magnitude: { Float(pow(10, -3 + 4 * $0.unit())) }) { kind, scale, i, g in
                let z = Float(g.normal())
                switch kind {
                case 0: return scale * z
                case 1: return scale * (i == Int(g.next() % 16) ? -4 : z)                 // refines, usually
                case 2: return 1e-4 * scale * (i == 3 ? -4 : z)                           // refines, scale rounds to 0
                case 3: return scale * (Float(Int(g.next() % 8) - 4) + 0.05 * z)          // near the levels
                case 4: return scale * Float(g.unit() * 1.8 - 1)                         // leaning negative
                default: return i % 4 == 0 ? 0 : -scale * abs(z)                          // all ≤ 0, zeros
                }
            }
            compare("Q3_K \(blocks) blocks", x, blockBytes: Q3KCodec.blockBytes) { Q3KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
        }
        // Sub-blocks with a negative outlier nearly all refine: up to 16 groups of lanes in a batch.
        let blocks = 2 * Q3KCodec.batchBlocks + 3
        let x = Self.superBlocks(blocks, seed: 5, kinds: 2, magnitude: { Float(pow(10, -2 + 2 * $0.unit())) }) { kind, scale, i, g in
            scale * (i == Int(g.next() % 16) ? -4 : Float(g.normal())) * (kind == 0 ? 1 : 1e-3)
        }
        compare("Q3_K all refining", x, blockBytes: Q3KCodec.blockBytes) { Q3KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
    }

    /// Sub-blocks below ggml's all-zero threshold (|x| < 1e-15) whose sums are still not 0 (x³ just above the subnormal
    /// range): ggml's scale is 0 there, and a whole super-block of them must keep d = 0; mixed with ordinary sub-blocks too.
    func testQ3KNearlyZeroSubBlocksMatchScalar() {
        let blocks = 64
        let x = Self.superBlocks(blocks, seed: 4242, kinds: 3, magnitude: { _ in 1 }) { kind, _, i, g in
            let tiny = Float(0.6 + 0.399 * g.unit()) * 1e-15 * (g.next() % 2 == 0 ? 1 : -1)
            switch kind {
            case 0: return tiny
            case 1: return i == 5 ? -9.9e-16 : tiny                                        // refines, if it were searched
            default: return 0.01 * Float(g.normal())
            }
        }
        // The first half: whole super-blocks of nearly-zero sub-blocks.
        var y = x
        for i in 0..<(256 * blocks / 2) where abs(y[i]) >= 1e-15 { y[i] = 7e-16 }
        compare("Q3_K nearly zero", y, blockBytes: Q3KCodec.blockBytes) { Q3KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
    }

    /// Sub-blocks that are exact negatives or copies of others, so that sub-block scales tie in magnitude with either
    /// sign: ggml's d follows the first scale of largest magnitude.
    func testQ3KScaleTiesMatchScalar() {
        let blocks = 256
        var g = GGMLCodecPropertyTests.SplitMix(state: 2718)
        var x = [Float](repeating: 0, count: 256 * blocks)
        for b in 0..<blocks {
            let base = (0..<16).map { _ in 0.01 * Float(g.normal()) }
            for j in 0..<16 {
                // Mostly ± the same sub-block, some scaled down, so that the largest magnitude ties across several.
                let sign: Float = g.next() % 2 == 0 ? 1 : -1, scale: Float = g.next() % 4 == 0 ? 0.5 : 1
                for i in 0..<16 { x[256 * b + 16 * j + i] = sign * scale * base[i] }
            }
        }
        compare("Q3_K scale ties", x, blockBytes: Q3KCodec.blockBytes) { Q3KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
    }

    /// Q6_K's lane search leaves out the clamps that cannot bind for a candidate scale; these sub-blocks put values on
    /// and next to the rounding boundaries of every candidate, with ± ties of the largest magnitude, and make the final
    /// levels of some sub-blocks keep the search's levels (a scale that rounds to 0).
    func testQ6KSearchMatchesScalar() {
        let blocks = 2048
        let x = Self.superBlocks(blocks, seed: 99, kinds: 6, magnitude: { Float(pow(10, -3 + 5 * $0.unit())) * ($0.next() % 2 == 0 ? 1 : -1) }) { kind, m, i, g in
            let step = Float(Int(g.next() % 19) - 9)
            let k = Float(Int(g.next() % 66) - 33) + (g.next() % 2 == 0 ? 0.5 : 0)
            switch kind {
            case 0: return m * k / (32 + 0.1 * step)                          // on a candidate's boundaries
            case 1: return (m * k / (32 + 0.1 * step)).nextUp                   // next to them
            case 2: return i == 0 ? m : (i == 1 ? -m : m * Float(g.unit() * 2 - 1)) // ± ties of the maximum
            case 3: return i % 2 == 0 ? m : -m
            case 4: return m * 1e-4 * Float(g.normal())                         // tiny next to large sub-blocks
            default: return m * Float(g.normal())
            }
        }
        compare("Q6_K", x, blockBytes: Q6KCodec.blockBytes) { Q6KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
    }

    /// Q6_K's sub-blocks whose scale rounds to 0 keep the search's levels, which the lane search does not write but
    /// leaves to be recomputed from its winning iscale and shift: all-zero sub-blocks (levels 0, not 32), sub-blocks
    /// below ggml's 1e-15 threshold, and tiny ones, next to large sub-blocks.
    func testQ6KZeroScaleSubBlocksMatchScalar() {
        let blocks = 2048
        let x = Self.superBlocks(blocks, seed: 7, kinds: 5, magnitude: { Float(pow(10, -2 + 4 * $0.unit())) }) { kind, m, i, g in
            switch kind {
            case 0: return 0                                                   // all zero
            case 1: return 1e-16 * Float(g.normal())                           // below the threshold
            case 2: return m * 1e-4 * Float(g.normal())                        // scale rounds to 0
            case 3: return -m * 1e-5 * Float(g.unit())                         // one sign, scale rounds to 0
            default: return m * Float(g.normal())
            }
        }
        compare("Q6_K zero scales", x, blockBytes: Q6KCodec.blockBytes) { Q6KCodec.encode($0, blocks: blocks, into: $1, scalarOnly: $2) }
    }

    /// Encodes `x` with the fast path and with the scalar transcription and reports blocks that differ.
    func compare(_ name: String, _ x: [Float], blockBytes bb: Int,
                 _ encode: (UnsafePointer<Float>, UnsafeMutableRawPointer, Bool) -> Void) {
        let blocks = x.count / 256
        var fast = [UInt8](repeating: 0x5A, count: blocks * bb), slow = fast
        x.withUnsafeBufferPointer { p in
            fast.withUnsafeMutableBytes { encode(p.baseAddress!, $0.baseAddress!, false) }
            slow.withUnsafeMutableBytes { encode(p.baseAddress!, $0.baseAddress!, true) }
        }
        let bad = (0..<blocks).filter { fast[($0 * bb)..<(($0 + 1) * bb)] != slow[($0 * bb)..<(($0 + 1) * bb)] }
        XCTAssertTrue(bad.isEmpty, "\(name): \(bad.count) blocks differ, first \(bad.prefix(8))")
    }
}
