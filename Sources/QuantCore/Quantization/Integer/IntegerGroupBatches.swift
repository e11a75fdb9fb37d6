// Min-max groups of 8…128 weights (a multiple of eight) measured eight groups at a time: one range pass over the
// eight groups, their parameters in lanes, then one fused pass. Each step is a small function specialised for the
// common group lengths, so the loops over a group's vectors unroll and nothing per group remains but two broadcasts.

/// How many eight-weight vectors a group holds: a constant for the common lengths (the loops unroll), else read at run time.
protocol IntegerGroupShape {
    static func vectors(_ runtime: Int) -> Int
}

extension IntegerKernel {
    enum FourVectors: IntegerGroupShape { @_transparent static func vectors(_: Int) -> Int { 4 } }
    enum EightVectors: IntegerGroupShape { @_transparent static func vectors(_: Int) -> Int { 8 } }
    enum SixteenVectors: IntegerGroupShape { @_transparent static func vectors(_: Int) -> Int { 16 } }
    enum AnyVectors: IntegerGroupShape { @_transparent static func vectors(_ runtime: Int) -> Int { runtime } }

    /// Whether `measureGroupBatches` takes groups of this length: whole vectors, and eight groups within a flush interval.
    static func batchesGroups(ofLength length: Int) -> Bool {
        length % 8 == 0 && length > 0 && 8 &* length <= ErrorSums.flushInterval
    }

    /// Measures `groups` consecutive min-max groups of `groupLength` weights (see `batchesGroups(ofLength:)`).
    /// Equal to `measureMinMax`: the same parameters per group, and each weight's error computed alike.
    static func measureGroupBatches(_ x: UnsafePointer<Float>, groupLength: Int, groups: Int, symmetric: Bool, qmax: Float, f16Scale: Bool,
                                    into sums: inout ErrorSums, kernels: KernelSet) {
        switch groupLength {
        case 32: measureGroupBatches(FourVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums, kernels)
        case 64: measureGroupBatches(EightVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums, kernels)
        case 128: measureGroupBatches(SixteenVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums, kernels)
        default: measureGroupBatches(AnyVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums, kernels)
        }
    }

    /// Byte offsets in the batch table: per lane (group) the scale, its reciprocal and the shifted code range.
    /// `IntegerMeasureAVX2.Table` reads the same layout (that module cannot see this one).
    enum BatchTable {
        static let scale = 0, inverse = 32, lowest = 64, highest = 96, bytes = 128
    }

