/// OCP Microscaling MXFP4 (OCP MX Specification v1.0): blocks of 32 consecutive weights along a row,
/// FP4 E2M1 elements and one shared E8M0 power-of-two scale per block.
///
/// Following the spec's conversion from scalar floats to an MX block (§6.3):
/// `X = 2^(floor(log2(max|V_i|)) − emax_elem)` with `emax_elem = 2` for E2M1 (its largest normal value is
/// 6 = 1.5·2²), and `P_i = V_i / X` converted to E2M1 with round-to-nearest-even, normal values that
/// overflow clamped to ±6 (the spec's "clamp to the element type's max normal"). `ŵ = P_i · X`.
/// Where the spec leaves a choice: a shared exponent below E8M0's range (−127) is clamped to −127
/// (code 0); a block whose absmax is 0 stores scale code 0 (X = 2^−127) and all-zero elements. The scale
/// code 0xFF (NaN) is never produced.
/// Storage per block: 1 scale byte, then 16 bytes of element nibbles (first element in the low nibble):
/// 17 bytes per 32 weights, 4.25 bits per weight.
struct MXFP4Quantizer: TensorEncoder {
    static let blockSize = 32
    static let blockBytes = 17
    let elementCount: Int
    var unitLength: Int { Self.blockSize }

    init(context: TensorContext, spec: QuantSpec) throws {
        let row = context.tensor.rowLength
        guard row % Self.blockSize == 0 else {
            throw QuantizationError(tensor: context.tensor.name, spec: spec.description,
                                    problem: "the row length \(row) is not a multiple of the MX block size 32")
        }
        elementCount = context.tensor.elementCount
    }

    var storedBytes: Int { elementCount / Self.blockSize * Self.blockBytes }

    /// The E8M0 code of the shared scale for a block with this absmax.
    @inline(__always)
    static func scaleCode(absMax: Float) -> UInt8 {
        guard absMax > 0 else { return 0 }
        let sharedExponent = Swift.max(Int(absMax.exponent) - 2, -127)
        return UInt8(sharedExponent + 127)
    }

    // MARK: - Fast path

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        let constants = E2M1.format.vectorConstants
        var offset = 0
        while offset < count {
            let raw = UnsafeRawPointer(input + offset), out = UnsafeMutableRawPointer(output + offset)
            let a = raw.loadUnaligned(as: SIMD16<Float>.self)
            let b = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let ma = FloatFormatKernel.magnitude(a), mb = FloatFormatKernel.magnitude(b)
            let absMax = ma.replacing(with: mb, where: mb .> ma).horizontalMax
            // The scale code from the exponent field; X and 1/X are exact powers of two built from bits
            // (X = 2^-127 for code 0 is subnormal; 1/X is at most 2^127).
            let code = Swift.max(Int32(absMax.bitPattern >> 23) - 2, 0)
            let scale = SIMD16<Float>(repeating: Float(bitPattern: code == 0 ? 0x0040_0000 : UInt32(code) << 23))
            let inverse = SIMD16<Float>(repeating: Float(bitPattern: UInt32(254 - code) << 23))
            out.storeBytes(of: MiniFloatFormat.roundVector(a * inverse, constants) * scale, as: SIMD16<Float>.self)
            out.storeBytes(of: MiniFloatFormat.roundVector(b * inverse, constants) * scale, toByteOffset: 64, as: SIMD16<Float>.self)
            offset += Self.blockSize
        }
    }

    /// The same values as `fakeQuantize`, their error summed in registers without storing them.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        var offset = 0
        while offset < count {
            let n = Swift.min(ErrorSums.flushInterval, count - offset)
            Self.measureBlocks(input + offset, blocks: n / Self.blockSize, into: &sums)
            offset += n
        }
    }

    /// `blocks` blocks (at most a flush interval of weights); a small function so its loop keeps the sums in registers.
    @inline(never)
    static func measureBlocks(_ x: UnsafePointer<Float>, blocks: Int, into sums: inout ErrorSums) {
        typealias V = ErrorSums.Lanes
        let constants = E2M1.format.vectorConstants
        var acc = sums
        for b in 0..<blocks {
            let raw = UnsafeRawPointer(x + b &* blockSize)
            let v0 = raw.loadUnaligned(as: V.self), v1 = raw.loadUnaligned(fromByteOffset: 32, as: V.self)
            let v2 = raw.loadUnaligned(fromByteOffset: 64, as: V.self), v3 = raw.loadUnaligned(fromByteOffset: 96, as: V.self)
            let m = FloatFormatKernel.maximum(FloatFormatKernel.maximum(FloatFormatKernel.magnitude(v0), FloatFormatKernel.magnitude(v1)),
                                              FloatFormatKernel.maximum(FloatFormatKernel.magnitude(v2), FloatFormatKernel.magnitude(v3)))
            // As in `fakeQuantize`: X and 1/X are powers of two built from the exponent field.
            let code = Swift.max(Int32(m.horizontalMax.bitPattern >> 23) - 2, 0)
            let scale = V(repeating: Float(bitPattern: code == 0 ? 0x0040_0000 : UInt32(code) << 23))
            let inverse = V(repeating: Float(bitPattern: UInt32(254 - code) << 23))
            acc.add(v0, MiniFloatFormat.roundVector(v0 * inverse, constants) * scale)
            acc.add(v1, MiniFloatFormat.roundVector(v1 * inverse, constants) * scale)
            acc.add(v2, MiniFloatFormat.roundVector(v2 * inverse, constants) * scale)
            acc.add(v3, MiniFloatFormat.roundVector(v3 * inverse, constants) * scale)
        }
        acc.pending &+= blocks &* blockSize
        acc.flushIfFull()
        sums = acc
    }

    // MARK: - Reference: per block [E8M0 scale][16 bytes of E2M1 nibbles, low nibble first]

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(storedBytes)
        for b in 0..<elementCount / Self.blockSize {
            let block = input[b * Self.blockSize ..< (b + 1) * Self.blockSize]
            let code = Self.scaleCode(absMax: block.reduce(0) { Swift.max($0, abs($1)) })
            let scale = FP8.e8m0ToFloat(code)
            out.append(code)
            var nibbles = NibbleWriter(capacity: 16)
            for w in block { nibbles.write(E2M1.encode(w / scale)) }
            out += nibbles.finished
        }
        return out
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(elementCount)
        for b in 0..<elementCount / Self.blockSize {
            let base = b * Self.blockBytes
            let scale = FP8.e8m0ToFloat(bytes[base])
            for i in 0..<Self.blockSize {
                out.append(E2M1.decode(FloatFormatBytes.nibble(bytes, i, from: base + 1)) * scale)
            }
        }
        return out
    }
}
