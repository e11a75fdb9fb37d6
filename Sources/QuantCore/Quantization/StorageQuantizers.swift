/// Plain float storage (F32, F16, BF16): each weight rounded to the nearest representable value (ties to even).
struct FloatStorageQuantizer: TensorEncoder {
    let storage: QuantSpec.FloatStorage
    let elementCount: Int
    var unitLength: Int { 1 }
    var storedBytes: Int { elementCount * (storage == .f32 ? 4 : 2) }

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32: output.update(from: input, count: count)
        case .f16: for i in 0..<count { output[i] = Half.round(input[i]) }
        case .bf16: for i in 0..<count { output[i] = BFloat16.round(input[i]) }
        }
    }

    /// F16 and BF16 round eight weights at a time and sum their error in registers, without storing them.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        guard storage != .f32 else {
            fakeQuantize(input, count: count, start: start, into: scratch)
            sums.add(input, scratch, count: count)
            return
        }
        let vectorLength = count & ~7
        var i = 0
        while i < vectorLength {
            let n = Swift.min(ErrorSums.flushInterval, vectorLength - i)
            Self.measureRounded(input + i, n, toHalf: storage == .f16, into: &sums)
            i += n
        }
        if i < count {
            fakeQuantize(input + i, count: count - i, start: start + i, into: scratch)
            sums.add(input + i, scratch, count: count - i)
        }
    }

    /// `n` (a multiple of 8, at most the flush interval) weights rounded to f16 or bf16, their error added to `sums`.
    /// A small function of its own, so that its loop keeps the sums in registers.
    @inline(never)
    static func measureRounded(_ x: UnsafePointer<Float>, _ n: Int, toHalf: Bool, into sums: inout ErrorSums) {
        typealias V = ErrorSums.Lanes
        let raw = UnsafeRawPointer(x)
        var acc = sums
        var i = 0
        if toHalf {
            while i < n {
                let w = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
                acc.add(w, Half.round(w))
                i &+= 8
            }
        } else {
            while i < n {
                let w = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
                acc.add(w, BFloat16.round(w))
                i &+= 8
            }
        }
        acc.pending &+= n
        acc.flushIfFull()
        sums = acc
    }

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(storedBytes)
        for v in input {
            switch storage {
            case .f32: withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
            case .f16: withUnsafeBytes(of: Half.fromFloat(v).littleEndian) { out += $0 }
            case .bf16: withUnsafeBytes(of: BFloat16.fromFloat(v).littleEndian) { out += $0 }
            }
        }
        return out
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        var out = [Float](repeating: 0, count: elementCount)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                let dtype: DType = storage == .f32 ? .f32 : (storage == .f16 ? .f16 : .bf16)
                ElementDecoder.decode(dtype, from: raw.baseAddress!, count: elementCount, into: dst.baseAddress!)
            }
        }
        return out
    }
}

/// bfloat16 conversion with round-to-nearest-even (NaN stays NaN).
enum BFloat16 {
    static func fromFloat(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    static func round(_ value: Float) -> Float { Float(bitPattern: UInt32(fromFloat(value)) << 16) }

    /// `round` of eight finite lanes: the low 16 bits rounded away to nearest even (integer vector operations).
    @inline(__always)
    static func round(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        return unsafeBitCast((bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) & 0xFFFF_0000, to: SIMD8<Float>.self)
    }
}

/// A GGUF block type through llama.cpp-exact codecs: quantise each block, then dequantise it.
struct GGUFBlockQuantizer: TensorEncoder {
    let type: GGMLType
    let elementCount: Int
    var unitLength: Int { type.blockSize }
    var storedBytes: Int { elementCount / type.blockSize * type.blockBytes }

    init(type: GGMLType, context: TensorContext, spec: QuantSpec) throws {
        guard context.tensor.rowLength % type.blockSize == 0 else {
            throw QuantizationError(tensor: context.tensor.name, spec: spec.description,
                                    problem: "row length \(context.tensor.rowLength) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        guard GGMLBlockCodec.canEncode(type) else {
            throw QuantizationError(tensor: context.tensor.name, spec: spec.description, problem: "\(type.name) encoding is not available")
        }
        self.type = type
        elementCount = context.tensor.elementCount
    }

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        // Encode and decode a bounded run of blocks at a time through a stack buffer.
        let blocksPerStep = max(1, 16_384 / type.blockSize)
        withUnsafeTemporaryAllocation(byteCount: blocksPerStep * type.blockBytes, alignment: 16) { buffer in
            var offset = 0
            while offset < count {
                let n = min(count - offset, blocksPerStep * type.blockSize)
                GGMLBlockCodec.encode(type, from: input + offset, count: n, into: buffer.baseAddress!)
                GGMLBlockCodec.decode(type, from: UnsafeRawPointer(buffer.baseAddress!), count: n, into: output + offset)
                offset += n
            }
        }
    }

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: storedBytes)
        out.withUnsafeMutableBytes { GGMLBlockCodec.encode(type, from: input.baseAddress!, count: elementCount, into: $0.baseAddress!) }
        return out
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        var out = [Float](repeating: 0, count: elementCount)
        bytes.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { GGMLBlockCodec.decode(type, from: raw.baseAddress!, count: elementCount, into: $0.baseAddress!) } }
        return out
    }
}
