/// Measures what a spec does to a tensor: streams the weights once (twice when histograms are asked
/// for), quantising whole units in cache-sized chunks on all cores, and sums the error in Double.
public enum Quantizer {
    /// Chunks handed to a quantiser hold about this many weights (a multiple of its unit).
    static let chunkTarget = 1 << 15

    /// Quantises the tensor in `view` with `spec` and measures the result.
    /// - Parameters:
    ///   - stats: the tensor's statistics if already known (saves a pass for per-tensor scales).
    ///   - histogramBins: also build histograms of the dequantised weights and of the error.
    public static func evaluate(_ view: WeightView, spec: QuantSpec, stats: TensorStats? = nil, histogramBins: Int? = nil,
                                threads: Int = Parallel.coreCount, cancellation: Cancellation? = nil) throws -> QuantResult {
        let tensor = view.tensor
        if case .keep = spec.family {
            var error = ErrorStats()
            error.count = stats?.count ?? tensor.elementCount
            error.nonFiniteCount = stats.map { $0.nanCount + $0.infCount } ?? 0
            return QuantResult(spec: spec, elementCount: tensor.elementCount, storedBytes: tensor.byteCount, error: error)
        }
        let tensorStats = stats ?? StatsComputer.compute(view, bins: 1, threads: threads)
        let quantizer = try make(spec, for: view, stats: tensorStats)
        let checkNonFinite = tensorStats.nanCount + tensorStats.infCount > 0
        let unit = lcm(quantizer.unitLength, tensor.dtype.blockSize)
        let chunk = max(unit * quantizer.minimumUnitsPerChunk, chunkTarget / unit * unit)
        // Per-tensor schemes use a chunking unit that need not divide the tensor: the last unit may be partial.
        let units = (tensor.elementCount + unit - 1) / max(unit, 1)
        let parts = tensor.elementCount < 1 << 16 ? 1 : min(threads, max(1, units))
        let perPart = (units + parts - 1) / max(parts, 1)
        let ranges: [Range<Int>] = (0..<parts).compactMap { p in
            let start = p * perPart * unit, end = min(tensor.elementCount, (p + 1) * perPart * unit)
            return start < end ? start..<end : nil
        }
        let partials = try Parallel.map(ranges.count, threads: parts) { p -> (ErrorSums, Int) in
            var sums = ErrorSums(), nonFinite = 0
            try forEachChunk(view, range: ranges[p], chunk: chunk, cancellation: cancellation) { source, n, start, input, output in
                let bad = checkNonFinite ? countNonFinite(source, n) : 0
                if bad == 0 {
                    quantizer.measure(source, count: n, start: start, into: &sums, scratch: output)
                } else {
                    let kept = quantizeFinite(quantizer, source, n, start: start, input: input, output: output)
                    sums.add(input, output, count: kept)
                    nonFinite += bad
                }
            }
            return (sums, nonFinite)
        }
        var sums = ErrorSums(), nonFinite = 0
        for (part, bad) in partials { sums.merge(part); nonFinite += bad }
        var error = sums.finish(sumSquaredSignal: tensorStats.sumOfSquares)
        error.nonFiniteCount = nonFinite
        var result = QuantResult(spec: spec, elementCount: tensor.elementCount, storedBytes: quantizer.storedBytes, error: error)
        if let bins = histogramBins {
            let lower = Float(tensorStats.min), upper = Float(tensorStats.max)
            let valueLayout = StatsComputer.BinLayout(lower: lower, upper: upper, bins: bins)
            let errorLayout = StatsComputer.BinLayout(lower: Float(-error.maxAbsError), upper: Float(error.maxAbsError), bins: bins)
            let histograms = try Parallel.map(ranges.count, threads: parts) { p -> ([Int], [Int]) in
                var values = [Int](repeating: 0, count: bins), errors = [Int](repeating: 0, count: bins)
                try withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { difference in
                    try run(quantizer, view: view, range: ranges[p], chunk: chunk, checkNonFinite: checkNonFinite, cancellation: cancellation) { x, y, n, _ in
                        StatsComputer.binAll(UnsafeBufferPointer(start: y, count: n), layout: valueLayout, into: &values)
                        for i in 0..<n { difference[i] = y[i] - x[i] }
                        StatsComputer.binAll(UnsafeBufferPointer(start: difference.baseAddress!, count: n), layout: errorLayout, into: &errors)
                    } nonFinite: { _ in }
                }
                return (values, errors)
            }
            var values = [Int](repeating: 0, count: bins), errors = values
            for (v, e) in histograms {
                for b in 0..<bins { values[b] += v[b]; errors[b] += e[b] }
            }
            result.dequantizedHistogram = Histogram(lower: Double(lower), upper: Double(upper), counts: values)
            result.errorHistogram = Histogram(lower: -error.maxAbsError, upper: error.maxAbsError, counts: errors)
        }
        return result
    }

