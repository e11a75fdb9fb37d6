/// Integer affine quantisation: `q = clamp(round_even(w / s) + z)`, `ŵ = (q − z)·s`.
///
/// - Symmetric: codes in [−(2^(b−1)−1), 2^(b−1)−1], `z = 0`, `s = clip / qmax`; 0 maps to exactly 0.
/// - Asymmetric: codes in [0, 2^b − 1], the range is widened to include 0, `s = (hi − lo) / (2^b − 1)`,
///   `z = clamp(round_even(−lo / s))`, stored with b bits; 0 maps to exactly 0.
/// Scales stored as f16 are rounded to f16 before use, so the error is that of the stored scale.
/// Division is done as multiplication by `1/s` in both the fast and the reference path.
struct IntegerQuantizer: TensorEncoder {
    let parameters: QuantSpec.IntegerParameters
    let unitLength: Int
    let unitCount: Int
    let elementCount: Int
    /// For per-tensor scales: the clip range fixed from the whole tensor.
    private(set) var tensorRange: (lo: Float, hi: Float)?

    var bits: Int { parameters.bits }
    var symmetric: Bool { parameters.symmetric }
    /// The code range: [−(2^(b−1)−1), 2^(b−1)−1] symmetric, [0, 2^b − 1] asymmetric.
    let qmin: Float, qmax: Float

    init(parameters: QuantSpec.IntegerParameters, context: TensorContext, spec: QuantSpec) throws {
        self.parameters = parameters
        qmax = parameters.symmetric ? Float((1 << (parameters.bits - 1)) - 1) : Float((1 << parameters.bits) - 1)
        qmin = parameters.symmetric ? -qmax : 0
        elementCount = context.tensor.elementCount
        switch parameters.granularity {
        case .tensor:
            unitLength = max(1, min(elementCount, 1 << 16))
            unitCount = 1
            tensorRange = Self.range(of: context.values ?? [], parameters: parameters, absMax: context.absMax, lo: context.min, hi: context.max)
        case .channel:
            unitLength = max(1, context.channelLength)
            unitCount = context.channelCount
            tensorRange = nil
        case let .group(size):
            guard context.tensor.rowLength % size == 0 else {
                throw QuantizationError(tensor: context.tensor.name, spec: spec.description,
                                        problem: "group size \(size) does not divide the row length \(context.tensor.rowLength)")
            }
            unitLength = size
            unitCount = elementCount / size
            tensorRange = nil
        }
        if parameters.granularity == .tensor, parameters.range == .mse, let values = context.values, let full = tensorRange, !values.isEmpty {
            tensorRange = values.withUnsafeBufferPointer { bestClip($0.baseAddress!, $0.count, full: full) }
        }
    }

    /// Long min-max units (channels) come eight to a chunk: the kernel reads each next unit while measuring one.
    var minimumUnitsPerChunk: Int {
        tensorRange == nil && parameters.range == .minMax && unitLength >= IntegerKernel.longUnit ? 8 : 1
    }

    var storedBytes: Int {
        let payload = (elementCount * bits + 7) / 8
        let scales = unitCount * (parameters.scale == .f16 ? 2 : 4)
        let zeroPoints = symmetric ? 0 : (unitCount * bits + 7) / 8
        return payload + scales + zeroPoints
    }

    // MARK: - Parameters of one unit

    /// The clip range [lo, hi] for a set of weights under the spec's range method (before the MSE search).
    static func range(of values: [Float], parameters: QuantSpec.IntegerParameters, absMax: Float, lo: Float, hi: Float) -> (lo: Float, hi: Float) {
        switch parameters.range {
        case .minMax, .mse:
            return parameters.symmetric ? (-absMax, absMax) : (Swift.min(lo, 0), Swift.max(hi, 0))
        case let .percentile(p):
            if parameters.symmetric {
                let c = Percentile.of(sorted: values.map { abs($0) }.sorted(), p)
                return (-c, c)
            }
            let sorted = values.sorted()
            return (Swift.min(Percentile.of(sorted: sorted, 100 - p), 0), Swift.max(Percentile.of(sorted: sorted, p), 0))
        }
    }

