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

    /// Adds `count` pairs of weights `w` and dequantised values `q`, all finite.
    mutating func accumulate(_ w: UnsafePointer<Float>, _ q: UnsafePointer<Float>, count n: Int) {
        let wr = UnsafeRawPointer(w), qr = UnsafeRawPointer(q)
        var i = 0
        var maxError = SIMD16<Float>(repeating: 0)
        while i + 16 <= n {
            let blockEnd = Swift.min(n, i + 1024) & ~15
            var ee = SIMD16<Float>(repeating: 0), ww = ee, qq = ee, wq = ee
            while i + 16 <= blockEnd {
                let a = wr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                let b = qr.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                let e = b - a
                ee += e * e; ww += a * a; qq += b * b; wq += a * b
                let magnitude = unsafeBitCast(unsafeBitCast(e, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
                maxError = maxError.replacing(with: magnitude, where: magnitude .> maxError)
                i += 16
            }
            sumSquaredError += Double(ee.sum()); sumSquaredSignal += Double(ww.sum())
            sumSquaredDequantized += Double(qq.sum()); sumProduct += Double(wq.sum())
        }
        var tailMax = Double(maxError.max())
        while i < n {
            let a = Double(w[i]), b = Double(q[i]), e = b - a
            sumSquaredError += e * e; sumSquaredSignal += a * a; sumSquaredDequantized += b * b; sumProduct += a * b
            tailMax = Swift.max(tailMax, abs(e))
            i += 1
        }
        maxAbsError = Swift.max(maxAbsError, tailMax)
        count += n
    }
}
