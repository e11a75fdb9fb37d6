/// Summary statistics of one tensor's weights. Non-finite values (NaN, ±Inf) are counted and left out of
/// everything else; all sums are accumulated in Double.
public struct TensorStats: Sendable, Equatable {
    /// Number of finite values.
    public var count: Int
    public var nanCount: Int
    public var infCount: Int
    /// Number of values that are exactly ±0.
    public var zeroCount: Int
    public var min: Double
    public var max: Double
    public var mean: Double
    /// Population standard deviation.
    public var std: Double
    public var maxAbs: Double
    /// Excess kurtosis (Fisher: 0 for a normal distribution, 3 for Laplace); large values mean outliers.
    public var kurtosis: Double
    /// Bins over `[min, max]` of the finite values.
    public var histogram: Histogram

    /// Σw² over the finite values, from the mean and the standard deviation.
    public var sumOfSquares: Double { count == 0 ? 0 : Double(count) * (std * std + mean * mean) }

    /// The share of values that are exactly zero, among the finite ones.
    public var zeroFraction: Double { count == 0 ? 0 : Double(zeroCount) / Double(count) }
}