    static func measureGroupBatches<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                          _ symmetric: Bool, _ qmax: Float, _ f16Scale: Bool, _ sums: inout ErrorSums,
                                                          _ kernels: KernelSet) {
        // Batches are pipelined two deep: while batch b is measured, the range pass of batch b + 2 rides along (its
        // loads from memory overlap b's arithmetic), and the parameters of batch b + 1 are computed just before
        // (their chain of divisions overlaps it too, where computed right before b + 1 its measuring waited on them).
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 16 + 2 * BatchTable.bytes / 32) { buffer in
            let partials = buffer.baseAddress!
            var table = UnsafeMutableRawPointer(partials + 16), nextTable = table + BatchTable.bytes
            var acc = sums
            batchRanges(S.self, x, groupLength, groups < 8 ? groups : 8, symmetric: symmetric, into: partials)
            var verdict = batchParameters(partials, symmetric: symmetric, qmax: qmax, f16Scale: f16Scale, groups: groups < 8 ? groups : 8, into: table)
            if groups > 8 {
                batchRanges(S.self, x + 8 &* groupLength, groupLength, groups < 16 ? groups &- 8 : 8, symmetric: symmetric, into: partials)
            }
            var first = 0
            while first < groups {
                let inBatch = groups &- first < 8 ? groups &- first : 8
                let inNext = groups &- first &- 8, inAfter = groups &- first &- 16
                let batch = x + first &* groupLength, after = batch + 16 &* groupLength
                let nextVerdict = inNext > 0
                    ? batchParameters(partials, symmetric: symmetric, qmax: qmax, f16Scale: f16Scale, groups: inNext < 8 ? inNext : 8, into: nextTable)
                    : BatchVerdict(clamps: false, largestSquaredError: .infinity)
                let clamps = verdict.clamps
                if inBatch == 8 && inAfter >= 8 {
                    // A batch whose errors provably stay below the largest error so far need not track it.
                    let bounded = verdict.largestSquaredError < .infinity && verdict.largestSquaredError <= largestLane(acc.maxSquaredError)
                    #if arch(x86_64)
                    if kernels == .avx2 {
                        measureBatchAVX2(batch, groupLength, table, clamping: clamps, tracksLargest: !bounded, symmetric: symmetric,
                                         into: &acc, scanning: after, into: partials)
                    } else {
                        measureFullBatch(S.self, batch, groupLength, table, clamping: clamps, bounded: bounded, symmetric: symmetric,
                                         into: &acc, scanning: after, into: partials)
                    }
                    #else
                    measureFullBatch(S.self, batch, groupLength, table, clamping: clamps, bounded: bounded, symmetric: symmetric,
                                     into: &acc, scanning: after, into: partials)
                    #endif
                } else {
                    if clamps {
                        measureClampedBatch(S.self, batch, groupLength, inBatch, table, into: &acc)
                    } else {
                        measureBatch(S.self, batch, groupLength, inBatch, table, into: &acc)
                    }
                    if inAfter > 0 {
                        batchRanges(S.self, after, groupLength, inAfter < 8 ? inAfter : 8, symmetric: symmetric, into: partials)
                    }
                }
                swap(&table, &nextTable)
                verdict = nextVerdict
                acc.pending &+= inBatch &* groupLength
                acc.flushIfFull()
                first &+= 8
            }
            sums = acc
        }
    }

    /// A full batch (eight groups, and eight more after the next batch to scan) with the portable kernel: one
    /// wrapper per case, so each loop is compiled without branches.
    @inline(__always)
    static func measureFullBatch<S: IntegerGroupShape>(_ shape: S.Type, _ batch: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                       clamping clamps: Bool, bounded: Bool, symmetric: Bool, into acc: inout ErrorSums,
                                                       scanning after: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        switch (clamps, symmetric) {
        case (false, true) where bounded:
            measureBoundedBatchScanningAbsMaxima(S.self, batch, groupLength, table, into: &acc, scanning: after, into: partials)
        case (false, false) where bounded:
            measureBoundedBatchScanningExtremes(S.self, batch, groupLength, table, into: &acc, scanning: after, into: partials)
        case (false, true): measureBatchScanningAbsMaxima(S.self, batch, groupLength, table, into: &acc, scanning: after, into: partials)
        case (false, false): measureBatchScanningExtremes(S.self, batch, groupLength, table, into: &acc, scanning: after, into: partials)
        case (true, true): measureClampedBatchScanningAbsMaxima(S.self, batch, groupLength, table, into: &acc, scanning: after, into: partials)
        case (true, false): measureClampedBatchScanningExtremes(S.self, batch, groupLength, table, into: &acc, scanning: after, into: partials)
        }
    }

    /// The partial ranges of the (up to) eight groups at `x`, as `batchParameters` reads them.
    @_transparent
    static func batchRanges<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int, symmetric: Bool,
                                                  into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        if symmetric {
            batchAbsMaxima(S.self, x, groupLength, groups, into: partials)
        } else {
            batchExtremes(S.self, x, groupLength, groups, into: partials)
        }
    }

    /// Lane-wise largest |w| of each of the eight groups at `x` into `highs[0…7]`; lanes past `groups` repeat the last group.
    @inline(never)
    static func batchAbsMaxima<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                     into highs: UnsafeMutablePointer<SIMD8<Float>>) {
        typealias V = SIMD8<Float>
        let vectors = S.vectors(groupLength &>> 3)
        for g in 0..<8 {
            let unit = UnsafeRawPointer(x + (g < groups ? g : groups &- 1) &* groupLength)
            var m = FloatFormatKernel.magnitude(unit.loadUnaligned(as: V.self))
            for j in 1..<vectors {
                let a = FloatFormatKernel.magnitude(unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self))
                m = m.replacing(with: a, where: a .> m)
            }
            highs[g] = m
        }
    }

    /// Lane-wise largest (into `partials[0…7]`) and smallest (`partials[8…15]`) weight of each of the eight groups at `x`.
    @inline(never)
    static func batchExtremes<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                    into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        typealias V = SIMD8<Float>
        let vectors = S.vectors(groupLength &>> 3)
        for g in 0..<8 {
            let unit = UnsafeRawPointer(x + (g < groups ? g : groups &- 1) &* groupLength)
            var lo = unit.loadUnaligned(as: V.self), hi = lo
            for j in 1..<vectors {
                let v = unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self)
                lo = lo.replacing(with: v, where: v .< lo)
                hi = hi.replacing(with: v, where: v .> hi)
            }
            partials[g] = hi
            partials[8 &+ g] = lo
        }
    }

    /// What a batch's parameters tell before it is measured.
    struct BatchVerdict {
        /// Whether a clamp can act in one of its groups.
        var clamps: Bool
        /// An upper bound on every squared error of the batch (`ErrorSums.maxSquaredError`), or infinity.
        var largestSquaredError: Float
    }

    /// The eight groups' parameters (`IntegerUnitLanes`) from their partial ranges, written to `table` (see `BatchTable`),
    /// and what they tell of the first `groups` groups.
    @inline(never)
    static func batchParameters(_ partials: UnsafeMutablePointer<SIMD8<Float>>, symmetric: Bool, qmax: Float, f16Scale: Bool, groups: Int,
                                into table: UnsafeMutableRawPointer) -> BatchVerdict {
        typealias V = SIMD8<Float>
        let lanes = symmetric
            ? IntegerUnitLanes(absMax: TransposedReduction.inlinedMaxima(partials), qmax: qmax, f16Scale: f16Scale)
            : IntegerUnitLanes(min: TransposedReduction.inlinedMinima(partials + 8), max: TransposedReduction.inlinedMaxima(partials), qmax: qmax, f16Scale: f16Scale)
        table.storeBytes(of: lanes.scale, toByteOffset: BatchTable.scale, as: V.self)
        table.storeBytes(of: lanes.inverse, toByteOffset: BatchTable.inverse, as: V.self)
        table.storeBytes(of: lanes.lowest, toByteOffset: BatchTable.lowest, as: V.self)
        table.storeBytes(of: lanes.highest, toByteOffset: BatchTable.highest, as: V.self)
        // Lanes past `groups` repeat the last group, so they add no clamp of their own.
        let free = lanes.clampFree.lowHalf * lanes.clampFree.highHalf
        let clamps = (free[0] * free[1]) * (free[2] * free[3]) == 0
        // Without a clamp, |ŵ − w| ≤ s·(½ + (qmax + 1)·2⁻²²)·(1 + 2⁻²⁴): ½ from rounding, the rest from the rounding of
        // 1/s, w·(1/s) (|w/s| ≤ qmax + ½), k·s and the subtraction. With normal scales well inside the exponent range
        // (no subnormal product), the factor below and the margin on its square cover those and the bound's own rounding.
        let p = UnsafeRawPointer(table)
        let a = p.load(fromByteOffset: BatchTable.scale, as: SIMD4<Float>.self), b = p.load(fromByteOffset: BatchTable.scale &+ 16, as: SIMD4<Float>.self)
        let hi = QuadLanes.max(a, b), lo = QuadLanes.min(a, b)
        let hi2 = QuadLanes.max(hi, SIMD4(hi[2], hi[3], hi[0], hi[1])), lo2 = QuadLanes.min(lo, SIMD4(lo[2], lo[3], lo[0], lo[1]))
        let largest = hi2[1] > hi2[0] ? hi2[1] : hi2[0], smallest = lo2[1] < lo2[0] ? lo2[1] : lo2[0]
        guard !clamps, smallest >= 0x1p-60, largest <= 0x1p60, qmax < 0x1p20 else { return BatchVerdict(clamps: clamps, largestSquaredError: .infinity) }
        let e = largest * (0.5 * (1 + 0x1p-12) + (qmax + 2) * 0x1p-21)
        return BatchVerdict(clamps: clamps, largestSquaredError: e * e * (1 + 0x1p-18))
    }

    /// The largest of the eight lanes.
    @inline(never)
    static func largestLane(_ v: SIMD8<Float>) -> Float {
        let p = withUnsafeBytes(of: v) { ($0.load(as: SIMD4<Float>.self), $0.load(fromByteOffset: 16, as: SIMD4<Float>.self)) }
        let m = QuadLanes.max(p.0, p.1), m2 = QuadLanes.max(m, SIMD4(m[2], m[3], m[0], m[1]))
        return m2[1] > m2[0] ? m2[1] : m2[0]
    }

    /// The fused quantise-dequantise-error pass over the first `groups` of the eight groups at `x`, each with its
    /// scale broadcast from `table`, for groups where no clamp can act.
    @inline(never)
    static func measureBatch<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                   _ table: UnsafeRawPointer, into acc: inout ErrorSums) {
        measureBatch(S.self, x, groupLength, groups, table, clamping: false, into: &acc)
    }

    /// `measureBatch` with every code clamped into its group's range, for batches where a clamp can act.
    @inline(never)
    static func measureClampedBatch<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                          _ table: UnsafeRawPointer, into acc: inout ErrorSums) {
        measureBatch(S.self, x, groupLength, groups, table, clamping: true, into: &acc)
    }

    @_transparent
    static func measureBatch<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                   _ table: UnsafeRawPointer, clamping: Bool, into acc: inout ErrorSums) {
        typealias V = SIMD8<Float>
        let vectors = S.vectors(groupLength &>> 3)
        let magic = V(repeating: roundingMagic)
        var squaredError = acc.squaredError, squaredDequantized = acc.squaredDequantized, maxSquaredError = acc.maxSquaredError
        for g in 0..<groups {
            let unit = UnsafeRawPointer(x + g &* groupLength)
            let group = GroupParameters(table, g)
            for j in 0..<vectors {
                group.measure(unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self), magic: magic, clamping: clamping, tracksLargest: true,
                              squaredError: &squaredError, squaredDequantized: &squaredDequantized, maxSquaredError: &maxSquaredError)
            }
        }
        acc.squaredError = squaredError
        acc.squaredDequantized = squaredDequantized
        acc.maxSquaredError = maxSquaredError
    }

    // The fused pass of a full batch together with the range pass of a later full batch, one wrapper per
    // combination so that each loop is compiled without branches.

    @inline(never)
    static func measureBatchScanningAbsMaxima<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                    into acc: inout ErrorSums,
                                                                    scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: false, symmetric: true, into: &acc, scanning: next, into: partials)
    }

    @inline(never)
    static func measureBatchScanningExtremes<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                   into acc: inout ErrorSums,
                                                                    scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: false, symmetric: false, into: &acc, scanning: next, into: partials)
    }

    /// For batches whose squared errors provably stay within the largest so far: without updating it.
    @inline(never)
    static func measureBoundedBatchScanningAbsMaxima<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                           into acc: inout ErrorSums,
                                                                           scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: false, symmetric: true, into: &acc, scanning: next, into: partials, tracksLargest: false)
    }

    @inline(never)
    static func measureBoundedBatchScanningExtremes<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                          into acc: inout ErrorSums,
                                                                          scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: false, symmetric: false, into: &acc, scanning: next, into: partials, tracksLargest: false)
    }

    @inline(never)
    static func measureClampedBatchScanningAbsMaxima<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                           into acc: inout ErrorSums,
                                                                    scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: true, symmetric: true, into: &acc, scanning: next, into: partials)
    }

    @inline(never)
    static func measureClampedBatchScanningExtremes<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                          into acc: inout ErrorSums,
                                                                    scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: true, symmetric: false, into: &acc, scanning: next, into: partials)
    }

    /// `measureBatch` over eight groups, and `batchAbsMaxima` or `batchExtremes` of the eight groups at `next`.
    @_transparent
    static func measureBatchScanningNext<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                               clamping: Bool, symmetric: Bool, into acc: inout ErrorSums,
                                                               scanning next: UnsafePointer<Float>, into partials: UnsafeMutablePointer<SIMD8<Float>>,
                                                               tracksLargest: Bool = true) {
        typealias V = SIMD8<Float>
        let vectors = S.vectors(groupLength &>> 3)
        let magic = V(repeating: roundingMagic)
        var squaredError = acc.squaredError, squaredDequantized = acc.squaredDequantized, maxSquaredError = acc.maxSquaredError
        for g in 0..<8 {
            let unit = UnsafeRawPointer(x + g &* groupLength), nextUnit = UnsafeRawPointer(next + g &* groupLength)
            let group = GroupParameters(table, g)
            // The range of the next group in four lanes (both halves of each vector folded in), to leave registers
            // for the error sums: with eight lanes the asymmetric loop kept one of them on the stack.
            typealias H = SIMD4<Float>
            var lo = symmetric ? H(repeating: 0) : nextUnit.loadUnaligned(as: H.self), hi = lo
            for j in 0..<vectors {
                group.measure(unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self), magic: magic, clamping: clamping, tracksLargest: tracksLargest,
                              squaredError: &squaredError, squaredDequantized: &squaredDequantized, maxSquaredError: &maxSquaredError)
                let n0 = nextUnit.loadUnaligned(fromByteOffset: j &* 32, as: H.self)
                let n1 = nextUnit.loadUnaligned(fromByteOffset: j &* 32 &+ 16, as: H.self)
                if symmetric {
                    let a0 = FloatFormatKernel.magnitude(n0), a1 = FloatFormatKernel.magnitude(n1)
                    let a = a0.replacing(with: a1, where: a1 .> a0)
                    hi = hi.replacing(with: a, where: a .> hi)
                } else {
                    let a = n0.replacing(with: n1, where: n1 .< n0), b = n0.replacing(with: n1, where: n1 .> n0)
                    lo = lo.replacing(with: a, where: a .< lo)
                    hi = hi.replacing(with: b, where: b .> hi)
                }
            }
            // Both halves of the partial vector hold the four lanes.
            let highs = UnsafeMutableRawPointer(partials + g), lows = UnsafeMutableRawPointer(partials + (8 &+ g))
            highs.storeBytes(of: hi, as: H.self)
            highs.storeBytes(of: hi, toByteOffset: 16, as: H.self)
            if !symmetric {
                lows.storeBytes(of: lo, as: H.self)
                lows.storeBytes(of: lo, toByteOffset: 16, as: H.self)
            }
        }
        acc.squaredError = squaredError
        acc.squaredDequantized = squaredDequantized
        acc.maxSquaredError = maxSquaredError
    }

    /// One group's parameters from a `BatchTable`, broadcast to eight lanes.
    struct GroupParameters {
        typealias V = SIMD8<Float>
        let scale: V, inverse: V, lowest: V, highest: V

        @_transparent
        init(_ table: UnsafeRawPointer, _ g: Int) {
            scale = V(repeating: table.load(fromByteOffset: BatchTable.scale &+ g &* 4, as: Float.self))
            inverse = V(repeating: table.load(fromByteOffset: BatchTable.inverse &+ g &* 4, as: Float.self))
            lowest = V(repeating: table.load(fromByteOffset: BatchTable.lowest &+ g &* 4, as: Float.self))
            highest = V(repeating: table.load(fromByteOffset: BatchTable.highest &+ g &* 4, as: Float.self))
        }

        /// The fused step on eight weights of the group: codes round(v·(1/s)) (clamped into the group's range with
        /// `clamping`), ŵ = code·s, and the error sums.
        @_transparent
        func measure(_ v: V, magic: V, clamping: Bool, tracksLargest: Bool,
                     squaredError: inout V, squaredDequantized: inout V, maxSquaredError: inout V) {
            var k = (v * inverse + magic) - magic
            if clamping {
                k = k.replacing(with: lowest, where: k .< lowest)
                k = k.replacing(with: highest, where: k .> highest)
            }
            let q = k * scale
            // v − q rather than q − v: the same square, and the subtraction may overwrite v.
            let e = v - q
            let e2 = e * e
            squaredError += e2
            squaredDequantized += q * q
            if tracksLargest { maxSquaredError = maxSquaredError.replacing(with: e2, where: e2 .> maxSquaredError) }
        }
    }
}
