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
}