    /// Runs the quantiser over `range` chunk by chunk, calling `body` with the finite inputs, their
    /// dequantised values and the count. Non-finite inputs are quantised as 0 and left out of `body`.
    static func run(_ quantizer: any TensorQuantizer, view: WeightView, range: Range<Int>, chunk: Int, checkNonFinite: Bool, cancellation: Cancellation?,
                    _ body: (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int) -> Void, nonFinite: (Int) -> Void) throws {
        try forEachChunk(view, range: range, chunk: chunk, cancellation: cancellation) { source, n, start, input, output in
            let bad = checkNonFinite ? countNonFinite(source, n) : 0
            if bad == 0 {
                quantizer.fakeQuantize(source, count: n, start: start, into: output)
                body(source, output, n, start)
            } else {
                let kept = quantizeFinite(quantizer, source, n, start: start, input: input, output: output)
                nonFinite(bad)
                body(input, output, kept, start)
            }
        }
    }

    /// Visits `range` in chunks of at most `chunk` weights as f32: `body` gets the weights (read in place
    /// when the tensor is stored as f32, else decoded into `input`), their count and first index, and two
    /// scratch buffers of `chunk` floats (`input`, `output`).
    static func forEachChunk(_ view: WeightView, range: Range<Int>, chunk: Int, cancellation: Cancellation?,
                             _ body: (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) throws {
        try withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk * 2) { scratch in
            let input = scratch.baseAddress!, output = scratch.baseAddress! + chunk
            var start = range.lowerBound
            while start < range.upperBound {
                if let cancellation, cancellation.isCancelled { throw CancelledError() }
                let n = min(chunk, range.upperBound - start)
                let source: UnsafePointer<Float>
                if let direct = view.directFloats {
                    source = direct.baseAddress! + start
                } else {
                    view.read(from: start, count: n, into: input)
                    source = UnsafePointer(input)
                }
                try body(source, n, start, input, output)
                start += n
            }
        }
    }

    /// Quantises `n` weights of which some are not finite: those are quantised as 0, then the finite
    /// inputs and their dequantised values are compacted to the front of `input` and `output`.
    /// Returns how many are finite.
    static func quantizeFinite(_ quantizer: any TensorQuantizer, _ source: UnsafePointer<Float>, _ n: Int, start: Int,
                               input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) -> Int {
        if source != UnsafePointer(input) { input.update(from: source, count: n) }
        var flags = [Bool](repeating: true, count: n)
        for i in 0..<n where !input[i].isFinite { input[i] = 0; flags[i] = false }
        quantizer.fakeQuantize(input, count: n, start: start, into: output)
        var kept = 0
        for i in 0..<n where flags[i] {
            input[kept] = input[i]; output[kept] = output[i]; kept += 1
        }
        return kept
    }

    static func countNonFinite(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        let raw = UnsafeRawPointer(x)
        var bad = SIMD16<UInt32>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            let bits = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self)
            bad &+= ((bits & 0x7F80_0000) &+ 0x0080_0000) &>> 31
            i += 16
        }
        var total = Int(bad.wrappedSum())
        while i < n { if !x[i].isFinite { total += 1 }; i += 1 }
        return total
    }

    /// The quantiser for `spec` bound to the tensor in `view`; fails when the spec cannot apply to its shape.
    static func make(_ spec: QuantSpec, for view: WeightView, stats: TensorStats?) throws -> any TensorEncoder {
        let tensor = view.tensor
        var needsValues = false
        if case let .integer(p) = spec.family, p.granularity == .tensor, p.range != .minMax { needsValues = true }
        let known = stats ?? StatsComputer.compute(view, bins: 1)
        let values: [Float]? = needsValues ? view.toArray().filter(\.isFinite) : nil
        let context = TensorContext(tensor: tensor, absMax: known.count == 0 ? 0 : Float(known.maxAbs),
                                    min: known.count == 0 ? 0 : Float(known.min), max: known.count == 0 ? 0 : Float(known.max), values: values)
        return try make(spec, context: context)
    }

    static func make(_ spec: QuantSpec, context: TensorContext) throws -> any TensorEncoder {
        switch spec.family {
        case .keep:
            preconditionFailure("keep needs no quantiser")
        case let .float(storage):
            return FloatStorageQuantizer(storage: storage, elementCount: context.tensor.elementCount)
        case let .integer(parameters):
            return try IntegerQuantizer(parameters: parameters, context: context, spec: spec)
        case let .gguf(type):
            return try GGUFBlockQuantizer(type: type, context: context, spec: spec)
        case .nf4, .fp8, .mxfp4, .nvfp4:
            return try FloatFormatQuantizers.make(spec, context: context)
        }
    }

    static func lcm(_ a: Int, _ b: Int) -> Int {
        func gcd(_ x: Int, _ y: Int) -> Int { y == 0 ? x : gcd(y, x % y) }
        return a / gcd(a, b) * b
    }
}
