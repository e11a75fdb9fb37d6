/// Counts of values in equal-width bins over `[lower, upper]`; the last bin includes `upper`.
public struct Histogram: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public var counts: [Int]

    public init(lower: Double, upper: Double, counts: [Int]) {
        self.lower = lower
        self.upper = upper
        self.counts = counts
    }

    public var binCount: Int { counts.count }
    public var binWidth: Double { binCount == 0 ? 0 : (upper - lower) / Double(binCount) }
    public var total: Int { counts.reduce(0, +) }

    /// The bin a value falls in, or nil outside the range.
    public func bin(of value: Double) -> Int? {
        guard value >= lower, value <= upper, binCount > 0 else { return nil }
        guard upper > lower else { return 0 }
        return min(binCount - 1, Int((value - lower) / binWidth))
    }

    /// The range of values bin `index` covers.
    public func range(ofBin index: Int) -> ClosedRange<Double> {
        (lower + Double(index) * binWidth)...(lower + Double(index + 1) * binWidth)
    }
}
