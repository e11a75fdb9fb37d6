/// The running sums of a quantisation error pass, kept in eight Float lanes (two SSE registers each) so a
/// fused quantise-and-measure loop can hold them in registers, and flushed to Double every `flushInterval`
/// weights so rounding stays bounded.
///
/// Only what cannot be known in advance is summed per weight: Σ(ŵ − w)², Σŵ² and max (ŵ − w)². Σw² comes from
/// the tensor's statistics and Σw·ŵ follows from (Σw² + Σŵ² − Σ(ŵ − w)²) / 2, so each weight costs two
/// multiply-adds and a max instead of four and a max. The largest error is tracked as its square, which is
/// already computed: √ of the Float square, rounded back to Float, is |ŵ − w| (the square's relative rounding,
/// at most 2⁻²⁴, moves the root by at most half of |ŵ − w|'s last place) unless the square underflows (|ŵ − w|
/// below about 1e-19) or overflows (above about 1.8e19), where the Float sums of squares are lost as well.
struct ErrorSums {
    typealias Lanes = SIMD8<Float>

    /// Weights added to the lanes since the last flush are at most this many.
    static let flushInterval = 1024

    var squaredError = Lanes(repeating: 0)
    var squaredDequantized = Lanes(repeating: 0)
    var maxSquaredError = Lanes(repeating: 0)
    /// Weights in the lanes, not yet flushed.
    var pending = 0

    private(set) var count = 0
    private(set) var totalSquaredError = 0.0
    private(set) var totalSquaredDequantized = 0.0

    /// Adds one vector of weights `w` and their dequantised values `q`.
    @inline(__always)
    mutating func add(_ w: Lanes, _ q: Lanes) {
        let e = q - w
        let e2 = e * e
        squaredError += e2
        squaredDequantized += q * q
        maxSquaredError = maxSquaredError.replacing(with: e2, where: e2 .> maxSquaredError)
    }

    /// Takes back lanes that a kernel copied out to keep in registers (a loop with no call in it), after it
    /// added `count` more weights to them; flushes if due.
    @inline(__always)
    mutating func update(squaredError: Lanes, squaredDequantized: Lanes, maxSquaredError: Lanes, adding count: Int) {
        self.squaredError = squaredError
        self.squaredDequantized = squaredDequantized
        self.maxSquaredError = maxSquaredError
        pending &+= count
        flushIfFull()
    }

    /// How many more weights a fused loop may add before the next flush is due, in whole vectors of eight (at
    /// least one: sums that arrive holding a partial vector can already be past the interval). Every kernel cuts
    /// its work at these points, so that the sums come out the same whichever kernel computed them.
    @inline(__always)
    var roomBeforeFlush: Int { Swift.max(8, (Self.flushInterval &- pending &+ 7) & ~7) }

    /// Writes the three lane vectors (Σ(ŵ − w)², Σŵ², max (ŵ − w)²) to 24 floats, for a kernel outside this
    /// module (`QuantKernelsAVX2`) that takes them in memory.
    @inline(__always)
    func storeLanes(to lanes: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(lanes)
        raw.storeBytes(of: squaredError, as: Lanes.self)
        raw.storeBytes(of: squaredDequantized, toByteOffset: 32, as: Lanes.self)
        raw.storeBytes(of: maxSquaredError, toByteOffset: 64, as: Lanes.self)
    }

    /// Takes back lanes written by `storeLanes` (the caller accounts for the weights the kernel added).
    @inline(__always)
    mutating func loadLanes(from lanes: UnsafePointer<Float>) {
        let raw = UnsafeRawPointer(lanes)
        squaredError = raw.loadUnaligned(as: Lanes.self)
        squaredDequantized = raw.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
        maxSquaredError = raw.loadUnaligned(fromByteOffset: 64, as: Lanes.self)
    }

    /// Takes back lanes written by `storeLanes` after a kernel added `count` more weights to them; flushes if due.
    @inline(__always)
    mutating func updateLanes(from lanes: UnsafePointer<Float>, adding count: Int) {
        loadLanes(from: lanes)
        pending &+= count
        flushIfFull()
    }

    /// Moves the lane sums into the Double totals once `pending` reaches the flush interval.
    @inline(__always)
    mutating func flushIfFull() {
        if pending >= Self.flushInterval { flush() }
    }

    @inline(__always)
    mutating func flush() {
        totalSquaredError += Double(squaredError.horizontalSum)
        totalSquaredDequantized += Double(squaredDequantized.horizontalSum)
        squaredError = Lanes(repeating: 0)
        squaredDequantized = Lanes(repeating: 0)
        count += pending
        pending = 0
    }

    /// Adds `n` pairs of finite weights and dequantised values from memory (the path of quantisers
    /// without a fused kernel, and of tails shorter than a vector).
    mutating func add(_ w: UnsafePointer<Float>, _ q: UnsafePointer<Float>, count n: Int) {
        let wr = UnsafeRawPointer(w), qr = UnsafeRawPointer(q)
        var i = 0
        while i + 8 <= n {
            add(wr.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self), qr.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self))
            pending += 8
            i += 8
            flushIfFull()
        }
        if i < n {
            var a = Lanes(repeating: 0), b = Lanes(repeating: 0)
            for k in 0..<(n - i) { a[k] = w[i + k]; b[k] = q[i + k] }
            add(a, b)
            pending += n - i
        }
    }

    /// The finished statistics, given Σw² over the same weights (from the tensor's statistics).
    mutating func finish(sumSquaredSignal: Double) -> ErrorStats {
        flush()
        var stats = ErrorStats()
        stats.count = count
        stats.sumSquaredError = totalSquaredError
        stats.sumSquaredDequantized = totalSquaredDequantized
        stats.sumSquaredSignal = sumSquaredSignal
        stats.sumProduct = (sumSquaredSignal + totalSquaredDequantized - totalSquaredError) / 2
        stats.maxAbsError = Double(Float(Double(maxSquaredError.horizontalMax).squareRoot()))
        return stats
    }

    mutating func merge(_ other: ErrorSums) {
        var other = other
        other.flush()
        flush()
        count += other.count
        totalSquaredError += other.totalSquaredError
        totalSquaredDequantized += other.totalSquaredDequantized
        maxSquaredError = maxSquaredError.replacing(with: other.maxSquaredError, where: other.maxSquaredError .> maxSquaredError)
    }
}
