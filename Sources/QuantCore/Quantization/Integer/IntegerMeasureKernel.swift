// The fused measuring kernels of integer quantisation: quantise, dequantise and sum the error in registers,
// never storing the dequantised weights. Each equals `IntegerKernel.roundTrip` followed by `ErrorSums.add`.

extension IntegerKernel {
    /// One unit's quantisation parameters as the fused kernel reads them: the scale, its reciprocal and the
    /// code range shifted by the zero-point (`qmin − z`, `qmax − z`).
    struct UnitParameters {
        var scale: Float
        var inverse: Float
        var lowest: Float
        var highest: Float

        init(scale: Float, inverse: Float, lowest: Float, highest: Float) {
            self.scale = scale
            self.inverse = inverse
            self.lowest = lowest
            self.highest = highest
        }

        init(scale: Float, zero: Float, qmin: Float, qmax: Float) {
            self.scale = scale
            inverse = scale > 0 ? 1 / scale : 0
            lowest = qmin - zero
            highest = qmax - zero
        }
    }

    /// The fused form of `roundTrip` for measuring: the same dequantised values, added straight into `sums`
    /// instead of being stored, for `count` weights sharing one set of parameters (a per-tensor scale).
    /// `clamps: false` skips the clamp where the range guarantees it cannot act (symmetric min-max, f32 scale).
    /// `kernels` picks the build of the loops (the same sums, bit for bit).
    static func measure(_ x: UnsafePointer<Float>, count: Int, parameters p: UnitParameters, clamps: Bool, into sums: inout ErrorSums,
                        kernels: KernelSet = .current) {
        precondition(KernelSet.supported.contains(kernels), "kernels this CPU cannot run")
        let clamps = clamps || !p.inverse.isFinite
        var lo = IntegerUnitLanes.Lanes(), hi = lo
        var i = 0
        while i < count {
            let n = count &- i < ErrorSums.flushInterval ? count &- i : ErrorSums.flushInterval
            // One small function per flush interval: inlined here, the loop ran out of registers and kept
            // three of its sums on the stack.
            measurePiece(x + i, n, p, clamps: clamps, into: &sums, scanning: nil, symmetric: true, lo: &lo, hi: &hi, kernels: kernels)
            i &+= n
        }
    }

    /// Measures `units` consecutive units of `unitLength` weights under min-max parameters, computed
    /// eight units at a time (`IntegerUnitLanes`): each unit's codes are clamped only when its range
    /// shows a clamp could act. Nothing inside is a call, so the error lanes stay in registers.
    static func measureMinMax(_ x: UnsafePointer<Float>, unitLength: Int, units: Int, symmetric: Bool, qmax: Float, f16Scale: Bool,
                              into sums: inout ErrorSums, kernels: KernelSet = .current) {
        precondition(KernelSet.supported.contains(kernels), "kernels this CPU cannot run")
        if unitLength >= longUnit {
            measureLongUnits(x, unitLength: unitLength, units: units, symmetric: symmetric, qmax: qmax, f16Scale: f16Scale, into: &sums,
                             kernels: kernels)
            return
        }
        if batchesGroups(ofLength: unitLength) {
            measureGroupBatches(x, groupLength: unitLength, groups: units, symmetric: symmetric, qmax: qmax, f16Scale: f16Scale, into: &sums,
                                kernels: kernels)
            return
        }
        withUnsafeTemporaryAllocation(of: IntegerUnitLanes.Lanes.self, capacity: 16) { partial in
            // Declared inside the closure: a captured accumulator lives in memory and is stored every iteration.
            var acc = sums
            let highs = partial.baseAddress!, lows = partial.baseAddress! + 8
            var first = 0
            while first < units {
                let inBatch = units &- first < 8 ? units &- first : 8
                // Lanes past the last unit repeat it; their parameters are computed and never used.
                for j in 0..<8 {
                    let unit = x + (first &+ (j < inBatch ? j : inBatch &- 1)) &* unitLength
                    if symmetric {
                        highs[j] = absMaxLanes(unit, unitLength)
                    } else {
                        (lows[j], highs[j]) = minMaxLanes(unit, unitLength)
                    }
                }
                let lanes = symmetric
                    ? IntegerUnitLanes(absMax: TransposedReduction.maxima(highs), qmax: qmax, f16Scale: f16Scale)
                    : IntegerUnitLanes(min: TransposedReduction.minima(lows), max: TransposedReduction.maxima(highs), qmax: qmax, f16Scale: f16Scale)
                // Through memory once per batch: indexing the lanes directly copies all five vectors per unit.
                let table = UnsafeMutableRawPointer(partial.baseAddress!)
                table.storeBytes(of: lanes.scale, toByteOffset: 0, as: IntegerUnitLanes.Lanes.self)
                table.storeBytes(of: lanes.inverse, toByteOffset: 32, as: IntegerUnitLanes.Lanes.self)
                table.storeBytes(of: lanes.lowest, toByteOffset: 64, as: IntegerUnitLanes.Lanes.self)
                table.storeBytes(of: lanes.highest, toByteOffset: 96, as: IntegerUnitLanes.Lanes.self)
                table.storeBytes(of: lanes.clampFree, toByteOffset: 128, as: IntegerUnitLanes.Lanes.self)
                for j in 0..<inBatch {
                    let unit = x + (first &+ j) &* unitLength
                    let scale = table.load(fromByteOffset: j &* 4, as: Float.self), inverse = table.load(fromByteOffset: 32 &+ j &* 4, as: Float.self)
                    let lowest = table.load(fromByteOffset: 64 &+ j &* 4, as: Float.self), highest = table.load(fromByteOffset: 96 &+ j &* 4, as: Float.self)
                    let clamps = table.load(fromByteOffset: 128 &+ j &* 4, as: Float.self) == 0
                    // Shorter than `longUnit`, which is the flush interval: one call covers the unit.
                    measureUnit(unit, unitLength, inverse: inverse, scale: scale, lowest: lowest, highest: highest, clamps: clamps, into: &acc,
                                kernels: kernels)
                    acc.flushIfFull()
                }
                first &+= 8
            }
            sums = acc
        }
    }

