/// NF4 codes and levels without comparing against all 15 thresholds, and the fused error kernel built on them.
///
/// A float's bits, with the magnitude bits flipped for negative values and the sign bit flipped
/// (`key`), order like the floats themselves, so `x > t ⟺ key(x) > key(t)` for the (non-zero) thresholds.
/// The top 11 bits of the key pick a bucket: sign, exponent and the first two mantissa bits, a span of
/// relative width at most 1.25. Neighbouring NF4 thresholds of the same sign are at least 1.28× apart, so a
/// bucket holds at most one threshold (checked when the table is built) and
/// `code = base[bucket] + (key > threshold[bucket])`, with threshold = UInt32.max where the bucket holds none.
/// The table covers every key, so every finite x (and ±inf) has a bucket.
struct NF4Tables: Sendable {
    static let shift: UInt32 = 21
    static let bucketCount = 1 << (32 - 21)

    /// Per bucket: the key of the threshold inside it (or UInt32.max), then the number of thresholds below it.
    let buckets: [UInt32]
    /// `levels[c0], levels[c1]` at index `2·(c0 + 16·c1)`: two lanes' levels in one 8-byte load.
    let levelPairs: [Float]

    @inline(__always)
    static func key(_ x: Float) -> UInt32 {
        let bits = Int32(bitPattern: x.bitPattern)
        return UInt32(bitPattern: bits ^ ((bits >> 31) | Int32.min))
    }

    init(thresholds: [Float], levels: [Float]) {
        let keys = thresholds.map(Self.key)
        var buckets = [UInt32](repeating: 0, count: 2 * Self.bucketCount)
        for b in 0..<Self.bucketCount {
            let lowest = UInt32(b) << Self.shift, highest = lowest | (1 << Self.shift - 1)
            let inside = keys.filter { $0 >= lowest && $0 <= highest }
            precondition(inside.count <= 1, "two NF4 thresholds share a bucket")
            buckets[2 * b] = inside.first ?? .max
            buckets[2 * b + 1] = UInt32(keys.filter { $0 < lowest }.count)
        }
        self.buckets = buckets
        var pairs = [Float](repeating: 0, count: 2 * 256)
        for c0 in 0..<16 {
            for c1 in 0..<16 {
                pairs[2 * (c0 + 16 * c1)] = levels[c0]
                pairs[2 * (c0 + 16 * c1) + 1] = levels[c1]
            }
        }
        levelPairs = pairs
    }

    /// The code of x: the number of thresholds below it.
    @inline(__always)
    static func code(_ x: Float, _ buckets: UnsafePointer<UInt32>) -> Int {
        Int(code(key: key(x), buckets))
    }

    @_transparent
    static func code(key k: UInt32, _ buckets: UnsafePointer<UInt32>) -> UInt32 {
        let entry = UnsafeRawPointer(buckets).load(fromByteOffset: Int(k >> shift) &* 8, as: SIMD2<UInt32>.self)
        return entry[1] &+ (k > entry[0] ? 1 : 0)
    }

    /// The levels of the two lanes whose keys are the low and high halves of `pair`.
    @_transparent
    static func levels(_ pair: UInt64, _ buckets: UnsafePointer<UInt32>, _ levelPairs: UnsafeRawPointer) -> SIMD2<Float> {
        let c0 = code(key: UInt32(truncatingIfNeeded: pair), buckets)
        let c1 = code(key: UInt32(truncatingIfNeeded: pair >> 32), buckets)
        return levelPairs.load(fromByteOffset: Int(c0 | c1 << 4) &* 8, as: SIMD2<Float>.self)
    }
}

extension NF4Quantizer {
    /// The fused error kernel for groups whose length is a multiple of 8: per group the absmax and its
    /// reciprocal, then per 8 weights `x = w · (1/absmax)` and keys in vector lanes, each lane's code from
    /// the bucket table in general-purpose registers (the default x86-64 target has no gathers or byte
    /// shuffles), the levels two lanes at a time from `levelPairs`, and the error lanes in registers.
    /// Groups the vector path does not cover (absmax 0, or 1/absmax not finite) take the scalar path.
    func measureGroups(_ input: UnsafePointer<Float>, count: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        typealias Lanes = ErrorSums.Lanes
        let group = self.group
        Self.tables.buckets.withUnsafeBufferPointer { bucketBuffer in
            Self.tables.levelPairs.withUnsafeBytes { pairBuffer in
                let buckets = bucketBuffer.baseAddress!, levelPairs = pairBuffer.baseAddress!
                var acc = sums
                var g = 0
                while g < count {
                    let x = input + g
                    let raw = UnsafeRawPointer(x)
                    var m = Lanes(repeating: 0)
                    var i = 0
                    while i < group {
                        m = FloatFormatKernel.maximum(m, FloatFormatKernel.magnitude(raw.loadUnaligned(fromByteOffset: i &* 4, as: Lanes.self)))
                        i &+= 8
                    }
                    let rawMax = m.horizontalMax
                    let absMax = storedScale(rawMax)
                    let inverse = 1 / absMax
                    if absMax > 0, inverse.isFinite {
                        let vScale = Lanes(repeating: absMax), vInverse = Lanes(repeating: inverse)
                        i = 0
                        while i < group {
                            let room = (ErrorSums.flushInterval - acc.pending + 7) & ~7
                            let end = Swift.min(group, i &+ Swift.max(8, room))
                            let start = i
                            var squaredError = acc.squaredError, squaredDequantized = acc.squaredDequantized, maxAbsError = acc.maxAbsError
                            while i < end {
                                let w = raw.loadUnaligned(fromByteOffset: i &* 4, as: Lanes.self)
                                let bits = unsafeBitCast(w * vInverse, to: SIMD8<Int32>.self)
                                let keys = unsafeBitCast(bits ^ ((bits &>> 31) | Int32.min), to: SIMD4<UInt64>.self)
                                let level = Lanes(lowHalf: SIMD4(lowHalf: NF4Tables.levels(keys[0], buckets, levelPairs),
                                                                 highHalf: NF4Tables.levels(keys[1], buckets, levelPairs)),
                                                  highHalf: SIMD4(lowHalf: NF4Tables.levels(keys[2], buckets, levelPairs),
                                                                  highHalf: NF4Tables.levels(keys[3], buckets, levelPairs)))
                                let q = level * vScale
                                let e = q - w
                                squaredError += e * e
                                squaredDequantized += q * q
                                maxAbsError = FloatFormatKernel.maximum(maxAbsError, FloatFormatKernel.magnitude(e))
                                i &+= 8
                            }
                            acc.squaredError = squaredError
                            acc.squaredDequantized = squaredDequantized
                            acc.maxAbsError = maxAbsError
                            acc.pending &+= i &- start
                            acc.flushIfFull()
                        }
                    } else {
                        for i in 0..<group { scratch[i] = quantizeScalar(x[i], absMax: absMax, inverse: inverse) }
                        acc.add(x, scratch, count: group)
                        acc.flushIfFull()
                    }
                    g &+= group
                }
                sums = acc
            }
        }
    }
}