    /// Scale and zero-point for a clip range, with the scale rounded as stored.
    @inline(__always)
    func scaleAndZero(lo: Float, hi: Float) -> (scale: Float, zero: Float) {
        var scale: Float
        if symmetric {
            scale = Swift.max(-lo, hi) / qmax
        } else {
            scale = (hi - lo) / qmax
        }
        if parameters.scale == .f16 { scale = Half.round(scale) }
        guard scale > 0, scale.isFinite else { return (0, 0) }
        if symmetric { return (scale, 0) }
        let zero = Swift.min(Swift.max(roundEven(-lo * (1 / scale)), 0), qmax)
        return (scale, zero)
    }

    @inline(__always) func roundEven(_ x: Float) -> Float { x.rounded(.toNearestOrEven) }

    // MARK: - Fast path

    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>) {
        var offset = 0
        while offset < count {
            let n = tensorRange == nil ? unitLength : Swift.min(unitLength, count - offset)
            let x = input + offset, y = output + offset
            if let (lo, hi) = tensorRange {
                let (s, z) = scaleAndZero(lo: lo, hi: hi)
                IntegerKernel.roundTrip(x, n, scale: s, zero: z, qmin: qmin, qmax: qmax, into: y)
            } else {
                quantizeUnit(x, n, into: y)
            }
            offset += n
        }
    }

    /// Min-max ranges take the fused kernel: the range of each unit is found and its error summed in one
    /// visit, with no dequantised values stored. Percentile and MSE ranges quantise into `scratch` first.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        guard parameters.range == .minMax || tensorRange != nil else {
            fakeQuantize(input, count: count, start: start, into: scratch)
            sums.add(input, scratch, count: count)
            return
        }
        if let (lo, hi) = tensorRange {
            // Symmetric min-max with an f32 scale: |w|·(1/s) ≤ qmax·(1 + 3·2⁻²⁴) rounds to at most qmax, so no clamp can act.
            let clamps = !(symmetric && parameters.range == .minMax && parameters.scale == .f32)
            let (s, z) = scaleAndZero(lo: lo, hi: hi)
            let p = IntegerKernel.UnitParameters(scale: s, zero: z, qmin: qmin, qmax: qmax)
            IntegerKernel.measure(input, count: count, parameters: p, clamps: clamps, into: &sums)
            return
        }
        IntegerKernel.measureMinMax(input, unitLength: unitLength, units: count / unitLength, symmetric: symmetric, qmax: qmax,
                                    f16Scale: parameters.scale == .f16, into: &sums)
    }

    /// Finds the unit's range (and, for MSE, the best clip), then rounds it.
    func quantizeUnit(_ x: UnsafePointer<Float>, _ n: Int, into y: UnsafeMutablePointer<Float>) {
        let (lo, hi) = unitRange(x, n)
        let (s, z) = scaleAndZero(lo: lo, hi: hi)
        IntegerKernel.roundTrip(x, n, scale: s, zero: z, qmin: qmin, qmax: qmax, into: y)
    }

    /// The clip range of one unit under the range method.
    func unitRange(_ x: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
        let (mn, mx) = IntegerKernel.minMax(x, n)
        switch parameters.range {
        case .minMax:
            return symmetric ? (-Swift.max(-mn, mx), Swift.max(-mn, mx)) : (Swift.min(mn, 0), Swift.max(mx, 0))
        case .percentile:
            let values = Array(UnsafeBufferPointer(start: x, count: n))
            return Self.range(of: values, parameters: parameters, absMax: Swift.max(-mn, mx), lo: mn, hi: mx)
        case .mse:
            let full: (Float, Float) = symmetric ? (-Swift.max(-mn, mx), Swift.max(-mn, mx)) : (Swift.min(mn, 0), Swift.max(mx, 0))
            return bestClip(x, n, full: full)
        }
    }

    /// The clip ratios the MSE search tries: 1.00, 0.98, …, 0.50.
    static let clipRatios: [Float] = (0...25).map { 1 - Float($0) * 0.02 }

    /// Tries each clip ratio of the full range and keeps the one with the lowest squared error.
    func bestClip(_ x: UnsafePointer<Float>, _ n: Int, full: (Float, Float)) -> (Float, Float) {
        var best = full, bestError = Float.infinity
        for ratio in Self.clipRatios {
            let candidate = (full.0 * ratio, full.1 * ratio)
            let (s, z) = scaleAndZero(lo: candidate.0, hi: candidate.1)
            let error = IntegerKernel.squaredError(x, n, scale: s, zero: z, qmin: qmin, qmax: qmax)
            if error < bestError { bestError = error; best = candidate }
        }
        return best
    }

    // MARK: - Reference encoding: [codes, b-bit LSB-first][scales f32/f16][zero-points, b-bit] (asym only)

    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8] {
        var codes = BitWriter(), zeros = BitWriter()
        var scales: [UInt8] = []
        let units = tensorRange == nil ? unitCount : 1
        let length = tensorRange == nil ? unitLength : elementCount
        for u in 0..<units {
            let x = input.baseAddress! + u * length
            let (lo, hi) = tensorRange ?? unitRange(x, length)
            let (s, z) = scaleAndZero(lo: lo, hi: hi)
            let inverse = s > 0 ? 1 / s : 0
            for i in 0..<length {
                let q = Swift.min(Swift.max(roundEven(x[i] * inverse) + z, qmin), qmax)
                codes.write(UInt32(bitPattern: Int32(q) - Int32(qmin)), bits: bits)
            }
            if parameters.scale == .f16 {
                withUnsafeBytes(of: Half.fromFloat(s).littleEndian) { scales += $0 }
            } else {
                withUnsafeBytes(of: s.bitPattern.littleEndian) { scales += $0 }
            }
            if !symmetric { zeros.write(UInt32(z), bits: bits) }
        }
        return codes.finished + scales + (symmetric ? [] : zeros.finished)
    }

    func decode(_ bytes: [UInt8]) -> [Float] {
        let units = tensorRange == nil ? unitCount : 1
        let length = tensorRange == nil ? unitLength : elementCount
        let payload = (elementCount * bits + 7) / 8
        let scaleBytes = parameters.scale == .f16 ? 2 : 4
        var codes = BitReader(bytes: bytes, start: 0)
        var zeros = BitReader(bytes: bytes, start: payload + units * scaleBytes)
        var out: [Float] = []
        out.reserveCapacity(elementCount)
        for u in 0..<units {
            let at = payload + u * scaleBytes
            let s = scaleBytes == 2
                ? Half.toFloat(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8)
                : Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
            let z = symmetric ? 0 : Float(zeros.read(bits: bits))
            for _ in 0..<length {
                let q = Float(Int32(codes.read(bits: bits))) + qmin
                out.append((q - z) * s)
            }
        }
        return out
    }
}