    /// Units at least this long (channels) are measured one at a time, each overlapped with reading the next.
    /// Shorter ones are measured whole between flushes, so this may not exceed `ErrorSums.flushInterval`.
    static let longUnit = ErrorSums.flushInterval

    /// Min-max units of at least `longUnit` weights: while a unit's error is measured, piece by piece, the
    /// range of the next unit is gathered piece by piece in between, so the core is not idle waiting on
    /// memory during a separate range pass (only the first unit of a call is read alone).
    static func measureLongUnits(_ x: UnsafePointer<Float>, unitLength: Int, units: Int, symmetric: Bool, qmax: Float, f16Scale: Bool,
                                 into sums: inout ErrorSums, kernels: KernelSet) {
        typealias V = IntegerUnitLanes.Lanes
        let piece = 512
        var acc = sums
        var lo = V(repeating: 0), hi = V(repeating: 0)
        if symmetric { hi = absMaxLanes(x, unitLength) } else { (lo, hi) = minMaxLanes(x, unitLength) }
        for u in 0..<units {
            let lanes = symmetric
                ? IntegerUnitLanes(absMax: V(repeating: hi.horizontalMax), qmax: qmax, f16Scale: f16Scale)
                : IntegerUnitLanes(min: V(repeating: lo.horizontalMin), max: V(repeating: hi.horizontalMax), qmax: qmax, f16Scale: f16Scale)
            let unit = x + u &* unitLength, next = unit + unitLength
            let hasNext = u &+ 1 < units
            let clamps = lanes.clampFree[0] == 0
            let p = UnitParameters(scale: lanes.scale[0], inverse: lanes.inverse[0], lowest: lanes.lowest[0], highest: lanes.highest[0])
            lo = hasNext ? V(repeating: next[0]) : lo
            hi = hasNext ? (symmetric ? V(repeating: 0) : lo) : hi
            var i = 0
            while i < unitLength {
                let n = unitLength &- i < piece ? unitLength &- i : piece
                measurePiece(unit + i, n, p, clamps: clamps, into: &acc, scanning: hasNext ? next + i : nil, symmetric: symmetric, lo: &lo, hi: &hi,
                             kernels: kernels)
                i &+= n
            }
        }
        sums = acc
    }

    /// One piece of `measureLongUnits`: the error of `n` weights, and the range of the `n` weights at `next`.
    /// A function of its own so that it stays small enough for the standard library's loads to inline.
    @inline(never)
    static func measurePiece(_ x: UnsafePointer<Float>, _ n: Int, _ p: UnitParameters, clamps: Bool, into sums: inout ErrorSums,
                             scanning next: UnsafePointer<Float>?, symmetric: Bool, lo: inout IntegerUnitLanes.Lanes, hi: inout IntegerUnitLanes.Lanes,
                             kernels: KernelSet) {
        #if arch(x86_64)
        if kernels == .avx2 {
            measurePieceAVX2(x, n, p, clamps: clamps, into: &sums, scanning: next, symmetric: symmetric, lo: &lo, hi: &hi)
            return
        }
        #endif
        var acc = sums
        measureUnit(x, n, inverse: p.inverse, scale: p.scale, lowest: p.lowest, highest: p.highest, clamps: clamps, into: &acc)
        acc.flushIfFull()
        sums = acc
        guard let next else { return }
        foldRange(of: next, n, symmetric: symmetric, lo: &lo, hi: &hi)
    }

    /// Widens the lane-wise range `lo`, `hi` (largest |w| in `hi` when `symmetric`) by the `n` ≥ 1 weights at `x`.
    @inline(__always)
    static func foldRange(of x: UnsafePointer<Float>, _ n: Int, symmetric: Bool, lo: inout IntegerUnitLanes.Lanes, hi: inout IntegerUnitLanes.Lanes) {
        if symmetric {
            let m = absMaxLanes(x, n)
            hi = hi.replacing(with: m, where: m .> hi)
        } else {
            let (a, b) = minMaxLanes(x, n)
            lo = lo.replacing(with: a, where: a .< lo)
            hi = hi.replacing(with: b, where: b .> hi)
        }
    }

