/// NF4 codes and levels without comparing against all 15 thresholds, and the fused error kernel built on them.
///
/// The top 11 bits of x's bit pattern pick a bucket: sign, exponent and the first two mantissa bits, a span
/// of relative width at most 1.25. Neighbouring NF4 thresholds of the same sign are at least 1.28× apart, so
/// a bucket holds at most one threshold t (checked when the table is built), and inside a bucket the
/// decision `x > t` is an unsigned comparison of bit patterns: `bits > bits(t)` for positive x, and
/// `bits < bits(t)`, i.e. not `bits > bits(t) − 1`, for negative x (whose patterns grow with the magnitude).
///
/// Both are folded into one 64-bit addition: with T the pattern compared against (UInt32.max when the bucket
/// holds no threshold) and `entry = field·2³² + (2³² − 1 − T)`, `(bits + entry) >> 32 = field + (bits > T)`.
/// For positive buckets `field` is the number of thresholds below the bucket and the result is the code;
/// for negative ones the comparison counts the other way, so their fields count down from 31 and the
/// result r stands for code 31 − r. `levels[r]` (32 entries) holds the level either way.
/// The table covers every bit pattern but NaNs, so every finite x (and ±inf) has a bucket.
struct NF4Tables: Sendable {
    static let shift: UInt32 = 21
    static let bucketCount = 1 << (32 - 21)

    /// Per bucket: `field·2³² + (2³² − 1 − T)`.
    let buckets: [UInt64]
    /// The level of each index r: `levels[r]` for r < 16, `levels[31 − r]` above.
    let levels: [Float]
    /// `levels[r0], levels[r1]` at index `2·(r0 + 32·r1)`: two lanes' levels in one 8-byte load.
    let levelPairs: [Float]

    init(thresholds: [Float], levels nf4: [Float]) {
        var buckets = [UInt64](repeating: 0, count: Self.bucketCount)
        for b in 0..<Self.bucketCount {
            let lowest = UInt32(b) << Self.shift, highest = lowest | (1 << Self.shift - 1)
            let ends = [Float(bitPattern: lowest), Float(bitPattern: highest)].filter { !$0.isNaN }
            guard let smallest = ends.min() else { continue }  // only NaNs
            let inside = thresholds.filter { $0.bitPattern >> Self.shift == UInt32(b) }
            precondition(inside.count <= 1, "two NF4 thresholds share a bucket")
            let below = thresholds.filter { $0 < smallest }.count
            let compared: UInt32, field: Int
            if smallest.sign == .minus {
                // code = below + (x > t) = below + 1 − (bits > bits(t) − 1)  →  r = 31 − code.
                compared = inside.first.map { $0.bitPattern - 1 } ?? .max
                field = inside.isEmpty ? 31 - below : 30 - below
            } else {
                compared = inside.first?.bitPattern ?? .max
                field = below
            }
            buckets[b] = UInt64(field) << 32 + UInt64(UInt32.max - compared)
        }
        self.buckets = buckets
        let levels = (0..<32).map { $0 < 16 ? nf4[$0] : nf4[31 - $0] }
        self.levels = levels
        var pairs = [Float](repeating: 0, count: 2 * 32 * 32)
        for r0 in 0..<32 {
            for r1 in 0..<32 {
                pairs[2 * (r0 + 32 * r1)] = levels[r0]
                pairs[2 * (r0 + 32 * r1) + 1] = levels[r1]
            }
        }
        levelPairs = pairs
    }

    /// The level index r of x (its code is r, or 31 − r when r ≥ 16).
    @inline(__always)
    static func index(_ x: Float, _ buckets: UnsafePointer<UInt64>) -> Int {
        Int(truncatingIfNeeded: index(bits: UInt64(x.bitPattern), buckets))
    }

    @_transparent
    static func index(bits: UInt64, _ buckets: UnsafePointer<UInt64>) -> UInt64 {
        (bits &+ buckets[Int(truncatingIfNeeded: bits >> UInt64(shift))]) >> 32
    }

    /// The code of a level index.
    static func code(index r: Int) -> Int { r < 16 ? r : 31 - r }

    /// The levels of the two lanes whose bit patterns are the low and high halves of `pair`.
    @_transparent
    static func levels(_ pair: UInt64, _ buckets: UnsafePointer<UInt64>, _ levelPairs: UnsafeRawPointer) -> SIMD2<Float> {
        let r0 = index(bits: pair & 0xFFFF_FFFF, buckets), r1 = index(bits: pair >> 32, buckets)
        return levelPairs.load(fromByteOffset: Int(truncatingIfNeeded: r0 | r1 << 5) &* 8, as: SIMD2<Float>.self)
    }
}

