/// NVIDIA NVFP4: blocks of 16 consecutive weights along a row, FP4 E2M1 elements, an FP8 E4M3 scale per
/// block and one f32 scale for the tensor.
///
/// The recipe of NVIDIA's TensorRT-Model-Optimizer (`NVFP4QTensor`): global scale `g = absmax / (448·6)`;
/// block scale `e4m3_round(absmax_block / (6·g))` (round to nearest even, saturating at 448); elements
/// `e2m1_round(w / (blockScale·g))` (nearest even, saturating at ±6); `ŵ = e2m1 · (blockScale·g)`.
/// As there, a block whose absmax is 0 stores the scale 1.0 (code 0x38). Where the recipe would divide by
/// zero — the whole tensor is zero (g = 0) or a tiny block's scale rounds to E4M3 zero — the elements are
/// stored as 0.
/// Storage: n/2 bytes of element nibbles (first element in the low nibble), then n/16 E4M3 block-scale
/// bytes, then g as f32 little-endian: 4.5 bits per weight plus 4 bytes.
struct NVFP4Quantizer: TensorEncoder {
    static let blockSize = 16
    let elementCount: Int
    /// The per-tensor scale g.
    let globalScale: Float
    var unitLength: Int { Self.blockSize }

    init(context: TensorContext, spec: QuantSpec) throws {
        let row = context.tensor.rowLength
        guard row % Self.blockSize == 0 else {
            throw QuantizationError(tensor: context.tensor.name, spec: spec.description,
                                    problem: "the row length \(row) is not a multiple of the NVFP4 block size 16")
        }
        elementCount = context.tensor.elementCount
        globalScale = context.absMax / (448 * 6)
    }

    var storedBytes: Int { elementCount / 2 + elementCount / Self.blockSize + 4 }

    /// The E4M3 code of a block's scale.
    @inline(__always)
    func blockScaleCode(absMax: Float) -> UInt8 {
        let scale = absMax / (6 * globalScale)
        return MiniFloatFormat.e4m3.encode(absMax == 0 ? 1 : scale)
    }

    /// The divisor of the block's elements: decoded block scale times g (0 means all elements are 0).
    @inline(__always)
    func divisor(scaleCode: UInt8) -> Float {
        globalScale > 0 ? FP8.e4m3Table[Int(scaleCode)] * globalScale : 0
    }