    /// Adds the error of `n` weights quantised with one scale to `acc`; a last partial vector is padded
    /// with zeros whose dequantised values are set to 0, so they add nothing.
    @_transparent
    static func measureUnit(_ x: UnsafePointer<Float>, _ n: Int, inverse: Float, scale: Float, lowest: Float, highest: Float,
                            clamps: Bool, into acc: inout ErrorSums) {
        typealias V = ErrorSums.Lanes
        let raw = UnsafeRawPointer(x)
        let magic = V(repeating: roundingMagic)
        let vInverse = V(repeating: inverse), vScale = V(repeating: scale)
        let vectorLength = n & ~7
        var i = 0
        if clamps {
            let vMin = V(repeating: lowest), vMax = V(repeating: highest)
            @_transparent func dequantized(_ v: V) -> V {
                var q = (v * vInverse + magic) - magic
                q = q.replacing(with: vMin, where: q .< vMin)
                q = q.replacing(with: vMax, where: q .> vMax)
                return q * vScale
            }
            while i < vectorLength {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
                acc.add(v, dequantized(v))
                i &+= 8
            }
            if i < n {
                let v = paddedLanes(x + i, n &- i)
                acc.add(v, withoutPadding(dequantized(v), n &- i))
            }
        } else {
            while i < vectorLength {
                let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
                acc.add(v, ((v * vInverse + magic) - magic) * vScale)
                i &+= 8
            }
            if i < n {
                let v = paddedLanes(x + i, n &- i)
                acc.add(v, withoutPadding(((v * vInverse + magic) - magic) * vScale, n &- i))
            }
        }
        acc.pending &+= n
    }

    /// `measureUnit` in the build `kernels` names (the same sums, bit for bit).
    @inline(__always)
    static func measureUnit(_ x: UnsafePointer<Float>, _ n: Int, inverse: Float, scale: Float, lowest: Float, highest: Float,
                            clamps: Bool, into acc: inout ErrorSums, kernels: KernelSet) {
        #if arch(x86_64)
        if kernels == .avx2 {
            measureUnitAVX2(x, n, inverse: inverse, scale: scale, lowest: lowest, highest: highest, clamps: clamps, into: &acc)
            return
        }
        #endif
        measureUnit(x, n, inverse: inverse, scale: scale, lowest: lowest, highest: highest, clamps: clamps, into: &acc)
    }

    /// `q` with the lanes from `n` on set to 0, so padding adds nothing even when a scale's reciprocal overflows.
    @_transparent
    static func withoutPadding(_ q: ErrorSums.Lanes, _ n: Int) -> ErrorSums.Lanes {
        q.replacing(with: 0, where: ErrorSums.Lanes(0, 1, 2, 3, 4, 5, 6, 7) .>= ErrorSums.Lanes(repeating: Float(n)))
    }

    /// The `n` < 8 values at `x` in the first lanes, zeros after.
    @inline(never)
    static func paddedLanes(_ x: UnsafePointer<Float>, _ n: Int) -> ErrorSums.Lanes {
        var v = ErrorSums.Lanes(repeating: 0)
        for k in 0..<n { v[k] = x[k] }
        return v
    }

    /// The lane-wise largest |x| of `n` values (a last partial vector padded with zeros).
    @_transparent
    static func absMaxLanes(_ x: UnsafePointer<Float>, _ n: Int) -> ErrorSums.Lanes {
        typealias V = ErrorSums.Lanes
        let raw = UnsafeRawPointer(x)
        var m = V(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let a = FloatFormatKernel.magnitude(raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self))
            m = m.replacing(with: a, where: a .> m)
            i &+= 8
        }
        if i < n {
            let a = FloatFormatKernel.magnitude(paddedLanes(x + i, n &- i))
            m = m.replacing(with: a, where: a .> m)
        }
        return m
    }

    /// The lane-wise smallest and largest of `n` values (n ≥ 1); a last partial vector repeats `x[0]`.
    @_transparent
    static func minMaxLanes(_ x: UnsafePointer<Float>, _ n: Int) -> (ErrorSums.Lanes, ErrorSums.Lanes) {
        typealias V = ErrorSums.Lanes
        let raw = UnsafeRawPointer(x)
        var lo = V(repeating: x[0]), hi = lo
        var i = 0
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
            lo = lo.replacing(with: v, where: v .< lo)
            hi = hi.replacing(with: v, where: v .> hi)
            i &+= 8
        }
        if i < n {
            var v = V(repeating: x[0])
            for k in 0..<(n &- i) { v[k] = x[i &+ k] }
            lo = lo.replacing(with: v, where: v .< lo)
            hi = hi.replacing(with: v, where: v .> hi)
        }
        return (lo, hi)
    }
}
