/// Converts plain stored element types to f32. The 16-bit float paths are vectorised with bit
/// operations; 8-bit floats use 256-entry tables.
enum ElementDecoder {
    static func decode(_ dtype: DType, from source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 4)
        case .f16: decodeF16(source, count, out)
        case .bf16: decodeBF16(source, count, out)
        case .f64: convert(source, count, out, Double.self) { Float($0) }
        case .f8e4m3: decodeTable(FP8.e4m3Table, source, count, out)
        case .f8e5m2: decodeTable(FP8.e5m2Table, source, count, out)
        case .f8e8m0: decodeTable(FP8.e8m0Table, source, count, out)
        case .i64: convert(source, count, out, Int64.self) { Float($0) }
        case .i32: convert(source, count, out, Int32.self) { Float($0) }
        case .i16: convert(source, count, out, Int16.self) { Float($0) }
        case .i8: convert(source, count, out, Int8.self) { Float($0) }
        case .u64: convert(source, count, out, UInt64.self) { Float($0) }
        case .u32: convert(source, count, out, UInt32.self) { Float($0) }
        case .u16: convert(source, count, out, UInt16.self) { Float($0) }
        case .u8: convert(source, count, out, UInt8.self) { Float($0) }
        case .bool: convert(source, count, out, UInt8.self) { $0 == 0 ? 0 : 1 }
        case .f4, .f6e2m3, .f6e3m2, .c64, .ggml:
            preconditionFailure("\(dtype.name) is not decoded by ElementDecoder")
        }
    }

    @inline(__always)
    private static func convert<T: FixedWidthInteger & BitwiseCopyable>(_ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>, _: T.Type, _ f: (T) -> Float) {
        for i in 0..<count {
            out[i] = f(T(littleEndian: source.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)))
        }
    }

    @inline(__always)
    private static func convert(_ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>, _: Double.Type, _ f: (Double) -> Float) {
        for i in 0..<count {
            out[i] = f(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
        }
    }

    private static func decodeTable(_ table: [Float], _ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        let bytes = source.assumingMemoryBound(to: UInt8.self)
        table.withUnsafeBufferPointer { t in
            for i in 0..<count { out[i] = t[Int(bytes[i])] }
        }
    }

    /// bf16 is the top half of an f32: widen each 16-bit word by shifting.
    static func decodeBF16(_ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 8 <= count {
            let h = source.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
            let w = SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16
            raw.storeBytes(of: w, toByteOffset: i * 4, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < count {
            let h = source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            out[i] = Float(bitPattern: UInt32(h) << 16)
            i += 1
        }
    }

    /// IEEE half to f32 with integer operations only: move exponent and mantissa into place and rescale
    /// by 2^112 (exact, subnormals included); infinities and NaNs get the f32 all-ones exponent.
    static func decodeF16(_ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(out)
        let scale = SIMD8<Float>(repeating: Float(bitPattern: 0x7780_0000)) // 2^112
        var i = 0
        while i + 8 <= count {
            let h = SIMD8<UInt32>(truncatingIfNeeded: source.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self))
            let sign = (h & 0x8000) &<< 16
            let magnitude = (h & 0x7FFF) &<< 13
            let scaled = unsafeBitCast(unsafeBitCast(magnitude, to: SIMD8<Float>.self) * scale, to: SIMD8<UInt32>.self)
            // All-ones where the exponent is all ones (inf, NaN): integer vector compares compile to lane loops here.
            let special = 0 &- (((h & 0x7C00) &+ 0x0400) &>> 15)
            let value = (scaled & ~special) | ((magnitude | 0x7F80_0000) & special) | sign
            raw.storeBytes(of: value, toByteOffset: i * 4, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < count {
            out[i] = Half.toFloat(source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
            i += 1
        }
    }
}
