/// NormalFloat-4 (QLoRA, bitsandbytes `quant_type="nf4"`): 16 fixed levels in [−1, 1] scaled by each
/// group's absmax.
///
/// Per group of `group` consecutive weights: `absmax` (rounded to f16 first when scales are stored as f16;
/// an f16 overflow saturates to 65504), `x = w · (1/absmax)` as bitsandbytes computes it, code = the number
/// of decision thresholds that x exceeds, `ŵ = level[code] · absmax`. The thresholds are bitsandbytes'
/// (`dQuantizeNF4` in csrc/kernels.cu): the float32 midpoints between neighbouring levels. Tie rule, as
/// there: x exactly on a threshold takes the lower level (the comparison is `x > t`). A group whose absmax
/// is 0 decodes to zeros; when `1/absmax` overflows (absmax below 2^-128) x is computed as `w / absmax`.
/// Storage: codes packed two per byte, first element in the low nibble (bitsandbytes puts it in the high
/// nibble), then one scale per group (f32 or f16, little-endian).
struct NF4Quantizer: TensorEncoder {
    /// The 16 NF4 levels, from bitsandbytes' `nf4_dequantization_lut` (csrc/kernels.cu), code order.
    static let levels: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// Decision thresholds between levels k and k+1, from bitsandbytes' `dQuantizeNF4` (float literals).
    static let thresholds: [Float] = [
        -0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544,
        -0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
        0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683,
        0.5016634166240692, 0.6427869200706482, 0.8614784181118011,
    ]

    let group: Int
    let scaleStorage: QuantSpec.ScaleStorage
    let elementCount: Int
    var unitLength: Int { group }
    var groupCount: Int { elementCount / group }

    init(group: Int, scale: QuantSpec.ScaleStorage, context: TensorContext, spec: QuantSpec) throws {
        let row = context.tensor.rowLength
        guard group > 0, row % group == 0 else {
            throw QuantizationError(tensor: context.tensor.name, spec: spec.description,
                                    problem: "group size \(group) does not divide the row length \(row)")
        }
        self.group = group
        scaleStorage = scale
        elementCount = context.tensor.elementCount
    }

    var storedBytes: Int { (elementCount + 1) / 2 + groupCount * (scaleStorage == .f16 ? 2 : 4) }

    /// The group's absmax as stored.
    @inline(__always)
    func storedScale(_ absMax: Float) -> Float {
        guard scaleStorage == .f16 else { return absMax }
        return Swift.min(Half.round(absMax), 65504)
    }

    // MARK: - Fast path

    /// Bucket and level tables for codes without 15 comparisons (see `NF4Tables`).
    static let tables = NF4Tables(thresholds: thresholds, levels: levels)

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        Self.tables.buckets.withUnsafeBufferPointer { buckets in
            var offset = 0
            while offset < count {
                quantizeGroup(input + offset, into: output + offset, buckets.baseAddress!)
                offset += group
            }
        }
    }

    /// Adds the error of `fakeQuantize` to `sums`: fused (no stored ŵ) when the group is a multiple of 8, with the
    /// AVX2 kernel where `KernelSet` chose it.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        guard group % 8 == 0 else {
            fakeQuantize(input, count: count, start: start, into: scratch)
            sums.add(input, scratch, count: count)
            return
        }
        #if arch(x86_64)
        if KernelSet.current == .avx2 {
            measureGroupsAVX2(input, count: count, into: &sums, scratch: scratch)
            return
        }
        #endif
        measureGroups(input, count: count, into: &sums, scratch: scratch)
    }

    @inline(__always)
    private func quantizeGroup(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ buckets: UnsafePointer<UInt64>) {
        let absMax = storedScale(FloatFormatKernel.absMax(x, group))
        let inverse = 1 / absMax
        guard absMax > 0, inverse.isFinite else {
            for i in 0..<group { y[i] = quantizeScalar(x[i], absMax: absMax, inverse: inverse) }
            return
        }
        Self.tables.levels.withUnsafeBufferPointer { levels in
            for i in 0..<group { y[i] = levels[NF4Tables.index(x[i] * inverse, buckets)] * absMax }
        }
    }

    /// One weight with the same arithmetic as the vector loop.
    @inline(__always)
    func quantizeScalar(_ w: Float, absMax: Float, inverse: Float) -> Float {
        guard absMax > 0 else { return 0 }
        return Self.levels[Self.code(inverse.isFinite ? w * inverse : w / absMax)] * absMax
    }

    /// The number of thresholds below x.
    @inline(__always)
    static func code(_ x: Float) -> Int {
        var code = 0
        for t in thresholds where x > t { code += 1 }
        return code
    }

    // MARK: - Reference: [codes: 4 bits, low nibble first][absmax per group: f32 or f16, LE]

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var codes = NibbleWriter(capacity: storedBytes)
        var scales: [UInt8] = []
        for g in 0..<groupCount {
            let weights = input[g * group ..< (g + 1) * group]
            let absMax = storedScale(weights.reduce(0) { Swift.max($0, abs($1)) })
            let inverse = 1 / absMax
            for w in weights {
                if absMax == 0 {
                    codes.write(7)
                } else {
                    let x = inverse.isFinite ? w * inverse : w / absMax
                    codes.write(UInt8(Self.thresholds.filter { x > $0 }.count))
                }
            }
            if scaleStorage == .f16 {
                FloatFormatBytes.appendHalf(absMax, to: &scales)
            } else {
                FloatFormatBytes.append(absMax, to: &scales)
            }
        }
        return codes.finished + scales
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        let payload = (elementCount + 1) / 2
        var out: [Float] = []
        out.reserveCapacity(elementCount)
        for i in 0..<elementCount {
            let g = i / group
            let absMax = scaleStorage == .f16
                ? FloatFormatBytes.half(bytes, at: payload + g * 2)
                : FloatFormatBytes.float(bytes, at: payload + g * 4)
            out.append(Self.levels[Int(FloatFormatBytes.nibble(bytes, i))] * absMax)
        }
        return out
    }
}