    // MARK: - Fast path

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        let constants = E2M1.format.vectorConstants
        let e4m3 = MiniFloatFormat.e4m3, g = globalScale
        var offset = 0
        while offset < count {
            let v = UnsafeRawPointer(input + offset).loadUnaligned(as: SIMD16<Float>.self)
            let absMax = FloatFormatKernel.magnitude(v).horizontalMax
            // The decoded block scale straight from the rounding (the code is not needed here).
            let d = g > 0 ? e4m3.roundFast(absMax == 0 ? 1 : absMax / (6 * g)) * g : 0
            let out = UnsafeMutableRawPointer(output + offset)
            if d > 0 {
                let vd = SIMD16<Float>(repeating: d)
                out.storeBytes(of: MiniFloatFormat.roundVector(v / vd, constants) * vd, as: SIMD16<Float>.self)
            } else {
                out.storeBytes(of: SIMD16<Float>(repeating: 0), as: SIMD16<Float>.self)
            }
            offset += Self.blockSize
        }
    }

    /// The same values as `fakeQuantize`, their error summed in registers without storing them.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        var offset = 0
        while offset < count {
            let n = Swift.min(ErrorSums.flushInterval, count - offset)
            Self.measureBlocks(input + offset, blocks: n / Self.blockSize, globalScale: globalScale, into: &sums)
            offset += n
        }
    }

    /// `blocks` blocks (at most a flush interval of weights). The divisors of eight blocks are computed together in
    /// lanes (absmax by a transposed reduction, the E4M3 rounding of the block scale as a vector), so their divisions
    /// and roundings overlap instead of each block waiting on its own; then each block's error is summed in registers.
    @inline(never)
    static func measureBlocks(_ x: UnsafePointer<Float>, blocks: Int, globalScale g: Float, into sums: inout ErrorSums) {
        typealias V = ErrorSums.Lanes
        let elements = E2M1.format.vectorConstants, scales = MiniFloatFormat.e4m3.vectorConstants
        withUnsafeTemporaryAllocation(of: V.self, capacity: 8) { partial in
            let maxima = partial.baseAddress!
            var acc = sums
            var first = 0
            while first < blocks {
                let inBatch = blocks - first < 8 ? blocks - first : 8
                for k in 0..<8 {
                    // Lanes past the last block repeat it; their divisors are not used.
                    let raw = UnsafeRawPointer(x + (first + (k < inBatch ? k : inBatch - 1)) * blockSize)
                    maxima[k] = FloatFormatKernel.maximum(FloatFormatKernel.magnitude(raw.loadUnaligned(as: V.self)),
                                                          FloatFormatKernel.magnitude(raw.loadUnaligned(fromByteOffset: 32, as: V.self)))
                }
                let absMax = TransposedReduction.maxima(maxima)
                // As in `fakeQuantize`: d = e4m3(absmax / (6g)) · g, with scale 1 for an all-zero block; 0 when g is 0.
                let ratio = (absMax / V(repeating: 6 * g)).replacing(with: 1, where: absMax .== 0)
                let d = g > 0 ? MiniFloatFormat.roundVector(ratio, scales) * V(repeating: g) : V(repeating: 0)
                let table = UnsafeMutableRawPointer(maxima)
                table.storeBytes(of: d, as: V.self)
                for k in 0..<inBatch {
                    let raw = UnsafeRawPointer(x + (first + k) * blockSize)
                    let v0 = raw.loadUnaligned(as: V.self), v1 = raw.loadUnaligned(fromByteOffset: 32, as: V.self)
                    let dk = table.load(fromByteOffset: 4 * k, as: Float.self)
                    if dk > 0 {
                        let vd = V(repeating: dk)
                        acc.add(v0, MiniFloatFormat.roundVector(v0 / vd, elements) * vd)
                        acc.add(v1, MiniFloatFormat.roundVector(v1 / vd, elements) * vd)
                    } else {
                        acc.add(v0, V(repeating: 0))
                        acc.add(v1, V(repeating: 0))
                    }
                }
                first += 8
            }
            acc.pending &+= blocks &* blockSize
            acc.flushIfFull()
            sums = acc
        }
    }

    // MARK: - Reference: [nibbles: n/2][E4M3 block scales: n/16][g: f32 LE]

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var nibbles = NibbleWriter(capacity: storedBytes)
        var scales: [UInt8] = []
        for b in 0..<elementCount / Self.blockSize {
            let block = input[b * Self.blockSize ..< (b + 1) * Self.blockSize]
            let code = blockScaleCode(absMax: block.reduce(0) { Swift.max($0, abs($1)) })
            let d = divisor(scaleCode: code)
            for w in block { nibbles.write(d > 0 ? E2M1.encode(w / d) : 0) }
            scales.append(code)
        }
        var out = nibbles.finished + scales
        FloatFormatBytes.append(globalScale, to: &out)
        return out
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        let scaleStart = elementCount / 2
        let g = FloatFormatBytes.float(bytes, at: scaleStart + elementCount / Self.blockSize)
        var out: [Float] = []
        out.reserveCapacity(elementCount)
        for i in 0..<elementCount {
            let code = bytes[scaleStart + i / Self.blockSize]
            let d = g > 0 ? FP8.e4m3Table[Int(code)] * g : 0
            out.append(E2M1.decode(FloatFormatBytes.nibble(bytes, i)) * d)
        }
        return out
    }
}
