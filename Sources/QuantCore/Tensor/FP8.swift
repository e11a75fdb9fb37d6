/// The 8-bit float formats of the OCP "OFP8" specification and their value tables.
public enum FP8 {
    /// E4M3 ("fn"): bias 7, no infinities, `S.1111.111` is NaN, largest finite value 448.
    public static func e4m3ToFloat(_ code: UInt8) -> Float {
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let exponent = Int((code >> 3) & 0xF)
        let mantissa = Float(code & 0x7)
        if exponent == 15 && code & 0x7 == 7 { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * Float(sign: .plus, exponent: -6, significand: 1) }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    /// E5M2: bias 15, IEEE-like infinities and NaNs, largest finite value 57344.
    public static func e5m2ToFloat(_ code: UInt8) -> Float {
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let exponent = Int((code >> 2) & 0x1F)
        let mantissa = Float(code & 0x3)
        if exponent == 31 { return code & 0x3 == 0 ? sign * .infinity : .nan }
        if exponent == 0 { return sign * mantissa / 4 * Float(sign: .plus, exponent: -14, significand: 1) }
        return sign * (1 + mantissa / 4) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }

    /// E8M0 (the MX scale type): 2^(code − 127); 0xFF is NaN.
    public static func e8m0ToFloat(_ code: UInt8) -> Float {
        code == 0xFF ? .nan : Float(sign: .plus, exponent: Int(code) - 127, significand: 1)
    }

    static let e4m3Table: [Float] = (0...255).map { e4m3ToFloat(UInt8($0)) }
    static let e5m2Table: [Float] = (0...255).map { e5m2ToFloat(UInt8($0)) }
    static let e8m0Table: [Float] = (0...255).map { e8m0ToFloat(UInt8($0)) }
}
