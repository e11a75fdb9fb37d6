/// Q3_K: super-blocks of 256 with 16 sub-blocks of 16, 3-bit values (2 low bits + high-bit mask), 6-bit scales (110 bytes).
/// ggml: `quantize_row_q3_K_ref`, `dequantize_row_q3_K`.
enum Q3KCodec {
    static let blockElements = 256
    static let blockBytes = 110

    /// Super-blocks searched together, so that the sub-blocks whose refinement goes on after the first pass (about three
    /// per super-block) fill the lanes of `KQuantLanes.q3RefineLanes`: each batch ends in two part-filled groups of lanes
    /// (first and later passes), which cost less the more groups a batch has. 64 is also what `GGUFBlockQuantizer`
    /// encodes at a time.
    static let batchBlocks = 64

    /// Passes that every refined sub-block runs in its first group of lanes. About three in four stop after the second
    /// (it changes nothing), so the few that go on are gathered into new groups rather than holding all 16 lanes of
    /// their group for up to five passes (a group runs as many passes as its slowest lane).
    static let firstPasses = 2

    /// `scalarOnly` forces the direct transcription of ggml's code (tests compare the two paths).
    static func encode(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer, scalarOnly: Bool = false) {
        if scalarOnly {
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256 + 16) { bytes in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { floats in
                    for b in 0..<blocks {
                        encodeBlock(x + blockElements * b, y + blockBytes * b, L: bytes.baseAddress!,
                                    sc: UnsafeMutableRawPointer(bytes.baseAddress! + 256).assumingMemoryBound(to: UInt8.self),
                                    scales: floats.baseAddress!)
                    }
                }
            }
            return
        }
        typealias V = KQuantLanes.V
        let stateVectors = KQuantLanes.Q3SearchState.vectors * batchBlocks
        // Refined levels: 32 vectors for each 16 refined sub-blocks (at most 16 per super-block).
        let levelVectors = 32 * batchBlocks
        withUnsafeTemporaryAllocation(of: V.self, capacity: stateVectors + levelVectors + 64 + 64 + 5 * 32 + 4 + 8 + 4) { lanes in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * batchBlocks + 16 * batchBlocks) { words in
                let states = lanes.baseAddress!, refinedL = states + stateVectors, X = refinedL + levelVectors
                let scratch = X + 64, refineX = scratch + 64, refineW = refineX + 32, refineWX = refineW + 32
                let refineTakes = refineWX + 32, resumedL = refineTakes + 32
                let sums = resumedL + 32, levelBytes = sums + 4
                let floats = UnsafeMutableRawPointer(levelBytes + 8).assumingMemoryBound(to: Float.self)
                let allZero = words.baseAddress!, refined = allZero + batchBlocks
                let jobs = UnsafeMutableRawPointer(refined + batchBlocks).assumingMemoryBound(to: UInt16.self)
                let resumed = jobs + 16 * batchBlocks
                @_transparent func state(_ k: Int) -> KQuantLanes.Q3SearchState {
                    KQuantLanes.Q3SearchState(base: UnsafeMutableRawPointer(states + KQuantLanes.Q3SearchState.vectors * k))
                }
                // Super-block b is transposed into X + 32·(b % 2) while b − 1 is searched: its loads, the first touch of
                // the input, then wait for memory beside independent work.
                if blocks > 0 { KQuantLanes.transpose16(x, into: X) }
                for first in stride(from: 0, to: blocks, by: batchBlocks) {
                    let n = Swift.min(batchBlocks, blocks - first)
                    let xs = x + blockElements * first
                    var count = 0
                    for k in 0..<n {
                        let b = first + k
                        if b + 1 < blocks { KQuantLanes.transpose16(x + blockElements * (b + 1), into: X + 32 * ((b + 1) & 1)) }
                        let r = KQuantLanes.q3Search(X: X + 32 * (b & 1), scratch: scratch, state: state(k))
                        allZero[k] = r.allZero
                        refined[k] = r.refined
                        var m = r.refined
                        while m != 0 {
                            jobs[count] = UInt16(truncatingIfNeeded: 16 * k + m.trailingZeroBitCount)
                            count += 1
                            m &= m &- 1
                        }
                    }
                    var resumedCount = 0
                    for group in stride(from: 0, to: count, by: 16) {
                        var going = refine(xs, jobs: jobs + group, count: Swift.min(16, count - group), states: states,
                                           X: refineX, W: refineW, WX: refineWX, takes: refineTakes, L: refinedL + 2 * group, sums: sums)
                        while going != 0 {
                            resumed[resumedCount] = UInt16(truncatingIfNeeded: group + going.trailingZeroBitCount)
                            resumedCount += 1
                            going &= going &- 1
                        }
                    }
                    for group in stride(from: 0, to: resumedCount, by: 16) {
                        resume(xs, jobs: jobs, positions: resumed + group, count: Swift.min(16, resumedCount - group), states: states,
                               X: refineX, W: refineW, WX: refineWX, takes: refineTakes, L: resumedL, refinedL: refinedL, sums: sums)
                    }
                    for k in 0..<n {
                        finishBlock(xs + blockElements * k, y + blockBytes * (first + k), k, state: state(k),
                                    allZero: allZero[k], refined: refined[k], jobs: jobs, count: count, refinedL: refinedL,
                                    levels: UnsafeMutableRawPointer(levelBytes).assumingMemoryBound(to: Q3KBlockPacking.B.self), scales: floats)
                    }
                }
            }
        }
    }

    /// Runs the first `firstPasses` refinement passes of up to 16 sub-blocks (`jobs`: 16·k + j for sub-block j of
    /// super-block k at `x + 256·k`) in lanes: gathers their values, first levels and sums, and leaves their levels
    /// (transposed) in `L` and their sums in their states. Returns bit p for the lanes whose last pass still changed a
    /// level (ggml goes on with them; `resume`). `takes` is scratch for 32 change masks.
    @inline(never)
    static func refine(
        _ x: UnsafePointer<Float>, jobs: UnsafePointer<UInt16>, count: Int, states: UnsafeMutablePointer<KQuantLanes.V>,
        X: UnsafeMutablePointer<KQuantLanes.V>, W: UnsafeMutablePointer<KQuantLanes.V>, WX: UnsafeMutablePointer<KQuantLanes.V>,
        takes: UnsafeMutablePointer<KQuantLanes.V>, L: UnsafeMutablePointer<KQuantLanes.V>, sums: UnsafeMutablePointer<KQuantLanes.V>
    ) -> UInt32 {
        typealias V = KQuantLanes.V
        let xf = UnsafeMutableRawPointer(X).assumingMemoryBound(to: Float.self)
        let sf = UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Float.self)
        // Lane p of `L` holds iscale until the first levels replace it.
        let lf = UnsafeMutableRawPointer(L).assumingMemoryBound(to: Float.self)
        for p in 0..<16 {
            if p < count {
                let job = Int(jobs[p]), k = job &>> 4, j = job & 15
                let s = KQuantLanes.Q3SearchState(base: UnsafeMutableRawPointer(states + KQuantLanes.Q3SearchState.vectors * k))
                let xj = x + 256 * k + 16 * j
                for i in 0..<16 { xf[16 * i + p] = xj[i] }
                sf[p] = s.sumlx[j]
                sf[16 + p] = s.suml2[j]
                lf[p] = s.iscale[j]
            } else {
                for i in 0..<16 { xf[16 * i + p] = 0 }
                sf[p] = 0
                sf[16 + p] = 0
                lf[p] = 0
            }
        }
        let iscale0 = L[0], iscale1 = L[1]
        for i in 0..<16 {
            for h in 0..<2 {
                let v = X[2 * i + h]
                let w = v * v
                W[2 * i + h] = w
                WX[2 * i + h] = w * v
                L[2 * i + h] = KQuantLanes.clamp(KQuantLanes.nearestExact((h == 0 ? iscale0 : iscale1) * v), V(repeating: -4), V(repeating: 3))
            }
        }
        let going = KQuantLanes.q3RefineLanes(X: X, W: W, WX: WX, L: L, sums: sums, passes: firstPasses,
                                              takes: UnsafeMutableRawPointer(takes).assumingMemoryBound(to: KQuantLanes.U.self))
        for p in 0..<count {
            let job = Int(jobs[p]), k = job &>> 4, j = job & 15
            let s = KQuantLanes.Q3SearchState(base: UnsafeMutableRawPointer(states + KQuantLanes.Q3SearchState.vectors * k))
            s.sumlx[j] = sf[p]
            s.suml2[j] = sf[16 + p]
        }
        return going
    }

    /// Runs the remaining passes (up to ggml's five in all) of up to 16 sub-blocks that `refine` left changing:
    /// `positions[p]` indexes `jobs`, and the sub-block's levels are lane position % 16 of the 32 vectors at
    /// `refinedL + 32·(position / 16)`. Gathers values, levels and sums into lanes (levels in `L`), and puts levels and
    /// sums back where they came from.
    @inline(never)
    static func resume(
        _ x: UnsafePointer<Float>, jobs: UnsafePointer<UInt16>, positions: UnsafePointer<UInt16>, count: Int,
        states: UnsafeMutablePointer<KQuantLanes.V>, X: UnsafeMutablePointer<KQuantLanes.V>, W: UnsafeMutablePointer<KQuantLanes.V>,
        WX: UnsafeMutablePointer<KQuantLanes.V>, takes: UnsafeMutablePointer<KQuantLanes.V>, L: UnsafeMutablePointer<KQuantLanes.V>,
        refinedL: UnsafeMutablePointer<KQuantLanes.V>, sums: UnsafeMutablePointer<KQuantLanes.V>
    ) {
        let xf = UnsafeMutableRawPointer(X).assumingMemoryBound(to: Float.self)
        let sf = UnsafeMutableRawPointer(sums).assumingMemoryBound(to: Float.self)
        let lf = UnsafeMutableRawPointer(L).assumingMemoryBound(to: Float.self)
        let stored = UnsafeMutableRawPointer(refinedL).assumingMemoryBound(to: Float.self)
        @_transparent func levels(_ p: Int) -> UnsafeMutablePointer<Float> {
            let position = Int(positions[p])
            return stored + 256 * (position &>> 4) + (position & 15)
        }
        for p in 0..<16 {
            if p < count {
                let job = Int(jobs[Int(positions[p])]), k = job &>> 4, j = job & 15
                let s = KQuantLanes.Q3SearchState(base: UnsafeMutableRawPointer(states + KQuantLanes.Q3SearchState.vectors * k))
                let xj = x + 256 * k + 16 * j, lj = levels(p)
                for i in 0..<16 {
                    xf[16 * i + p] = xj[i]
                    lf[16 * i + p] = lj[16 * i]
                }
                sf[p] = s.sumlx[j]
                sf[16 + p] = s.suml2[j]
            } else {
                for i in 0..<16 {
                    xf[16 * i + p] = 0
                    lf[16 * i + p] = 0
                }
                sf[p] = 0
                sf[16 + p] = 0
            }
        }
        for i in 0..<32 {
            let v = X[i]
            let w = v * v
            W[i] = w
            WX[i] = w * v
        }
        _ = KQuantLanes.q3RefineLanes(X: X, W: W, WX: WX, L: L, sums: sums, passes: 5 - firstPasses,
                                      takes: UnsafeMutableRawPointer(takes).assumingMemoryBound(to: KQuantLanes.U.self))
        for p in 0..<count {
            let job = Int(jobs[Int(positions[p])]), k = job &>> 4, j = job & 15
            let s = KQuantLanes.Q3SearchState(base: UnsafeMutableRawPointer(states + KQuantLanes.Q3SearchState.vectors * k))
            s.sumlx[j] = sf[p]
            s.suml2[j] = sf[16 + p]
            let lj = levels(p)
            for i in 0..<16 { lj[16 * i] = lf[16 * i + p] }
        }
    }

    /// A searched super-block's scales, final levels and packing, on whole vectors in natural order (exact for every
    /// input: scales that are not finite, or a largest scale so small that −32/scale is not, take ggml's scalar code).
    @inline(never)
    static func finishBlock(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ k: Int, state: KQuantLanes.Q3SearchState,
        allZero: UInt32, refined: UInt32, jobs: UnsafePointer<UInt16>, count: Int, refinedL: UnsafePointer<KQuantLanes.V>,
        levels: UnsafeMutablePointer<Q3KBlockPacking.B>, scales: UnsafeMutablePointer<Float>
    ) {
        typealias V = KQuantLanes.V
        // ggml's suml2 > 0 ? sumlx / suml2 : 0 (q3Search leaves suml2 = 0 in all-zero sub-blocks, whose scale is 0).
        @_transparent func scale(_ h: Int) -> V {
            let sumlx = UnsafeRawPointer(state.sumlx + 8 * h).loadUnaligned(as: V.self)
            let suml2 = UnsafeRawPointer(state.suml2 + 8 * h).loadUnaligned(as: V.self)
            return KQuantLanes.select(suml2, greaterThan: .zero, sumlx / suml2, .zero)
        }
        let s0 = scale(0), s1 = scale(1)
        UnsafeMutableRawPointer(scales).storeBytes(of: s0, as: V.self)
        UnsafeMutableRawPointer(scales + 8).storeBytes(of: s1, as: V.self)
        // The 6-bit scales as ggml packs them, and each sub-block's scale − 32 as ggml reads it back (in `ls`).
        let ls = scales + 16
        let (maxScale, finite) = Q3KBlockPacking.largest(s0, s1, scales)
        let d: Float
        if maxScale != 0 {
            let iscale = -32 / maxScale
            if finite && iscale.isFinite {
                Q3KBlockPacking.packScales(s0, s1, iscale: iscale, ls: ls, y + 96)
            } else {
                Q3KBlockPacking.packScalesScalar(scales, iscale: iscale, ls: ls, y + 96)
            }
            d = storeHalf(1 / iscale, y, 108)
        } else {
            for j in 0..<16 { ls[j] = -32 }
            y.storeBytes(of: 0, toByteOffset: 96, as: UInt64.self)
            y.storeBytes(of: 0, toByteOffset: 104, as: UInt32.self)
            d = storeHalf(0, y, 108)
        }
        // Final levels 0…7 in natural order, one byte each (the low byte of 2²³ + level); a sub-block whose scale is 0
        // keeps the search's levels.
        let offsetLo = V(repeating: 12_582_912 - 4), offsetHi = V(repeating: 12_582_912 + 3), shift = V(repeating: 4 + 8_388_608)
        for j in 0..<16 {
            let dl = d * ls[j]
            if dl == 0 {
                let zero = allZero & (1 &<< UInt32(j)) != 0
                let l = searchLevels(x + 16 * j, j, state: state, refined: refined, jobs: jobs, count: count, refinedL: refinedL, k)
                levels[j] = zero ? Q3KBlockPacking.B(repeating: 0) : Q3KBlockPacking.lowBytes(l.0 + shift, l.1 + shift)
                continue
            }
            // Clamped as 1.5·2²³ + level, whose low byte is level mod 256 (−4…3 → 252…255, 0…3); + 4 gives 0…7.
            let dlv = V(repeating: dl)
            let raw = UnsafeRawPointer(x + 16 * j)
            let l0 = KQuantLanes.clamp(KQuantLanes.nearestExactOffset(raw.loadUnaligned(as: V.self) / dlv), offsetLo, offsetHi)
            let l1 = KQuantLanes.clamp(KQuantLanes.nearestExactOffset(raw.loadUnaligned(fromByteOffset: 32, as: V.self) / dlv), offsetLo, offsetHi)
            levels[j] = Q3KBlockPacking.lowBytes(l0, l1) &+ 4
        }
        Q3KBlockPacking.packLevels(levels, y)
    }

    /// Sub-block j's levels (−4…3, natural order) as the search left them: refined in lanes, or else from the first
    /// rounding. ggml keeps them where a sub-block's final scale is 0, which is rare, so they are found here only then.
    static func searchLevels(
        _ x: UnsafePointer<Float>, _ j: Int, state: KQuantLanes.Q3SearchState, refined: UInt32, jobs: UnsafePointer<UInt16>,
        count: Int, refinedL: UnsafePointer<KQuantLanes.V>, _ k: Int
    ) -> (KQuantLanes.V, KQuantLanes.V) {
        typealias V = KQuantLanes.V
        var a = V.zero, b = V.zero
        if refined & (1 &<< UInt32(j)) != 0 {
            let job = (0..<count).first { Int(jobs[$0]) == 16 * k + j }!
            let levels = UnsafeRawPointer(refinedL + 32 * (job / 16)).assumingMemoryBound(to: Float.self)
            for i in 0..<8 {
                a[i] = levels[16 * i + job % 16]
                b[i] = levels[16 * (8 + i) + job % 16]
            }
        } else {
            let iscale = V(repeating: state.iscale[j]), lo = V(repeating: -4), hi = V(repeating: 3)
            let raw = UnsafeRawPointer(x)
            a = KQuantLanes.clamp(KQuantLanes.nearestExact(iscale * raw.loadUnaligned(as: V.self)), lo, hi)
            b = KQuantLanes.clamp(KQuantLanes.nearestExact(iscale * raw.loadUnaligned(fromByteOffset: 32, as: V.self)), lo, hi)
        }
        return (a, b)
    }

    @inline(__always)
    static func encodeBlock(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, L: UnsafeMutablePointer<Int8>,
        sc: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<Float>
    ) {
        var maxScale: Float = 0
        var amax: Float = 0
        for j in 0..<16 {
            scales[j] = KQuantSearch.makeQ3(n: 16, nmax: 4, x: x + 16 * j, L: L + 16 * j)
            let s = abs(scales[j])
            if s > amax {
                amax = s
                maxScale = scales[j]
            }
        }
        for j in 0..<12 { sc[j] = 0 }
        let d: Float
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                let l8 = Int32(Int8(truncatingIfNeeded: GGMLBlockCodec.nearestInt(iscale * scales[j])))
                let l = UInt8(truncatingIfNeeded: Swift.max(-32, Swift.min(31, l8)) + 32)
                if j < 8 {
                    sc[j] = l & 0xf
                } else {
                    sc[j - 8] |= (l & 0xf) << 4
                }
                sc[j % 4 + 8] |= (l >> 4) << UInt8(2 * (j / 4))
            }
            d = storeHalf(1 / iscale, y, 108)
        } else {
            d = storeHalf(0, y, 108)
        }
        for j in 0..<16 {
            let low = j < 8 ? sc[j] & 0xf : sc[j - 8] >> 4
            let s = Int32(low | (((sc[8 + j % 4] >> UInt8(2 * (j / 4))) & 3) << 4)) - 32
            let dl = d * Float(s)
            if dl == 0 { continue }
            for ii in 0..<16 {
                let l = GGMLBlockCodec.nearestInt(x[16 * j + ii] / dl)
                L[16 * j + ii] = Int8(truncatingIfNeeded: Swift.max(-4, Swift.min(3, l)) + 4)
            }
        }
        for m in 0..<32 {
            var h: UInt8 = 0
            for bit in 0..<8 where L[32 * bit + m] > 3 {
                h |= 1 << UInt8(bit)
                L[32 * bit + m] -= 4
            }
            y.storeBytes(of: h, toByteOffset: m, as: UInt8.self)
        }
        for h in 0..<2 {
            let base = 128 * h
            for l in 0..<32 {
                let q = UInt8(bitPattern: L[base + l]) | (UInt8(bitPattern: L[base + l + 32]) << 2)
                    | (UInt8(bitPattern: L[base + l + 64]) << 4) | (UInt8(bitPattern: L[base + l + 96]) << 6)
                y.storeBytes(of: q, toByteOffset: 32 + 32 * h + l, as: UInt8.self)
            }
        }
        for j in 0..<12 { y.storeBytes(of: sc[j], toByteOffset: 96 + j, as: UInt8.self) }
    }

    static func decode(_ y: UnsafeRawPointer, blocks: Int, into x: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let yb = y + blockBytes * b
            var out = x + blockElements * b
            let dAll = loadHalf(yb, 108)
            var s = 0
            for h in 0..<2 {
                let q = yb + 32 + 32 * h
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    let mask = UInt8(1) << UInt8(4 * h + j)
                    for k in 0..<2 {
                        let low = s < 8 ? yb.load(fromByteOffset: 96 + s, as: UInt8.self) & 0xf
                            : yb.load(fromByteOffset: 96 + s - 8, as: UInt8.self) >> 4
                        let high = (yb.load(fromByteOffset: 96 + 8 + s % 4, as: UInt8.self) >> UInt8(2 * (s / 4))) & 3
                        s += 1
                        let dl = dAll * Float(Int32(low | (high << 4)) - 32)
                        for l in 0..<16 {
                            let v = Int32((q.load(fromByteOffset: 16 * k + l, as: UInt8.self) >> shift) & 3)
                            let hm = yb.load(fromByteOffset: 16 * k + l, as: UInt8.self) & mask
                            out[l] = dl * Float(v - (hm != 0 ? 0 : 4))
                        }
                        out += 16
                    }
                }
            }
        }
    }
}
