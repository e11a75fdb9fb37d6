/// The non-linear 4-bit grid of IQ4_NL and IQ4_XS and ggml's `quantize_row_iq4_nl_impl` search (no importance matrix, ntry = 7).
enum IQ4NonLinear {
    /// ggml's `kvalues_iq4nl`.
    static let values: (Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8) =
        (-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113)

    @inline(__always)
    static func value(_ i: Int) -> Float {
        withUnsafeBytes(of: values) { Float($0.load(fromByteOffset: i, as: Int8.self)) }
    }

    /// ggml's `best_index_int8` over the 16 grid values: index of the nearest value (ties go up).
    @inline(__always)
    static func bestIndex(_ x: Float) -> UInt8 {
        if x <= -127 { return 0 }
        if x >= 113 { return 15 }
        var ml = 0, mu = 15
        while mu - ml > 1 {
            let mav = (ml + mu) / 2
            if x < value(mav) { mu = mav } else { ml = mav }
        }
        return x - value(mu - 1) < value(mu) - x ? UInt8(mu - 1) : UInt8(mu)
    }

    /// Scale search for one group of 32 (`weight = x²`); writes the first-pass levels into `L` and returns the group scale,
    /// or 0 when the group is (almost) all zero, in which case `L` is left untouched.
    @inline(__always)
    static func searchGroup(_ xb: UnsafePointer<Float>, L: UnsafeMutablePointer<UInt8>) -> Float {
        var amax: Float = 0, max: Float = 0
        for j in 0..<32 {
            let ax = abs(xb[j])
            if ax > amax {
                amax = ax
                max = xb[j]
            }
        }
        if amax < 1e-15 { return 0 }
        var d = -max / -127
        var id = 1 / d
        var sumqx: Float = 0, sumq2: Float = 0
        for j in 0..<32 {
            let l = bestIndex(id * xb[j])
            L[j] = l
            let q = value(Int(l))
            let w = xb[j] * xb[j]
            sumqx += w * q * xb[j]
            sumq2 += w * q * q
        }
        d = sumqx / sumq2
        var best = d * sumqx
        for itry in -7...7 {
            id = Float(itry - 127) / max
            sumqx = 0
            sumq2 = 0
            for j in 0..<32 {
                let q = value(Int(bestIndex(id * xb[j])))
                let w = xb[j] * xb[j]
                sumqx += w * q * xb[j]
                sumq2 += w * q * q
            }
            if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2
                best = d * sumqx
            }
        }
        return d
    }
}
