/// The 12-byte packing of eight 6-bit scales and eight 6-bit mins that Q4_K and Q5_K share (ggml's `get_scale_min_k4`).
enum KQuantScales {
    /// Packs 6-bit scale `ls` and min `lm` of sub-block `j` the way ggml's reference quantisers do, in order j = 0…7.
    @inline(__always)
    static func pack(_ j: Int, ls: UInt8, lm: UInt8, into s: UnsafeMutablePointer<UInt8>) {
        if j < 4 {
            s[j] = ls
            s[j + 4] = lm
        } else {
            s[j + 4] = (ls & 0xf) | ((lm & 0xf) << 4)
            s[j - 4] |= (ls >> 4) << 6
            s[j] |= (lm >> 4) << 6
        }
    }

    /// Unpacks scale and min of sub-block `j` from 12 bytes at `q`.
    @inline(__always)
    static func unpack(_ j: Int, _ q: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (q.load(fromByteOffset: j, as: UInt8.self) & 63, q.load(fromByteOffset: j + 4, as: UInt8.self) & 63)
        }
        let a = q.load(fromByteOffset: j + 4, as: UInt8.self)
        let lo = q.load(fromByteOffset: j - 4, as: UInt8.self)
        let hi = q.load(fromByteOffset: j, as: UInt8.self)
        return ((a & 0xf) | ((lo >> 6) << 4), (a >> 4) | ((hi >> 6) << 4))
    }
}
