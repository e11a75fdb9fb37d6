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
                                    into sums: inout ErrorSums) {
        switch groupLength {
        case 32: measureGroupBatches(FourVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums)
        case 64: measureGroupBatches(EightVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums)
        case 128: measureGroupBatches(SixteenVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums)
        default: measureGroupBatches(AnyVectors.self, x, groupLength, groups, symmetric, qmax, f16Scale, &sums)
        }
    }

    /// Byte offsets in the batch table: per lane (group) the scale, its reciprocal and the shifted code range.
    enum BatchTable {
        static let scale = 0, inverse = 32, lowest = 64, highest = 96, bytes = 128
    }

    static func measureGroupBatches<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ groups: Int,
                                                          _ symmetric: Bool, _ qmax: Float, _ f16Scale: Bool, _ sums: inout ErrorSums) {
        // Two sets of partial ranges (this batch's and the next one's) and the table.
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 32 + BatchTable.bytes / 32) { buffer in
            var partials = buffer.baseAddress!, nextPartials = partials + 16
            let table = UnsafeMutableRawPointer(partials + 32)
            var acc = sums
            batchRanges(S.self, x, groupLength, groups < 8 ? groups : 8, symmetric: symmetric, into: partials)
            var first = 0
            while first < groups {
                let inBatch = groups &- first < 8 ? groups &- first : 8
                let inNext = groups &- first &- 8
                let batch = x + first &* groupLength
                let clamps = batchParameters(partials, symmetric: symmetric, qmax: qmax, f16Scale: f16Scale, groups: inBatch, into: table)
                if inBatch == 8 && inNext >= 8 {
                    // The next batch's range pass rides along: its loads from memory overlap this batch's arithmetic.
                    switch (clamps, symmetric) {
                    case (false, true): measureBatchScanningAbsMaxima(S.self, batch, groupLength, table, into: &acc, nextRanges: nextPartials)
                    case (false, false): measureBatchScanningExtremes(S.self, batch, groupLength, table, into: &acc, nextRanges: nextPartials)
                    case (true, true): measureClampedBatchScanningAbsMaxima(S.self, batch, groupLength, table, into: &acc, nextRanges: nextPartials)
                    case (true, false): measureClampedBatchScanningExtremes(S.self, batch, groupLength, table, into: &acc, nextRanges: nextPartials)
                    }
                } else {
                    if clamps {
                        measureClampedBatch(S.self, batch, groupLength, inBatch, table, into: &acc)
                    } else {
                        measureBatch(S.self, batch, groupLength, inBatch, table, into: &acc)
                    }
                    if inNext > 0 {
                        batchRanges(S.self, batch + 8 &* groupLength, groupLength, inNext < 8 ? inNext : 8, symmetric: symmetric, into: nextPartials)
                    }
                }
                swap(&partials, &nextPartials)
                acc.pending &+= inBatch &* groupLength
                acc.flushIfFull()
                first &+= 8
            }
            sums = acc
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
            var m = magnitudeLanes(unit.loadUnaligned(as: V.self))
            for j in 1..<vectors {
                let a = magnitudeLanes(unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self))
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

    /// |v| by clearing the sign bits.
    @_transparent
    static func magnitudeLanes(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    /// The eight groups' parameters (`IntegerUnitLanes`) from their partial ranges, written to `table` (see `BatchTable`). Returns whether a clamp can act in one of the first `groups` groups.
    @inline(never)
    static func batchParameters(_ partials: UnsafeMutablePointer<SIMD8<Float>>, symmetric: Bool, qmax: Float, f16Scale: Bool, groups: Int,
                                into table: UnsafeMutableRawPointer) -> Bool {
        typealias V = SIMD8<Float>
        let lanes = symmetric
            ? IntegerUnitLanes(absMax: TransposedReduction.maxima(partials), qmax: qmax, f16Scale: f16Scale)
            : IntegerUnitLanes(min: TransposedReduction.minima(partials + 8), max: TransposedReduction.maxima(partials), qmax: qmax, f16Scale: f16Scale)
        table.storeBytes(of: lanes.scale, toByteOffset: BatchTable.scale, as: V.self)
        table.storeBytes(of: lanes.inverse, toByteOffset: BatchTable.inverse, as: V.self)
        table.storeBytes(of: lanes.lowest, toByteOffset: BatchTable.lowest, as: V.self)
        table.storeBytes(of: lanes.highest, toByteOffset: BatchTable.highest, as: V.self)
        // Lanes past `groups` repeat the last group, so they add no clamp of their own.
        let free = lanes.clampFree.lowHalf * lanes.clampFree.highHalf
        return (free[0] * free[1]) * (free[2] * free[3]) == 0
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
            let scale = V(repeating: table.load(fromByteOffset: BatchTable.scale &+ g &* 4, as: Float.self))
            let inverse = V(repeating: table.load(fromByteOffset: BatchTable.inverse &+ g &* 4, as: Float.self))
            let lowest = V(repeating: table.load(fromByteOffset: BatchTable.lowest &+ g &* 4, as: Float.self))
            let highest = V(repeating: table.load(fromByteOffset: BatchTable.highest &+ g &* 4, as: Float.self))
            for j in 0..<vectors {
                let v = unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self)
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
                maxSquaredError = maxSquaredError.replacing(with: e2, where: e2 .> maxSquaredError)
            }
        }
        acc.squaredError = squaredError
        acc.squaredDequantized = squaredDequantized
        acc.maxSquaredError = maxSquaredError
    }

    // The fused pass of a full batch together with the range pass of the full batch after it, one wrapper per
    // combination so that each loop is compiled without branches.

    @inline(never)
    static func measureBatchScanningAbsMaxima<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                    into acc: inout ErrorSums, nextRanges: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: false, symmetric: true, into: &acc, nextRanges: nextRanges)
    }

    @inline(never)
    static func measureBatchScanningExtremes<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                   into acc: inout ErrorSums, nextRanges: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: false, symmetric: false, into: &acc, nextRanges: nextRanges)
    }

    @inline(never)
    static func measureClampedBatchScanningAbsMaxima<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                           into acc: inout ErrorSums, nextRanges: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: true, symmetric: true, into: &acc, nextRanges: nextRanges)
    }

    @inline(never)
    static func measureClampedBatchScanningExtremes<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                                          into acc: inout ErrorSums, nextRanges: UnsafeMutablePointer<SIMD8<Float>>) {
        measureBatchScanningNext(S.self, x, groupLength, table, clamping: true, symmetric: false, into: &acc, nextRanges: nextRanges)
    }

    /// `measureBatch` over eight groups, and `batchAbsMaxima` or `batchExtremes` of the eight groups that follow them.
    @_transparent
    static func measureBatchScanningNext<S: IntegerGroupShape>(_ shape: S.Type, _ x: UnsafePointer<Float>, _ groupLength: Int, _ table: UnsafeRawPointer,
                                                               clamping: Bool, symmetric: Bool, into acc: inout ErrorSums,
                                                               nextRanges partials: UnsafeMutablePointer<SIMD8<Float>>) {
        typealias V = SIMD8<Float>
        let vectors = S.vectors(groupLength &>> 3)
        let magic = V(repeating: roundingMagic)
        var squaredError = acc.squaredError, squaredDequantized = acc.squaredDequantized, maxSquaredError = acc.maxSquaredError
        for g in 0..<8 {
            let unit = UnsafeRawPointer(x + g &* groupLength), nextUnit = UnsafeRawPointer(x + (8 &+ g) &* groupLength)
            let scale = V(repeating: table.load(fromByteOffset: BatchTable.scale &+ g &* 4, as: Float.self))
            let inverse = V(repeating: table.load(fromByteOffset: BatchTable.inverse &+ g &* 4, as: Float.self))
            let lowest = V(repeating: table.load(fromByteOffset: BatchTable.lowest &+ g &* 4, as: Float.self))
            let highest = V(repeating: table.load(fromByteOffset: BatchTable.highest &+ g &* 4, as: Float.self))
            var lo = symmetric ? V(repeating: 0) : nextUnit.loadUnaligned(as: V.self), hi = lo
            for j in 0..<vectors {
                let v = unit.loadUnaligned(fromByteOffset: j &* 32, as: V.self)
                var k = (v * inverse + magic) - magic
                if clamping {
                    k = k.replacing(with: lowest, where: k .< lowest)
                    k = k.replacing(with: highest, where: k .> highest)
                }
                let q = k * scale
                let e = v - q
                let e2 = e * e
                squaredError += e2
                squaredDequantized += q * q
                maxSquaredError = maxSquaredError.replacing(with: e2, where: e2 .> maxSquaredError)
                let n = nextUnit.loadUnaligned(fromByteOffset: j &* 32, as: V.self)
                if symmetric {
                    let a = magnitudeLanes(n)
                    hi = hi.replacing(with: a, where: a .> hi)
                } else {
                    lo = lo.replacing(with: n, where: n .< lo)
                    hi = hi.replacing(with: n, where: n .> hi)
                }
            }
            partials[g] = hi
            if !symmetric { partials[8 &+ g] = lo }
        }
        acc.squaredError = squaredError
        acc.squaredDequantized = squaredDequantized
        acc.maxSquaredError = maxSquaredError
    }
}
