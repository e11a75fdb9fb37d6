import XCTest
@testable import QuantCore

/// The batched encoder of the 4- and 5-bit formats (`LegacyBlockBatches`) against ggml's scalar transcriptions, byte
/// for byte: partial batches, every special block at every position of a batch, and the vector fp16 conversion.
final class GGMLBlockBatchTests: XCTestCase {
    /// Blocks the fast path must hand to the scalar code or get exactly right, each 32 values.
    static let specialBlocks: [(String, [Float])] = {
        var g = GGMLCodecPropertyTests.SplitMix(state: 41)
        func normal(_ s: Float) -> [Float] { (0..<32).map { _ in s * Float(g.normal()) } }
        var minusZeroFirst = normal(1).map { abs($0) + 0.5 }
        minusZeroFirst[3] = -0.0
        minusZeroFirst[9] = 0.0
        var plusZeroFirst = minusZeroFirst
        plusZeroFirst[3] = 0.0
        plusZeroFirst[9] = -0.0
        var withNaN = normal(1), withInf = normal(1), withMinusInf = normal(1)
        withNaN[17] = .nan
        withInf[0] = .infinity
        withMinusInf[31] = -.infinity
        var allNaN = [Float](repeating: .nan, count: 32)
        allNaN[5] = 1
        var subnormalScale = [Float](repeating: 0x1p-130, count: 32)
        subnormalScale[7] = 0x1p-127 + 0x1p-130
        var tieMaximumFirst = normal(1).map { Swift.max(-1.5, Swift.min(1.5, $0)) }
        tieMaximumFirst[6] = 2
        tieMaximumFirst[21] = -2
        var tieMinimumFirst = tieMaximumFirst
        tieMinimumFirst[6] = -2
        tieMinimumFirst[21] = 2
        var bigRange = normal(1)
        bigRange[4] = 3e38
        bigRange[20] = -3e38
        return [
            ("constant", [Float](repeating: 0.75, count: 32)),
            ("constant negative", [Float](repeating: -3.5, count: 32)),
            ("all +0", [Float](repeating: 0, count: 32)),
            ("all -0", [Float](repeating: -0.0, count: 32)),
            ("zero minimum, -0 first", minusZeroFirst),
            ("zero minimum, +0 first", plusZeroFirst),
            ("NaN", withNaN), ("+inf", withInf), ("-inf", withMinusInf), ("mostly NaN", allNaN),
            ("subnormal d", subnormalScale),
            ("subnormal values", (0..<32).map { Float(bitPattern: UInt32($0 * 977 + 1)) }),
            ("fp16 overflow of d", normal(1e6)),
            ("fp16 overflow of min", normal(1).map { $0 - 1e5 }),
            ("fp16 subnormal min", normal(1e-6).map { abs($0) + 3e-6 }),
            ("fp16 subnormal d", normal(1e-7)),
            ("d overflows float", bigRange),
            ("ties", (0..<32).map { Float($0 % 16) * 0.25 }),
            ("max and -min tie, max first", tieMaximumFirst), ("max and -min tie, min first", tieMinimumFirst),
            ("levels capped", (0..<32).map { Float($0) - 16 }),
        ]
    }()

    func testSpecialBlocksAtEveryPositionOfABatch() {
        var g = GGMLCodecPropertyTests.SplitMix(state: 7)
        for (name, block) in Self.specialBlocks {
            for count in [1, 2, 3, 7, 8, 9, 17, 24] {
                for position in 0..<count {
                    var x = (0..<(32 * count)).map { _ in 0.02 * Float(g.normal()) }
                    x.replaceSubrange((32 * position)..<(32 * position + 32), with: block)
                    assertMatchesScalar(x, "\(name) at \(position) of \(count)")
                }
            }
        }
    }

    func testBlockCountsAndMixedBatches() {
        var g = GGMLCodecPropertyTests.SplitMix(state: 99)
        for count in [1, 2, 3, 7, 9, 15, 16, 17, 23, 31, 33, 40, 65] {
            var x = [Float]()
            for b in 0..<count {
                if g.next() % 3 == 0 {
                    x += Self.specialBlocks[Int(g.next() % UInt64(Self.specialBlocks.count))].1
                } else {
                    let s = Float(pow(10, -5 + 7 * g.unit()))
                    x += (0..<32).map { _ in s * Float(g.normal()) + (b % 2 == 0 ? s : 0) }
                }
            }
            assertMatchesScalar(x, "\(count) blocks")
        }
    }

    func assertMatchesScalar(_ x: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let blocks = x.count / 32
        for (name, bytes, fast, scalar) in [
            ("Q4_0", Q4_0Codec.blockBytes, Q4_0Codec.encode, Q4_0Codec.encodeScalar),
            ("Q4_1", Q4_1Codec.blockBytes, Q4_1Codec.encode, Q4_1Codec.encodeScalar),
            ("Q5_0", Q5_0Codec.blockBytes, Q5_0Codec.encode, Q5_0Codec.encodeScalar),
            ("Q5_1", Q5_1Codec.blockBytes, Q5_1Codec.encode, Q5_1Codec.encodeScalar),
        ] as [(String, Int, (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) -> Void, (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) -> Void)] {
            var a = [UInt8](repeating: 0xA5, count: bytes * blocks), b = a
            x.withUnsafeBufferPointer { p in
                a.withUnsafeMutableBytes { fast(p.baseAddress!, blocks, $0.baseAddress!) }
                b.withUnsafeMutableBytes { scalar(p.baseAddress!, blocks, $0.baseAddress!) }
            }
            let bad = (0..<blocks).filter { a[($0 * bytes)..<($0 * bytes + bytes)] != b[($0 * bytes)..<($0 * bytes + bytes)] }
            XCTAssertTrue(bad.isEmpty, "\(name), \(what): blocks \(bad) differ", file: file, line: line)
        }
    }

    /// The vector fp32 → fp16 conversion of magnitudes against the scalar one: every fp16 value's neighbourhood and
    /// midpoint below 65520 (ties to even, subnormals), and a spread of all bit patterns in that range.
    func testVectorHalfConversionMatchesScalar() {
        var inputs = [UInt32]()
        for h in UInt16(0)..<UInt16(0x7C00) {
            let f = Half.toFloat(h).bitPattern
            let next = Half.toFloat(h &+ 1).bitPattern
            let mid = (Float(bitPattern: f) / 2 + Float(bitPattern: next) / 2).bitPattern
            inputs += [f, f &- 1, f &+ 1, mid, mid &- 1, mid &+ 1]
        }
        var p: UInt64 = 0
        while p < 0x477F_F000 { inputs.append(UInt32(p)); p += 9_973 }
        inputs += [0x477F_EFFF, 0x3880_0000, 0x387F_FFFF, 0x3300_0000, 0x3300_0001]
        inputs = inputs.filter { $0 < 0x477F_F000 }
        while inputs.count % 8 != 0 { inputs.append(0) }
        var wrong = 0
        for i in stride(from: 0, to: inputs.count, by: 8) {
            var m = SIMD8<Int32>()
            for j in 0..<8 { m[j] = Int32(bitPattern: inputs[i + j]) }
            let bits = Half.fromMagnitude(m)
            for j in 0..<8 where bits[j] != Int32(Half.fromFloat(Float(bitPattern: inputs[i + j]))) {
                if wrong < 5 { XCTFail(String(format: "%08x: %04x, scalar %04x", inputs[i + j], bits[j], Half.fromFloat(Float(bitPattern: inputs[i + j])))) }
                wrong += 1
            }
        }
        XCTAssertEqual(wrong, 0)
    }
}
