/// Statistics of a tensor stored as one 8- or 16-bit code per weight (f16, bf16, fp8, small integers), from a count
/// of each code: one pass over the stored bytes with a table increment per weight and no conversion to f32.
/// Everything else follows exactly from the at most 65 536 distinct values and their counts.
enum CodeHistogram {
    /// Tensors with 16-bit codes smaller than this are decoded instead: clearing and reading a table of 65 536
    /// counters costs about as much as converting that many weights.
    static let minimumCount16 = 1 << 17

    /// The code width in bits when `dtype` is stored as one plain 8- or 16-bit element per weight.
    static func codeBits(of dtype: DType) -> Int? {
        switch dtype.elementBytes {
        case 1: 8
        case 2: 16
        default: nil // wider types, and block or sub-byte types (element size 0)
        }
    }

    /// Whether `view` is worth counting by code.
    static func applies(to view: WeightView) -> Bool {
        guard let bits = codeBits(of: view.tensor.dtype) else { return false }
        return bits == 8 || view.count >= minimumCount16
    }

    /// Counts of each code over the whole tensor, then the summary and histogram of the values they stand for.
    static func summarise(_ view: WeightView, bins: Int, threads: Int) -> (ValueSummary, [Int]) {
        let bits = codeBits(of: view.tensor.dtype)!
        let codes = 1 << bits
        // 8-bit codes repeat often: spread consecutive weights over four tables so equal codes do not serialise.
        let lane = bits == 8 ? codes : 0
        let pieces = StatsComputer.pieces(of: view)
        let tables = PieceQueue.run(pieces.count, threads: threads, start: { [Int](repeating: 0, count: codes + 3 * lane) }) { table, piece in
            let range = pieces[piece]
            table.withUnsafeMutableBufferPointer { t in
                if bits == 8 {
                    count(UInt8.self, view.bytes.baseAddress! + range.lowerBound, range.count, lane: lane, into: t.baseAddress!)
                } else {
                    count(UInt16.self, view.bytes.baseAddress! + 2 * range.lowerBound, range.count, lane: lane, into: t.baseAddress!)
                }
            }
        }
        var counts = [Int](repeating: 0, count: codes)
        for table in tables {
            for k in 0..<4 where k == 0 || lane > 0 {
                for code in 0..<codes { counts[code] += table[k * lane + code] }
            }
        }
        let values = decodeAll(view.tensor.dtype, bits: bits)
        var summary = ValueSummary()
        var distinct: [(value: Float, count: Int)] = []
        for code in 0..<codes where counts[code] > 0 {
            let v = values[code], n = counts[code]
            if v.isNaN { summary.nan += n; continue }
            if v.isInfinite { summary.inf += n; continue }
            summary.count += n
            if v == 0 { summary.zeros += n }
            summary.min = min(summary.min, v)
            summary.max = max(summary.max, v)
            distinct.append((v, n))
        }
        summary.moments = Moments.of(distinct)
        var histogram = [Int](repeating: 0, count: bins)
        if summary.count > 0 {
            let layout = StatsComputer.BinLayout(lower: summary.min, upper: summary.max, bins: bins)
            for (v, n) in distinct { histogram[layout.bin(v)] += n }
        }
        return (summary, histogram)
    }

    /// Adds one per little-endian code of `count` weights at `source` to `table`, rotating over four tables
    /// `lane` counters apart (0: one table).
    @inline(__always)
    private static func count<Code: FixedWidthInteger & UnsignedInteger>(_: Code.Type, _ source: UnsafeRawPointer, _ count: Int, lane: Int, into table: UnsafeMutablePointer<Int>) {
        let size = MemoryLayout<Code>.size
        @inline(__always) func code(_ i: Int) -> Int { Int(Code(littleEndian: source.loadUnaligned(fromByteOffset: i * size, as: Code.self))) }
        var i = 0
        while i + 4 <= count {
            table[code(i)] &+= 1
            table[lane &+ code(i + 1)] &+= 1
            table[2 &* lane &+ code(i + 2)] &+= 1
            table[3 &* lane &+ code(i + 3)] &+= 1
            i += 4
        }
        while i < count { table[code(i)] &+= 1; i += 1 }
    }

    /// The f32 value of every code, decoded as stored weights are.
    private static func decodeAll(_ dtype: DType, bits: Int) -> [Float] {
        let codes = 1 << bits
        return [Float](unsafeUninitializedCapacity: codes) { values, initialized in
            if bits == 8 {
                let all = (0..<codes).map { UInt8($0) }
                all.withUnsafeBytes { ElementDecoder.decode(dtype, from: $0.baseAddress!, count: codes, into: values.baseAddress!) }
            } else {
                let all = (0..<codes).map { UInt16($0).littleEndian }
                all.withUnsafeBytes { ElementDecoder.decode(dtype, from: $0.baseAddress!, count: codes, into: values.baseAddress!) }
            }
            initialized = codes
        }
    }
}
