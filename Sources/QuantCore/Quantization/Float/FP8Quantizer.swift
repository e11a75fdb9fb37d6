/// FP8 (OCP OFP8 E4M3 or E5M2) with one f32 scale per tensor or per output channel.
///
/// `s = absmax / maxFinite` (448 for E4M3, 57344 for E5M2); code = round-to-nearest-even of `w / s` onto the
/// FP8 grid including subnormals, saturating to ±max (never NaN or inf); `ŵ = value · s`. The division is
/// a true division, as in the usual `(w / scale).to(float8)` recipes. An all-zero tensor or channel
/// (s = 0) stores codes 0 and decodes to +0.
/// Storage: one code byte per weight, then the f32 scales (1 or one per channel), little-endian.
struct FP8Quantizer: TensorEncoder {
    let fp8: QuantSpec.FP8Format
    let perChannel: Bool
    let elementCount: Int
    let unitLength: Int
    /// Number of stored scales.
    let scaleCount: Int
    /// The tensor's largest finite magnitude and the per-tensor scale made from it (unused per channel).
    let tensorAbsMax: Float
    let tensorScale: Float

    var format: MiniFloatFormat { fp8 == .e4m3 ? .e4m3 : .e5m2 }

    init(format fp8: QuantSpec.FP8Format, perChannel: Bool, context: TensorContext) {
        self.fp8 = fp8
        self.perChannel = perChannel
        elementCount = context.tensor.elementCount
        if perChannel {
            unitLength = Swift.max(1, context.channelLength)
            scaleCount = context.channelCount
        } else {
            unitLength = 1
            scaleCount = 1
        }
        tensorAbsMax = context.absMax
        tensorScale = context.absMax / (fp8 == .e4m3 ? MiniFloatFormat.e4m3 : MiniFloatFormat.e5m2).maxFinite
    }

    var storedBytes: Int { elementCount + scaleCount * 4 }

    /// Per channel, eight channels to a chunk: each channel's absmax is found while the previous one is measured,
    /// so only the first channel of a chunk is read on its own.
    var minimumUnitsPerChunk: Int { perChannel && unitLength >= 1024 ? 8 : 1 }

    /// The scale for a run of weights whose largest magnitude is `absMax`.
    @inline(__always) func scale(absMax: Float) -> Float { absMax / format.maxFinite }