extension NF4Quantizer {
    /// How many groups ahead the kernel finds scales: about 16 KB of weights.
    var lookaheadGroups: Int { Swift.max(1, 4096 / group) }

    /// The stored absmax of a group and its reciprocal.
    @inline(__always)
    func parameters(rawMax: Float) -> SIMD2<Float> {
        let absMax = storedScale(rawMax)
        return SIMD2(absMax, 1 / absMax)
    }

    /// The fused error kernel for groups whose length is a multiple of 8: per 8 weights `x = w · (1/absmax)` in
    /// vector lanes, each lane's code from the bucket table in general-purpose registers (the default x86-64
    /// target has no gathers or byte shuffles), the levels two lanes at a time from `levelPairs`, and the error
    /// lanes in registers. Groups the vector path does not cover (absmax 0, or 1/absmax not finite) take the
    /// scalar path.
    ///
    /// Scales are found `lookaheadGroups` groups ahead, inside the loop over the current group's weights (same
    /// length), and kept in a ring: the absmax read is the first touch of the weights, from memory, and this way
    /// it overlaps the arithmetic; and a group's absmax reduction and division are long done when its codes
    /// start (a group's instructions outnumber the out-of-order window, so groups would not overlap otherwise).
    func measureGroups(_ input: UnsafePointer<Float>, count: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        typealias Lanes = ErrorSums.Lanes
        let group = self.group, groups = count / group, ahead = Swift.min(lookaheadGroups, groups)
        guard groups > 0 else { return }
        withUnsafeTemporaryAllocation(of: SIMD2<Float>.self, capacity: ahead) { ring in
            Self.tables.buckets.withUnsafeBufferPointer { bucketBuffer in
                Self.tables.levelPairs.withUnsafeBytes { pairBuffer in
                    let buckets = bucketBuffer.baseAddress!, levelPairs = pairBuffer.baseAddress!
                    for j in 0..<ahead { ring[j] = parameters(rawMax: FloatFormatKernel.absMax(input + j &* group, group)) }
                    var acc = sums
                    var slot = 0
                    for j in 0..<groups {
                        let x = input + j &* group
                        let raw = UnsafeRawPointer(x)
                        let absMax = ring[slot][0], inverse = ring[slot][1]
                        let later = j &+ ahead < groups ? UnsafeRawPointer(input + (j &+ ahead) &* group) : nil
                        var laterMax = Lanes(repeating: 0)
                        if absMax > 0, inverse.isFinite {
                            let vScale = Lanes(repeating: absMax), vInverse = Lanes(repeating: inverse)
                            var i = 0
                            while i < group {
                                let end = Swift.min(group, i &+ acc.roomBeforeFlush)
                                let start = i
                                var squaredError = acc.squaredError, squaredDequantized = acc.squaredDequantized
                                var maxSquaredError = acc.maxSquaredError
                                @_transparent func step(_ w: Lanes) {
                                    let lanePairs = unsafeBitCast(w * vInverse, to: SIMD4<UInt64>.self)
                                    let level = Lanes(lowHalf: SIMD4(lowHalf: NF4Tables.levels(lanePairs[0], buckets, levelPairs),
                                                                     highHalf: NF4Tables.levels(lanePairs[1], buckets, levelPairs)),
                                                      highHalf: SIMD4(lowHalf: NF4Tables.levels(lanePairs[2], buckets, levelPairs),
                                                                      highHalf: NF4Tables.levels(lanePairs[3], buckets, levelPairs)))
                                    let q = level * vScale
                                    let e = w - q  // (w − q)² = (q − w)², and w is not needed after: subps in place
                                    let e2 = e * e
                                    squaredError += e2
                                    squaredDequantized += q * q
                                    maxSquaredError = FloatFormatKernel.runningMaximum(maxSquaredError, e2)
                                }
                                FloatFormatKernel.visit(raw, from: &i, to: end, lookahead: later, aheadMax: &laterMax, step)
                                acc.update(squaredError: squaredError, squaredDequantized: squaredDequantized, maxSquaredError: maxSquaredError,
                                           adding: i &- start)
                            }
                        } else {
                            for i in 0..<group { scratch[i] = quantizeScalar(x[i], absMax: absMax, inverse: inverse) }
                            acc.add(x, scratch, count: group)
                            acc.flushIfFull()
                            if let later { laterMax = Lanes(repeating: FloatFormatKernel.absMax(later.assumingMemoryBound(to: Float.self), group)) }
                        }
                        if later != nil { ring[slot] = parameters(rawMax: laterMax.horizontalMax) }
                        slot = slot &+ 1 == ahead ? 0 : slot &+ 1
                    }
                    sums = acc
                }
            }
        }
    }
}
