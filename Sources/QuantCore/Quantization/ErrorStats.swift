import Foundation

/// What quantisation did to a tensor's weights, from sums accumulated in Double over every finite weight.
public struct ErrorStats: Sendable, Equatable {
    /// Finite weights compared.
    public var count = 0
    /// Non-finite inputs (NaN, ±Inf): left out of every sum.
    public var nonFiniteCount = 0
    /// Σ(ŵ − w)²
    public var sumSquaredError = 0.0
    /// Σw²
    public var sumSquaredSignal = 0.0
    /// Σŵ²
    public var sumSquaredDequantized = 0.0
    /// Σw·ŵ
    public var sumProduct = 0.0
    /// max |ŵ − w|
    public var maxAbsError = 0.0

    public init() {}

    public var mse: Double { count == 0 ? 0 : sumSquaredError / Double(count) }
    public var rmse: Double { mse.squareRoot() }
    /// Signal-to-quantisation-noise ratio in dB: 10·log10(Σw² / Σ(ŵ − w)²); +∞ when exact.
    public var sqnr: Double {
        if sumSquaredError == 0 { return .infinity }
        if sumSquaredSignal == 0 { return -.infinity }
        return 10 * log10(sumSquaredSignal / sumSquaredError)
    }
    /// Cosine similarity of the weight and dequantised vectors (1 when both are zero).
    public var cosine: Double {
        let denominator = (sumSquaredSignal * sumSquaredDequantized).squareRoot()
        if denominator == 0 { return sumSquaredSignal == sumSquaredDequantized ? 1 : 0 }
        return sumProduct / denominator
    }
    /// ‖ŵ − w‖ / ‖w‖.
    public var relativeError: Double {
        sumSquaredSignal == 0 ? (sumSquaredError == 0 ? 0 : .infinity) : (sumSquaredError / sumSquaredSignal).squareRoot()
    }

    public mutating func merge(_ other: ErrorStats) {
        count += other.count
        nonFiniteCount += other.nonFiniteCount
        sumSquaredError += other.sumSquaredError
        sumSquaredSignal += other.sumSquaredSignal
        sumSquaredDequantized += other.sumSquaredDequantized
        sumProduct += other.sumProduct
        maxAbsError = Swift.max(maxAbsError, other.maxAbsError)
    }
}