    // MARK: - Fast path

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        let constants = format.vectorConstants
        guard perChannel else {
            Self.roundTrip(input, count, scale: tensorScale, format: format, constants, into: output)
            return
        }
        var offset = 0
        while offset < count {
            let x = input + offset
            let s = scale(absMax: FloatFormatKernel.absMax(x, unitLength))
            Self.roundTrip(x, unitLength, scale: s, format: format, constants, into: output + offset)
            offset += unitLength
        }
    }

    /// The fused form of `fakeQuantize`: the same dequantised values, summed into `sums` without being stored.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        guard perChannel else {
            Self.measure(input, count, scale: tensorScale, largest: tensorAbsMax, format, into: &sums, scratch: scratch)
            return
        }
        guard count > 0 else { return }
        // Each channel's absmax is found while the previous channel is measured, so that read (the first
        // touch of the channel, from memory) overlaps the arithmetic instead of running alone.
        var absMax = FloatFormatKernel.absMax(input, unitLength)
        var offset = 0
        while offset < count {
            let x = input + offset
            let next = offset + 2 * unitLength <= count ? x + unitLength : nil
            absMax = Self.measure(x, unitLength, scale: scale(absMax: absMax), largest: absMax, format, into: &sums, scratch: scratch, lookahead: next)
            offset += unitLength
        }
    }

    /// Sums the error of `roundTrip` over `n` weights whose magnitudes are at most `largest` into `sums`, with the
    /// same dequantised values. When no quotient |w| / s ≤ largest / s can saturate (always so for a scale made from
    /// `largest`, unless it is subnormal), the loop leaves out the cap at the format's maximum. `kernels` picks the
    /// build of the loop (the same sums, bit for bit).
    @discardableResult
    static func measure(_ x: UnsafePointer<Float>, _ n: Int, scale s: Float, largest: Float, _ format: MiniFloatFormat,
                        into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>, lookahead: UnsafePointer<Float>? = nil,
                        kernels: KernelSet = .current) -> Float {
        let k = format.vectorConstants
        let saturating = format.saturationCanAct(upTo: largest / s)
        #if arch(x86_64)
        if kernels == .avx2, s > 0 {
            return measureAVX2(x, n, scale: s, format, saturating: saturating, into: &sums, lookahead: lookahead)
        }
        #endif
        return saturating
            ? measureSaturating(x, n, scale: s, k, into: &sums, scratch: scratch, lookahead: lookahead)
            : measureInRange(x, n, scale: s, k, into: &sums, scratch: scratch, lookahead: lookahead)
    }

    @inline(never)
    static func measureSaturating(_ x: UnsafePointer<Float>, _ n: Int, scale s: Float, _ k: MiniFloatFormat.VectorConstants,
                                  into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>, lookahead: UnsafePointer<Float>?) -> Float {
        measure(x, n, scale: s, k, saturating: true, into: &sums, scratch: scratch, lookahead: lookahead)
    }

    @inline(never)
    static func measureInRange(_ x: UnsafePointer<Float>, _ n: Int, scale s: Float, _ k: MiniFloatFormat.VectorConstants,
                               into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>, lookahead: UnsafePointer<Float>?) -> Float {
        measure(x, n, scale: s, k, saturating: false, into: &sums, scratch: scratch, lookahead: lookahead)
    }

    /// The loop of `measure`, with or without the cap.
    ///
    /// The lane sums stay in registers: the inner loop runs up to the next flush of `sums` with no call in it
    /// (a call to `flush` inside the loop makes the compiler keep the accumulators in memory). A tail of fewer
    /// than 8 weights goes to `measureTail`. With `lookahead`, also returns max |lookahead[i]| over the same n (else 0).
    @inline(__always)
    static func measure(_ x: UnsafePointer<Float>, _ n: Int, scale s: Float, _ k: MiniFloatFormat.VectorConstants, saturating: Bool,
                        into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>, lookahead: UnsafePointer<Float>?) -> Float {
        typealias Lanes = ErrorSums.Lanes
        guard s > 0 else {
            FloatFormatKernel.zero(scratch, n)
            sums.add(x, scratch, count: n)
            return lookahead.map { FloatFormatKernel.absMax($0, n) } ?? 0
        }
        let raw = UnsafeRawPointer(x)
        let vs = Lanes(repeating: s)
        let vectorEnd = n & ~7
        var acc = sums
        var aheadMax = Lanes(repeating: 0)
        var i = 0
        while i < vectorEnd {
            let end = Swift.min(vectorEnd, i &+ acc.roomBeforeFlush)
            let start = i
            var squaredError = acc.squaredError, squaredDequantized = acc.squaredDequantized, maxSquaredError = acc.maxSquaredError
            // On magnitudes: |w| / s = |w / s|, and ŵ has the sign of w, so (ŵ − w)² = (|ŵ| − |w|)² and ŵ² = |ŵ|².
            @_transparent func step(_ w: Lanes) {
                let a = FloatFormatKernel.magnitude(w)
                let q = MiniFloatFormat.roundMagnitudeVector(a / vs, k, saturating: saturating) * vs
                let e = a - q  // (a − q)² = (q − a)², and a is not needed after: subps in place
                let e2 = e * e
                squaredError += e2
                squaredDequantized += q * q
                maxSquaredError = FloatFormatKernel.runningMaximum(maxSquaredError, e2)
            }
            FloatFormatKernel.visit(raw, from: &i, to: end, lookahead: lookahead.map(UnsafeRawPointer.init), aheadMax: &aheadMax, step)
            acc.update(squaredError: squaredError, squaredDequantized: squaredDequantized, maxSquaredError: maxSquaredError, adding: i &- start)
        }
        sums = acc
        return measureTail(x, from: vectorEnd, n, scale: s, k, into: &sums, lookahead: lookahead, aheadMax: aheadMax.horizontalMax)
    }

    /// The last `n − start` < 8 weights of `measure`, padded with zeros, which quantise to 0 and add nothing (as
    /// `ErrorSums.add` pads); returns the larger of `aheadMax` and max |lookahead[i]| over the same weights.
    static func measureTail(_ x: UnsafePointer<Float>, from start: Int, _ n: Int, scale s: Float, _ k: MiniFloatFormat.VectorConstants,
                            into sums: inout ErrorSums, lookahead: UnsafePointer<Float>?, aheadMax: Float) -> Float {
        if start < n {
            var w = ErrorSums.Lanes(repeating: 0)
            for j in 0..<(n &- start) { w[j] = x[start &+ j] }
            let vs = ErrorSums.Lanes(repeating: s)
            sums.add(w, MiniFloatFormat.roundVector(w / vs, k) * vs)
            sums.pending &+= n &- start
        }
        guard let lookahead else { return 0 }
        var result = aheadMax
        for j in start..<n { result = Swift.max(result, abs(lookahead[j])) }
        return result
    }

    /// `y = fp8_round(x / s) · s`; zeros when s is 0.
    @inline(__always)
    static func roundTrip(_ x: UnsafePointer<Float>, _ n: Int, scale s: Float, format: MiniFloatFormat,
                          _ constants: MiniFloatFormat.VectorConstants, into y: UnsafeMutablePointer<Float>) {
        guard s > 0 else { FloatFormatKernel.zero(y, n); return }
        let raw = UnsafeRawPointer(x), out = UnsafeMutableRawPointer(y)
        let vs = SIMD16<Float>(repeating: s)
        var i = 0
        while i + 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let r = MiniFloatFormat.roundVector(v / vs, constants)
            out.storeBytes(of: r * vs, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] = format.roundFast(x[i] / s) * s; i += 1 }
    }

    // MARK: - Reference: [codes: 1 byte each][scales: f32 LE × scaleCount]

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var codes: [UInt8] = []
        codes.reserveCapacity(storedBytes)
        var scales: [UInt8] = []
        let units = perChannel ? scaleCount : 1
        let length = perChannel ? unitLength : elementCount
        for u in 0..<units {
            let unit = input[u * length ..< (u + 1) * length]
            let s = perChannel ? scale(absMax: unit.reduce(0) { Swift.max($0, abs($1)) }) : tensorScale
            for w in unit { codes.append(s > 0 ? format.encode(w / s) : 0) }
            FloatFormatBytes.append(s, to: &scales)
        }
        return codes + scales
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        let table = fp8 == .e4m3 ? FP8.e4m3Table : FP8.e5m2Table
        let length = perChannel ? unitLength : elementCount
        var out: [Float] = []
        out.reserveCapacity(elementCount)
        for i in 0..<elementCount {
            let s = FloatFormatBytes.float(bytes, at: elementCount + (perChannel ? i / length : 0) * 4)
            out.append(table[Int(bytes[i])] * s)
        }
        return out
    }
}
