/// The FP4 E2M1 element type of OCP MX (and of NVFP4): codes `S.EE.M`, values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}.
enum E2M1 {
    static let format = MiniFloatFormat.e2m1
    /// Value of each 4-bit code; code 8 is −0.
    static let values: [Float] = (0..<16).map { format.value(UInt8($0)) }

    /// The code of x / (the block's scale already divided out), round-to-nearest-even, saturating at ±6.
    @inline(__always) static func encode(_ x: Float) -> UInt8 { format.encode(x) }
    @inline(__always) static func decode(_ code: UInt8) -> Float { values[Int(code & 0xF)] }
}

/// Packs 4-bit codes two per byte, the first of each pair in the low nibble.
struct NibbleWriter {
    private(set) var bytes: [UInt8] = []
    private var pending: UInt8? = nil

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func write(_ code: UInt8) {
        if let low = pending {
            bytes.append(low | (code & 0xF) << 4)
            pending = nil
        } else {
            pending = code & 0xF
        }
    }

    /// The bytes written, with a last unpaired code in the low nibble of a final byte.
    var finished: [UInt8] { pending.map { bytes + [$0] } ?? bytes }
}

/// Little-endian scale fields and nibble reads for the float-format encoders.
enum FloatFormatBytes {
    /// The 4-bit code of element `index` of a nibble-packed run starting at byte `start`.
    @inline(__always)
    static func nibble(_ bytes: [UInt8], _ index: Int, from start: Int = 0) -> UInt8 {
        let byte = bytes[start + index / 2]
        return index & 1 == 0 ? byte & 0xF : byte >> 4
    }

    static func float(_ bytes: [UInt8], at offset: Int) -> Float {
        Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
    }

    static func half(_ bytes: [UInt8], at offset: Int) -> Float {
        Half.toFloat(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
    }

    static func append(_ value: Float, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func appendHalf(_ value: Float, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: Half.fromFloat(value).littleEndian) { bytes.append(contentsOf: $0) }
    }
}
