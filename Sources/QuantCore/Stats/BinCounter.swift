/// Counts values into the bins of a `BinLayout`, each value exactly where `BinLayout.bin` puts it.
///
/// Binning is scatter-bound, so it runs in two steps per batch of values:
/// 1. Bin positions are computed eight at a time with float operations only, since vector float-to-int conversions
///    are slow on the baseline x86-64 target: an exact floor by adding 2^23 (which rounds to the nearest integer
///    and leaves it in the low mantissa bits), minus one where that rounded up. They go to a small buffer as codes.
/// 2. A scalar loop adds one per code, rotating over several tables so that runs of equal codes do not serialise
///    on one counter. With at most 64 bins a code stands for a *pair* of values (one position shifted left, plus
///    the other), which halves the increments; pairs are split when the tables are read.
///
/// When every value is known to lie in [lower, upper] the clamping to the bin range is skipped: positions then
/// reach at most `bins` (rounding at the upper edge), which the tables leave room for and fold into the last bin.
struct BinCounter {
    typealias Layout = StatsComputer.BinLayout

    let layout: Layout
    /// Whether codes are pairs of positions; worthwhile for many values, as the tables hold bins² counters.
    let paired: Bool
    /// Whether positions are clamped to the bin range (else every value is finite and within it).
    private let clamped: Bool
    /// Bits of one position in a pair code.
    private let shift: Int
    /// Counters per table, and the number of tables.
    private let stride: Int, tableCount: Int
    private var tables: [UInt32]
    private var counts: [Int]
    /// Codes added to `tables` since they were last moved into `counts`.
    private var pending = 0

    /// Values per batch: small enough that reading the next batch from memory overlaps the counting of this one.
    static let batch = 256

    /// Whether `bins` is small enough for pair codes.
    static func canPair(bins: Int) -> Bool { bins <= 64 }

    /// A counter for `layout`; `inRange` promises that every value added is finite and within [lower, upper].
    init(layout: Layout, paired: Bool, inRange: Bool = false) {
        self.layout = layout
        let bins = layout.bins
        // Positions stay below bins + 1 only when the range and the scale are finite.
        clamped = !(inRange && layout.scale.isFinite && (layout.upper - layout.lower).isFinite)
        let positions = clamped ? bins : bins + 1
        self.paired = paired && bins > 1 && Self.canPair(bins: bins)
        shift = Int.bitWidth - (positions - 1).leadingZeroBitCount
        tableCount = self.paired ? 2 : 4
        // Codes keep 16 bits; more bins than that are counted one value at a time.
        stride = self.paired ? positions << shift : (positions <= 1 << 16 ? positions : 0)
        tables = [UInt32](repeating: 0, count: tableCount * stride)
        counts = [Int](repeating: 0, count: bins)
    }

    /// The counts of all values added so far.
    var histogram: [Int] {
        var result = counts
        addTableCounts(to: &result)
        return result
    }

