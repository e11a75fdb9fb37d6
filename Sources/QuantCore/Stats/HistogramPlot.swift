import Foundation

/// Draws a histogram as text: vertical bars in eighth-of-a-cell steps (▁▂▃▄▅▆▇█) with an axis.
public struct HistogramPlot {
    public var histogram: Histogram
    /// Columns for the bars; bins are merged or stretched to fit.
    public var width: Int
    /// Rows for the bars.
    public var height: Int
    /// Use a log scale for counts, which shows the tails of peaked weight distributions.
    public var logarithmic: Bool
    /// Draw with ASCII (`#`, `.`) only.
    public var ascii: Bool

    public init(histogram: Histogram, width: Int = 64, height: Int = 12, logarithmic: Bool = false, ascii: Bool = false) {
        self.histogram = histogram
        self.width = max(1, width)
        self.height = max(1, height)
        self.logarithmic = logarithmic
        self.ascii = ascii
    }

    static let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The count in each of `width` columns (bins resampled to the column grid).
    public func columnCounts() -> [Double] {
        let bins = histogram.counts
        guard !bins.isEmpty else { return [Double](repeating: 0, count: width) }
        var columns = [Double](repeating: 0, count: width)
        for (b, count) in bins.enumerated() where count > 0 {
            // Spread each bin over the columns it covers, in proportion to the overlap.
            let start = Double(b) * Double(width) / Double(bins.count)
            let end = Double(b + 1) * Double(width) / Double(bins.count)
            var c = Int(start)
            while Double(c) < end && c < width {
                let overlap = min(end, Double(c + 1)) - max(start, Double(c))
                columns[c] += Double(count) * overlap / (end - start)
                c += 1
            }
        }
        return columns
    }

    /// Bar heights in eighths of a cell, one per column.
    public func barHeights() -> [Int] {
        let columns = columnCounts()
        let scaled = columns.map { logarithmic ? (($0 > 0) ? log10(1 + $0) : 0) : $0 }
        guard let peak = scaled.max(), peak > 0 else { return [Int](repeating: 0, count: width) }
        return scaled.map { value in
            guard value > 0 else { return 0 }
            return max(1, Int((value / peak * Double(height * 8)).rounded()))
        }
    }

    /// The bar rows, top first.
    public func rows() -> [String] {
        let heights = barHeights()
        return (0..<height).map { row in
            let floor = (height - 1 - row) * 8
            return String(heights.map { h -> Character in
                let fill = min(8, max(0, h - floor))
                if ascii { return fill >= 4 ? "#" : (fill > 0 ? "." : " ") }
                return Self.eighths[fill]
            })
        }
    }

    /// Bars, an axis, and the range labels under it.
    public func render() -> [String] {
        var lines = rows()
        lines.append(String(repeating: ascii ? "-" : "─", count: width))
        let left = formatValue(histogram.lower), right = formatValue(histogram.upper)
        let gap = max(1, width - left.count - right.count)
        lines.append(left + String(repeating: " ", count: gap) + right)
        return lines
    }

    private func formatValue(_ value: Double) -> String { NumberFormat.compact(value) }
}
