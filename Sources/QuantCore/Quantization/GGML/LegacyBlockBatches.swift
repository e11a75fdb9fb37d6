/// The encoder of the 4- and 5-bit formats (Q4_0, Q4_1, Q5_0, Q5_1), eight blocks at a time in three small stages
/// that talk through a table in memory: the eight blocks' extremes, their parameters with one block per lane, then
/// per block its levels with the parameters broadcast from the table.
///
/// Why: block by block, each scale waited on two scalar divisions in a row and branchy fp16 conversions (about
/// 95 instructions per block for Q4_1). In lanes, eight blocks share one vector division, one reciprocal and the
/// fp16 conversions without branches. Each stage is its own function so that LLVM keeps the shapes written here
/// (inlined into one, it moved shuffles onto the inputs and split vector selects into branches per lane).
enum LegacyBlockBatches {
    typealias Lanes = SIMD8<Float>
    typealias Words = SIMD8<Int32>

    /// Byte offsets in a batch table, one lane per block: its minimum (formats with an offset), 1/d (all bits set, a
    /// NaN, sends the block to the scalar code) and its fp16 fields: `d | min << 16`, or d.
    enum Table {
        static let offset = 0, inverse = 32, fields = 64, bytes = 96
    }


    static func encode<F: LegacyTwoPassFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        // A code limit of 127 would not tell a saturated NaN (0x7F) from an OR of right codes: Q5_0 (codes up to
        // 65) stays with the two-pass encoder.
        precondition(F.codeLimit < 127, "\(F.self) cannot take the batched encoder")
        guard blocks > 0 else { return }
        // Pipelined two deep: while batch b's levels are written, the extremes of batch b + 2 ride along (their loads
        // from memory, prefetched further ahead, overlap b's arithmetic), and the parameters of batch b + 1 are
        // computed just before (their chain of divisions overlaps b's levels too; computed right before b + 1, its
        // levels waited on them).
        withUnsafeTemporaryAllocation(of: Quad.self, capacity: 16 + 2 * Table.bytes / 16) { buffer in
            let partials = buffer.baseAddress!
            var table = UnsafeMutableRawPointer(partials + 16), nextTable = table + Table.bytes
            extremes(x, blocks < 8 ? blocks : 8, into: partials)
            parameters(F.self, partials, into: table)
            if blocks > 8 { extremes(x + 256, blocks < 16 ? blocks &- 8 : 8, into: partials) }
            var first = 0
            while first < blocks {
                let n = blocks &- first < 8 ? blocks &- first : 8
                let inNext = blocks &- first &- 8, inAfter = blocks &- first &- 16
                let xb = x + 32 &* first, yb = y + F.blockBytes &* first
                if inNext > 0 { parameters(F.self, partials, into: nextTable) }
                let written: Bool
                if n == 8 && inAfter >= 8 {
                    written = levelsScanningAfterNext(F.self, xb, table, into: yb, scanning: partials)
                } else {
                    written = levels(F.self, xb, n, table, into: yb)
                    if inAfter > 0 { extremes(xb + 512, inAfter < 8 ? inAfter : 8, into: partials) }
                }
                if !written { checkedLevels(F.self, xb, n, table, into: yb) }
                swap(&table, &nextTable)
                first &+= 8
            }
        }
    }

    typealias Quad = SIMD4<Float>

    /// Floats between a block whose extremes are scanned and the block prefetched with it (2 KB). Without the hint
    /// the scan waited on memory: Q4_1 ran at 1.9 G weights/s from memory against 2.8 from cache; with it 2.1–2.4.
    static let prefetchAhead = 512

    /// Lane-wise maxima (into `partials[0…7]`) and minima (`partials[8…15]`) of the eight blocks at `x`, each
    /// reduced to four lanes; lanes past `blocks` repeat the last block.
    @inline(never)
    static func extremes(_ x: UnsafePointer<Float>, _ blocks: Int, into partials: UnsafeMutablePointer<Quad>) {
        for g in 0..<8 {
            let (lo, hi) = LegacyBlockLanes.inlinedLaneExtremes(x + 32 &* (g < blocks ? g : blocks &- 1))
            partials[g] = hi
            partials[8 &+ g] = lo
        }
    }

    /// Transposes the four 4×4 blocks of `partials` (quads 0–3, 4–7, 8–11, 12–15) in place: afterwards lane j of
    /// quads 4i…4i+3 holds the lanes of quad 4i + j. Only shuffles and memory here: next to the reductions that
    /// follow, LLVM rewrote the lane permutations into scalar compares and inserts.
    @inline(never)
    static func transposeQuads(_ partials: UnsafeMutablePointer<Quad>) {
        for i in stride(from: 0, to: 16, by: 4) {
            let a = partials[i], b = partials[i &+ 1], c = partials[i &+ 2], d = partials[i &+ 3]
            let ab0 = Quad(a[0], b[0], a[1], b[1]), ab1 = Quad(a[2], b[2], a[3], b[3])
            let cd0 = Quad(c[0], d[0], c[1], d[1]), cd1 = Quad(c[2], d[2], c[3], d[3])
            partials[i] = Quad(ab0[0], ab0[1], cd0[0], cd0[1])
            partials[i &+ 1] = Quad(ab0[2], ab0[3], cd0[2], cd0[3])
            partials[i &+ 2] = Quad(ab1[0], ab1[1], cd1[0], cd1[1])
            partials[i &+ 3] = Quad(ab1[2], ab1[3], cd1[2], cd1[3])
        }
    }

    /// Lane j: the largest (or, `minimum`, smallest) lane of the block j, from transposed quads.
    @_transparent
    static func reduced(_ p: UnsafePointer<Quad>, minimum: Bool) -> Lanes {
        if minimum {
            return Lanes(lowHalf: QuadLanes.min(QuadLanes.min(p[0], p[1]), QuadLanes.min(p[2], p[3])), highHalf: QuadLanes.min(QuadLanes.min(p[4], p[5]), QuadLanes.min(p[6], p[7])))
        }
        return Lanes(lowHalf: QuadLanes.max(QuadLanes.max(p[0], p[1]), QuadLanes.max(p[2], p[3])), highHalf: QuadLanes.max(QuadLanes.max(p[4], p[5]), QuadLanes.max(p[6], p[7])))
    }

    /// The table of eight blocks from their lane-wise maxima (`partials[0…7]`) and minima (`partials[8…15]`).
    /// Two functions that are not generic: specialised inside a generic one, LLVM made the lane compares branches.
    @_transparent
    static func parameters<F: LegacyTwoPassFormat>(_ format: F.Type, _ partials: UnsafeMutablePointer<Quad>, into table: UnsafeMutableRawPointer) {
        if F.subtractsOffset {
            offsetParameters(partials, maxLevel: Float(F.maxLevel), into: table)
        } else {
            symmetricParameters(partials, divisor: -Float((Int(F.maxLevel) + 1) / 2), into: table)
        }
    }

    /// For a format with an offset: ggml's d = (max − min)/maxLevel, 1/d (0 where d is 0), and the fp16 fields.
    /// Blocks the fast path does not reproduce get a NaN 1/d (all bits set): a NaN, infinite or subnormal d; a zero
    /// minimum (its sign is the first zero's, which the trees do not keep); d or a minimum whose fp16 is infinite
    /// (65520 and above in magnitude; leaving them out spares the fp16 conversions that case).
    @inline(never)
    static func offsetParameters(_ partials: UnsafeMutablePointer<Quad>, maxLevel: Float, into table: UnsafeMutableRawPointer) {
        transposeQuads(partials)
        let lo = reduced(partials + 8, minimum: true), hi = reduced(partials, minimum: false)
        let d = (hi - lo) / Lanes(repeating: maxLevel)
        let loBits = unsafeBitCast(lo, to: Words.self)
        let dMagnitude = unsafeBitCast(d, to: Words.self) & 0x7FFF_FFFF, loMagnitude = loBits & 0x7FFF_FFFF
        let zero = Half.below(dMagnitude, 1) // as a lane loop of `==`, LLVM made a branch per lane
        // d: zero, or normal and below 65520; minimum: nonzero and below 65520 (a NaN minimum makes d NaN).
        let fast = (zero | unsignedBelow(dMagnitude &- 0x0080_0000, 0x477F_F000 - 0x0080_0000)) & unsignedBelow(loMagnitude &- 1, 0x477F_F000 - 1)
        // A bit mask after the division: with a vector select, LLVM turned it into a branch and a division per lane.
        let inverse = unsafeBitCast(Lanes(repeating: 1) / d, to: Words.self) & ~zero
        table.storeBytes(of: lo, toByteOffset: Table.offset, as: Lanes.self)
        table.storeBytes(of: inverse | ~fast, toByteOffset: Table.inverse, as: Words.self)
        let loHalf = Half.fromMagnitude(loMagnitude) | ((loBits &>> 16) & 0x8000)
        table.storeBytes(of: Half.fromMagnitude(dMagnitude) | (loHalf &<< 16), toByteOffset: Table.fields, as: Words.self)
    }

    /// For a format without an offset: ggml's signed maximum (the value of largest magnitude), d = max/divisor, 1/d
    /// and d's fp16. Blocks the fast path does not reproduce get a NaN 1/d: where max and −min tie (ggml keeps the
    /// first of them, which the trees do not know; all-zero blocks included), and a NaN, infinite or subnormal d or
    /// one whose fp16 is infinite.
    @inline(never)
    static func symmetricParameters(_ partials: UnsafeMutablePointer<Quad>, divisor: Float, into table: UnsafeMutableRawPointer) {
        transposeQuads(partials)
        let lo = reduced(partials + 8, minimum: true), hi = reduced(partials, minimum: false)
        let negatedLo = -lo
        // Compares as masks in lane loops came out as branches per lane; a select of values and integer bits do not.
        // Equal magnitudes count as a tie even with opposite signs (only a constant block has them; it is left too).
        let tie = Half.below((unsafeBitCast(hi, to: Words.self) ^ unsafeBitCast(negatedLo, to: Words.self)) & 0x7FFF_FFFF, 1)
        var largest = lo
        for i in 0..<8 { largest[i] = negatedLo[i] < hi[i] ? hi[i] : lo[i] }
        let d = largest / Lanes(repeating: divisor)
        let dBits = unsafeBitCast(d, to: Words.self), dMagnitude = dBits & 0x7FFF_FFFF
        let fast = unsignedBelow(dMagnitude &- 0x0080_0000, 0x477F_F000 - 0x0080_0000) & ~tie
        let inverse = unsafeBitCast(Lanes(repeating: 1) / d, to: Words.self)
        table.storeBytes(of: inverse | ~fast, toByteOffset: Table.inverse, as: Words.self)
        table.storeBytes(of: Half.fromMagnitude(dMagnitude) | ((dBits &>> 16) & 0x8000), toByteOffset: Table.fields, as: Words.self)
    }

    /// All ones in the lanes where `a < c` as unsigned integers, else 0 (SSE2 compares signed: both sides are
    /// moved by 2³¹).
    @_transparent
    static func unsignedBelow(_ a: Words, _ c: UInt32) -> Words {
        let x = a ^ Int32.min, y = Int32(bitPattern: c) ^ Int32.min
        var r = Words()
        for i in 0..<8 { r[i] = x[i] < y ? -1 : 0 }
        return r
    }

    /// Writes the first `blocks` of the eight blocks at `x` from their table; false if some block is not right
    /// (see `level`).
    @inline(never)
    static func levels<F: LegacyTwoPassFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, _ blocks: Int, _ table: UnsafeRawPointer,
                                               into y: UnsafeMutableRawPointer) -> Bool {
        var seen = LegacyBlockLanes.B()
        for k in 0..<blocks { seen |= level(F.self, x, k, table, into: y) }
        return LegacyBlockLanes.areBatchCodes(seen, atMost: F.codeLimit)
    }

    /// `levels` of eight blocks, with the extremes of the eight blocks after the next eight into `partials` (see `extremes`).
    @inline(never)
    static func levelsScanningAfterNext<F: LegacyTwoPassFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, _ table: UnsafeRawPointer,
                                                           into y: UnsafeMutableRawPointer, scanning partials: UnsafeMutablePointer<Quad>) -> Bool {
        var seen = LegacyBlockLanes.B()
        for k in 0..<8 {
            let scanned = x + (512 &+ 32 &* k)
            Prefetch.block(scanned + prefetchAhead)
            let (lo, hi) = LegacyBlockLanes.inlinedLaneExtremes(scanned)
            partials[k] = hi
            partials[8 &+ k] = lo
            seen |= level(F.self, x, k, table, into: y)
        }
        return LegacyBlockLanes.areBatchCodes(seen, atMost: F.codeLimit)
    }

    /// Block k's fields and levels, written without a check; returns the OR of its codes. A block with
    /// a NaN 1/d (left to the scalar code), a non-finite value or a code past `codeLimit` shows in them, and its batch
    /// is written again by `checkedLevels`.
    @_transparent
    static func level<F: LegacyTwoPassFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, _ k: Int, _ table: UnsafeRawPointer,
                                              into y: UnsafeMutableRawPointer) -> LegacyBlockLanes.B {
        typealias S = LegacyBlockLanes
        let xb = x + 32 &* k, yb = y + F.blockBytes &* k
        let inverse = table.load(fromByteOffset: Table.inverse &+ 4 &* k, as: Float.self)
        let c0: S.B, c1: S.B
        if F.subtractsOffset {
            let offset = table.load(fromByteOffset: Table.offset &+ 4 &* k, as: Float.self)
            c0 = S.batchCodes((S.load(xb, 0) - offset) * inverse + F.bias)
            c1 = S.batchCodes((S.load(xb, 1) - offset) * inverse + F.bias)
            yb.storeBytes(of: table.load(fromByteOffset: Table.fields &+ 4 &* k, as: UInt32.self).littleEndian, as: UInt32.self)
            // ggml's cap of Q4_1 cannot bind (see `codeLimit`).
            F.storeUncapped(c0, c1, yb)
        } else {
            c0 = S.batchCodes(S.load(xb, 0) * inverse + F.bias)
            c1 = S.batchCodes(S.load(xb, 1) * inverse + F.bias)
            yb.storeBytes(of: table.load(fromByteOffset: Table.fields &+ 4 &* k, as: UInt16.self).littleEndian, as: UInt16.self)
            F.storeUncapped(S.cappedBatchCodes(c0, level: F.maxLevel), S.cappedBatchCodes(c1, level: F.maxLevel), yb)
        }
        return c0 | c1
    }

    /// The first `blocks` of the eight blocks at `x` again, block by block: those whose codes are not all right go
    /// to the scalar code. For the rare batches where `levels` found such a block.
    @inline(never)
    static func checkedLevels<F: LegacyTwoPassFormat>(_ format: F.Type, _ x: UnsafePointer<Float>, _ blocks: Int, _ table: UnsafeRawPointer,
                                                      into y: UnsafeMutableRawPointer) {
        for k in 0..<blocks where !LegacyBlockLanes.areBatchCodes(level(F.self, x, k, table, into: y), atMost: F.codeLimit) {
            F.encodeScalar(x + 32 &* k, blocks: 1, into: y + F.blockBytes &* k)
        }
    }
}
