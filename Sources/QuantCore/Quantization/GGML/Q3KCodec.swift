/// Q3_K: super-blocks of 256 with 16 sub-blocks of 16, 3-bit values (2 low bits + high-bit mask), 6-bit scales (110 bytes).
/// ggml: `quantize_row_q3_K_ref`, `dequantize_row_q3_K`.
enum Q3KCodec {
    static let blockElements = 256
    static let blockBytes = 110

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { floats in
              withUnsafeTemporaryAllocation(of: KQuantLanes.V.self, capacity: 32 * 3 + 122 + 32) { lanes in
                for b in 0..<blocks {
                    let xb = x + blockElements * b, yb = y + blockBytes * b
                    if scalarOnly {
                        encodeBlock(xb, yb, L: bytes.baseAddress!,
                                    sc: UnsafeMutableRawPointer(bytes.baseAddress! + 256).assumingMemoryBound(to: UInt8.self),
                                    scales: floats.baseAddress!)
                    } else {
                        encodeBlockLanes(xb, yb, scales: floats.baseAddress!, lanes: lanes.baseAddress!)
                    }
                }
              }
            }
        }
    }

    /// The 16 sub-blocks' searches in lanes (see `KQuantLanes.makeQ3Block`), then the final levels and the packing on whole
    /// vectors in natural order. Exact for every input, so there is no scalar fallback.
    @inline(__always)
    static func encodeBlockLanes(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, scales: UnsafeMutablePointer<Float>,
        lanes: UnsafeMutablePointer<KQuantLanes.V>
    ) {
        typealias V = KQuantLanes.V
        typealias U = KQuantLanes.U
        let X = lanes, Lv = X + 32, Lu = Lv + 32
        KQuantLanes.transpose16(x, into: X)
        let refinedL = Lu + 32 + 122
        let (allZero, refined) = KQuantLanes.makeQ3Block(x: x, X: X, L: Lv, refinedL: refinedL, scratch: Lu + 32, scales: scales)
        var maxScale: Float = 0
        var amax: Float = 0
        for j in 0..<16 {
            let s = abs(scales[j])
            if s > amax {
                amax = s
                maxScale = scales[j]
            }
        }
        // The 6-bit scales, packed as ggml packs them, and each sub-block's scale − 32 as ggml reads it back.
        let ls = scales + 16
        var low: UInt64 = 0, high: UInt32 = 0
        let d: Float
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                let l8 = Int32(Int8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * scales[j])))
                let l = Swift.max(-32, Swift.min(31, l8))
                ls[j] = Float(l)
                let u = UInt64(truncatingIfNeeded: l + 32)
                low |= (u & 0xf) &<< UInt64(8 * (j % 8) + 4 * (j / 8))
                high |= UInt32(truncatingIfNeeded: u >> 4) &<< UInt32(8 * (j % 4) + 2 * (j / 4))
            }
            d = storeHalf(1 / iscale, y, 108)
        } else {
            for j in 0..<16 { ls[j] = -32 }
            d = storeHalf(0, y, 108)
        }
        y.storeBytes(of: low.littleEndian, toByteOffset: 96, as: UInt64.self)
        y.storeBytes(of: high.littleEndian, toByteOffset: 104, as: UInt32.self)
        // Final levels 0…7 in natural order, as the low bits of float bit patterns; a sub-block whose scale is 0 keeps the search's levels.
        let lo = V(repeating: -4), hi = V(repeating: 3), shift = V(repeating: 4 + 8_388_608)
        for j in 0..<16 {
            let dl = d * ls[j]
            if dl == 0 {
                let zero = allZero & (1 &<< UInt32(j)) != 0
                for h in 0..<2 {
                    var v = V.zero
                    if refined & (1 &<< UInt32(j)) != 0 {
                        v = refinedL[2 * j + h]
                    } else {
                        for i in 0..<8 { v[i] = Lv[16 * (j / 8) + 8 * h + i][j % 8] }
                    }
                    Lu[2 * j + h] = zero ? V(repeating: 8_388_608) : v + shift
                }
                continue
            }
            let dlv = V(repeating: dl)
            for h in 0..<2 {
                let xv = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: 64 * j + 32 * h, as: V.self)
                let l = KQuantLanes.clamp(KQuantLanes.nearestExact(xv / dlv), lo, hi)
                Lu[2 * j + h] = l + shift
            }
        }
        // hmask byte m holds bit 2 of levels m, 32 + m, …, 224 + m; quant byte 32·h + m the low two bits of levels
        // 128·h + m, +32, +64, +96.
        for c in 0..<4 {
            var h = U.zero
            for bit in 0..<8 { h |= ((unsafeBitCast(Lu[4 * bit + c], to: U.self) &>> 2) & 1) &<< UInt32(bit) }
            y.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: h), toByteOffset: 8 * c, as: SIMD8<UInt8>.self)
        }
        for half in 0..<2 {
            for c in 0..<4 {
                var q = U.zero
                for k in 0..<4 { q |= (unsafeBitCast(Lu[16 * half + 4 * k + c], to: U.self) & 3) &<< UInt32(2 * k) }
                y.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: q), toByteOffset: 32 + 32 * half + 8 * c, as: SIMD8<UInt8>.self)
            }
        }
    }

    @inline(__always)
    static func encodeBlock(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<Int8>,
        sc: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<Float>
    ) {
        var maxScale: Float = 0
        var amax: Float = 0
        for j in 0..<16 {
            scales[j] = KQuantSearch.makeQ3(n: 16, nmax: 4, x: x + 16 * j, L: L + 16 * j)
            let s = abs(scales[j])
            if s > amax {
                amax = s
                maxScale = scales[j]
            }
        }
        for j in 0..<12 { sc[j] = 0 }
        let d: Float
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                let l8 = Int32(Int8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * scales[j])))
                let l = UInt8(truncatingIfNeeded: Swift.max(-32, Swift.min(31, l8)) + 32)
                if j < 8 {
                    sc[j] = l & 0xf
                } else {
                    sc[j - 8] |= (l & 0xf) << 4
                }
                sc[j % 4 + 8] |= (l >> 4) << UInt8(2 * (j / 4))
            }
            d = storeHalf(1 / iscale, y, 108)
        } else {
            d = storeHalf(0, y, 108)
        }
        for j in 0..<16 {
            let low = j < 8 ? sc[j] & 0xf : sc[j - 8] >> 4
            let s = Int32(low | (((sc[8 + j % 4] >> UInt8(2 * (j / 4))) & 3) << 4)) - 32
            let dl = d * Float(s)
            if dl == 0 { continue }
            for ii in 0..<16 {
                let l = GGMLBlockCodec.nearestInt(x[16 * j + ii] / dl)
                L[16 * j + ii] = Int8(truncatingIfNeeded: Swift.max(-4, Swift.min(3, l)) + 4)
            }
        }
        for m in 0..<32 {
            var h: UInt8 = 0
            for bit in 0..<8 where L[32 * bit + m] > 3 {
                h |= 1 << UInt8(bit)
                L[32 * bit + m] -= 4
            }
            y.storeBytes(of: h, toByteOffset: m, as: UInt8.self)
        }
        for h in 0..<2 {
            let base = 128 * h
            for l in 0..<32 {
                let q = UInt8(bitPattern: L[base + l]) | (UInt8(bitPattern: L[base + l + 32]) << 2)
                    | (UInt8(bitPattern: L[base + l + 64]) << 4) | (UInt8(bitPattern: L[base + l + 96]) << 6)
                y.storeBytes(of: q, toByteOffset: 32 + 32 * h + l, as: UInt8.self)
            }
        }
        for j in 0..<12 { y.storeBytes(of: sc[j], toByteOffset: 96 + j, as: UInt8.self) }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            var out = x + blockElements * b
            let dAll = loadHalf(yb, 108)
            var s = 0
            for h in 0..<2 {
                let q = yb + 32 + 32 * h
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    let mask = UInt8(1) << UInt8(4 * h + j)
                    for k in 0..<2 {
                        let low = s < 8 ? yb.load(fromByteOffset: 96 + s, as: UInt8.self) & 0xf
                            : yb.load(fromByteOffset: 96 + s - 8, as: UInt8.self) >> 4
                        let high = (yb.load(fromByteOffset: 96 + 8 + s % 4, as: UInt8.self) >> UInt8(2 * (s / 4))) & 3
                        s += 1
                        let dl = dAll * Float(Int32(low | (high << 4)) - 32)
                        for l in 0..<16 {
                            let v = Int32((q.load(fromByteOffset: 16 * k + l, as: UInt8.self) >> shift) & 3)
                            let hm = yb.load(fromByteOffset: 16 * k + l, as: UInt8.self) & mask
                            out[l] = dl * Float(v - (hm != 0 ? 0 : 4))
                        }
                        out += 16
                    }
                }
            }
        }
    }
}
