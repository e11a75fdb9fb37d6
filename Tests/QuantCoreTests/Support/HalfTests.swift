import Testing
@testable import QuantCore

/// The integer-only fp16 conversions must agree with Swift's own `Float16` on every input class.
@Suite struct HalfTests {
    @Test func everyHalfDecodesLikeFloat16() {
        for code in 0...0xFFFF {
            let expected = Float(Float16(bitPattern: UInt16(code)))
            let actual = Half.toFloat(UInt16(code))
            if expected.isNaN { #expect(actual.isNaN) } else { #expect(actual.bitPattern == expected.bitPattern, "code \(code)") }
        }
    }

    @Test func everyHalfAndEveryMidpointEncodesLikeFloat16() {
        // Each representable value, and the values just below, at and just above each midpoint between neighbours.
        for code in 0..<0x7C00 {
            let low = Float(Float16(bitPattern: UInt16(code))), high = Float(Float16(bitPattern: UInt16(code + 1)))
            let middle = (Double(low) + Double(high)) / 2
            for value in [low, Float(middle), Float(middle).nextDown, Float(middle).nextUp, -low, -Float(middle)] {
                #expect(Half.fromFloat(value) == Float16(value).bitPattern, "value \(value)")
            }
        }
    }

    @Test func aSpreadOfAllFloatBitPatterns() {
        var bits: UInt32 = 0
        while true {
            let value = Float(bitPattern: bits)
            let expected = Float16(value)
            if value.isNaN { #expect(Half.toFloat(Half.fromFloat(value)).isNaN) } else { #expect(Half.fromFloat(value) == expected.bitPattern, "bits \(bits)") }
            let (next, overflow) = bits.addingReportingOverflow(65_521)
            if overflow { break }
            bits = next
        }
    }

    /// The eight-lane roundings used by the fused kernels equal the scalar ones on every finite value of a spread of
    /// bit patterns, and on every fp16 value and midpoint neighbourhood.
    @Test func laneRoundingsEqualTheScalarRoundings() {
        var values: [Float] = []
        var bits: UInt32 = 0
        while true {
            let value = Float(bitPattern: bits)
            if value.isFinite { values.append(value) }
            let (next, overflow) = bits.addingReportingOverflow(40_009)
            if overflow { break }
            bits = next
        }
        for code in stride(from: 0, to: 0x7C00, by: 7) {
            let low = Float(Float16(bitPattern: UInt16(code))), high = Float(Float16(bitPattern: UInt16(code + 1)))
            let middle = Float((Double(low) + Double(high)) / 2)
            values += [low, middle, middle.nextDown, middle.nextUp, -middle, 65519.99, 65520, -65520]
        }
        while values.count % 8 != 0 { values.append(0) }
        for start in stride(from: 0, to: values.count, by: 8) {
            var lanes = SIMD8<Float>()
            for k in 0..<8 { lanes[k] = values[start + k] }
            let half = Half.round(lanes), brain = BFloat16.round(lanes)
            for k in 0..<8 {
                #expect(half[k].bitPattern == Half.round(lanes[k]).bitPattern, "f16 of \(lanes[k])")
                #expect(brain[k].bitPattern == BFloat16.round(lanes[k]).bitPattern, "bf16 of \(lanes[k])")
            }
        }
    }
}