/// Packs codes of 1–32 bits LSB-first into bytes.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var filled = 0

    mutating func write(_ value: UInt32, bits: Int) {
        buffer |= UInt64(value & UInt32((1 << bits) - 1)) << filled
        filled += bits
        while filled >= 8 {
            bytes.append(UInt8(buffer & 0xFF))
            buffer >>= 8
            filled -= 8
        }
    }

    /// The bytes written, with a final partial byte flushed.
    var finished: [UInt8] { filled > 0 ? bytes + [UInt8(buffer & 0xFF)] : bytes }
}

/// Reads codes written by `BitWriter`.
struct BitReader {
    let bytes: [UInt8]
    private var bitPosition: Int

    init(bytes: [UInt8], start: Int) {
        self.bytes = bytes
        bitPosition = start * 8
    }

    mutating func read(bits: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<bits {
            let bit = (bytes[(bitPosition + i) / 8] >> UInt8((bitPosition + i) % 8)) & 1
            value |= UInt32(bit) << i
        }
        bitPosition += bits
        return value
    }
}

/// Selection of percentiles (nearest rank on sorted values, linear interpolation between ranks).
enum Percentile {
    /// The p-th percentile of values sorted ascending.
    static func of(sorted: [Float], _ p: Double) -> Float {
        guard !sorted.isEmpty else { return 0 }
        let rank = p / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = Swift.min(low + 1, sorted.count - 1)
        let t = Float(rank - Double(low))
        return sorted[low] + (sorted[high] - sorted[low]) * t
    }
}