    mutating func add(_ x: UnsafeBufferPointer<Float>) {
        guard let base = x.baseAddress else { return }
        guard stride > 0 else {
            for v in x { counts[layout.bin(v)] += 1 }
            return
        }
        if pending > Int(UInt32.max) - x.count { flush() }
        let whole = x.count & ~7
        let (paired, clamped, shift, layout) = (paired, clamped, UInt32(shift), layout)
        // Table offsets for four consecutive codes.
        let offsets = tableCount == 4 ? (stride, 2 * stride, 3 * stride) : (stride, 0, stride)
        tables.withUnsafeMutableBufferPointer { tables in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.batch) { codes in
                let codes = codes.baseAddress!
                var start = 0
                while start < whole {
                    let n = Swift.min(Self.batch, whole - start)
                    let raw = UnsafeRawPointer(base + start)
                    let codeCount = switch (paired, clamped) {
                    case (true, true): Self.codes(raw, n, layout, clamped: true, pairShift: shift, into: codes)
                    case (true, false): Self.codes(raw, n, layout, clamped: false, pairShift: shift, into: codes)
                    case (false, true): Self.codes(raw, n, layout, clamped: true, pairShift: nil, into: codes)
                    case (false, false): Self.codes(raw, n, layout, clamped: false, pairShift: nil, into: codes)
                    }
                    Self.count(codes, codeCount, offsets: offsets, into: tables.baseAddress!)
                    start += n
                }
            }
        }
        pending += whole
        for v in x[whole...] { counts[layout.bin(v)] += 1 }
    }

    /// Moves the table counts into `counts`, before they could overflow.
    private mutating func flush() {
        addTableCounts(to: &counts)
        for i in tables.indices { tables[i] = 0 }
        pending = 0
    }

    /// Adds the table counts to `result`, splitting pair codes and folding position `bins` into the last bin.
    private func addTableCounts(to result: inout [Int]) {
        guard pending > 0 else { return }
        let mask = (1 << shift) - 1, last = layout.last
        for code in 0..<stride {
            var n = 0
            for t in 0..<tableCount { n += Int(tables[t * stride + code]) }
            guard n > 0 else { continue }
            if paired {
                result[Swift.min(code >> shift, last)] += n
                result[Swift.min(code & mask, last)] += n
            } else {
                result[Swift.min(code, last)] += n
            }
        }
    }

    /// Codes for `count` values (a multiple of 8) at `x`, returning how many: one per value with its position in
    /// the low 16 bits, or with `pairShift` one per two values (value k and k + 4 of each eight) holding
    /// `position << pairShift + position`.
    @inline(__always)
    private static func codes(_ x: UnsafeRawPointer, _ count: Int, _ layout: Layout, clamped: Bool, pairShift: UInt32?,
                              into codes: UnsafeMutablePointer<UInt32>) -> Int {
        let lower = SIMD8<Float>(repeating: layout.lower), scale = SIMD8<Float>(repeating: layout.scale)
        let last = SIMD8<Float>(repeating: Float(layout.last)), zero = SIMD8<Float>(repeating: 0)
        let magic = SIMD8<Float>(repeating: 8_388_608) // 2^23
        let out = UnsafeMutableRawPointer(codes)
        var i = 0
        while i < count {
            var p = (x.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - lower) * scale
            if clamped {
                p = p.replacing(with: last, where: p .> last)
                p = zero.replacing(with: p, where: p .> zero) // below the range, or NaN: 0
            }
            let rounded = p + magic // the nearest integer, exact in the low mantissa bits for 0 ≤ p < 2^22
            let borrow = zero.replacing(with: SIMD8(repeating: Float(bitPattern: ~0)), where: rounded - magic .> p) // −1
            let bits = unsafeBitCast(rounded, to: SIMD8<UInt32>.self) &+ unsafeBitCast(borrow, to: SIMD8<UInt32>.self)
            if let shift = pairShift {
                out.storeBytes(of: (bits.lowHalf &<< shift) &+ bits.highHalf, toByteOffset: i * 2, as: SIMD4<UInt32>.self)
            } else {
                out.storeBytes(of: bits, toByteOffset: i * 4, as: SIMD8<UInt32>.self)
            }
            i += 8
        }
        return pairShift == nil ? count : count / 2
    }

    /// Adds one per code (a multiple of 4 of them) to the counter its low 16 bits name, four codes going to tables
    /// at offsets 0, `offsets.0`, `offsets.1` and `offsets.2`.
    @inline(__always)
    private static func count(_ codes: UnsafePointer<UInt32>, _ count: Int, offsets: (Int, Int, Int), into tables: UnsafeMutablePointer<UInt32>) {
        let (t1, t2, t3) = (tables + offsets.0, tables + offsets.1, tables + offsets.2)
        var i = 0
        while i < count {
            tables[Int(codes[i] & 0xFFFF)] &+= 1
            t1[Int(codes[i + 1] & 0xFFFF)] &+= 1
            t2[Int(codes[i + 2] & 0xFFFF)] &+= 1
            t3[Int(codes[i + 3] & 0xFFFF)] &+= 1
            i += 4
        }
    }
}

extension StatsComputer {
    /// Adds the bin counts of `x` under `layout` to `histogram` (which has `layout.bins` entries).
    static func binAll(_ x: UnsafeBufferPointer<Float>, layout: BinLayout, into histogram: inout [Int]) {
        // Pair tables take bins² counters to clear and read: only worth it for many values.
        var counter = BinCounter(layout: layout, paired: x.count >= 64 * layout.bins * layout.bins)
        counter.add(x)
        for (b, n) in counter.histogram.enumerated() { histogram[b] += n }
    }
}
