extension StatsComputer {
    /// Maps a value to one of `bins` equal bins over [lower, upper]: values below (and NaN) go to the first bin,
    /// values above to the last. `BinCounter` reproduces this exactly, many values at a time.
    struct BinLayout {
        let lower: Float
        let upper: Float
        let scale: Float
        let last: Int

        init(lower: Float, upper: Float, bins: Int) {
            self.lower = lower
            self.upper = upper
            let width = Double(upper) - Double(lower)
            scale = width > 0 ? Float(Double(bins) / width) : 0
            last = bins - 1
        }

        var bins: Int { last + 1 }

        @inline(__always) func bin(_ x: Float) -> Int {
            let position = (x - lower) * scale
            guard position > 0 else { return 0 }
            return position < Float(last) ? Int(position) : last
        }
    }
}
