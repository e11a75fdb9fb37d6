import CPrefetch
import Foundation
import QuantCore

/// Timing and reporting helpers for the benchmarks: medians of repeated runs, in-run baselines.
enum Bench {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The median wall time of `runs` calls of `body`, after one warm-up call.
    static func median(runs: Int = 5, _ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = now()
            try body()
            times.append(now() - start)
        }
        return times.sorted()[runs / 2]
    }

    /// Times `baseline` and `measured` alternately, after one warm-up call of each: the median time of each and the
    /// median over the pairs of baseline time ÷ measured time, which a drift of the host's speed between pairs does not
    /// move. A measured call slower than a second is timed once.
    static func pairedMedians(runs: Int = 5, baseline: () -> Void, measured: () -> Void) -> (baseline: Double, measured: Double, ratio: Double) {
        baseline()
        let warm = now()
        measured()
        let pairs = now() - warm > 1 ? 1 : runs
        var baselines: [Double] = [], measurements: [Double] = [], ratios: [Double] = []
        for _ in 0..<pairs {
            var start = now()
            baseline()
            baselines.append(now() - start)
            start = now()
            measured()
            measurements.append(now() - start)
            ratios.append(baselines.last! / measurements.last!)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(baselines), median(measurements), median(ratios))
    }

    /// Peak resident set size of this process in bytes.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    static func line(_ text: String) {
        print(text)
        fflush(nil)
    }

    static func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

    /// A temporary folder removed at exit of the benchmark.
    static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quantscope-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a safetensors file whose single tensor holds `values` converted by `encode`, in chunks.
    static func writeSafetensors(path: String, name: String, dtype: String, shape: [Int], bytesPerElement: Int, fill: (Int, UnsafeMutableRawBufferPointer) -> Void) throws {
        let count = shape.reduce(1, *)
        var header = "{\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[0,\(count * bytesPerElement)]}}"
        while (8 + header.utf8.count) % 64 != 0 { header += " " }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var length = UInt64(header.utf8.count).littleEndian
        try handle.write(contentsOf: Data(bytes: &length, count: 8) + Data(header.utf8))
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * bytesPerElement, alignment: 64)
        defer { buffer.deallocate() }
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n * bytesPerElement])
            fill(start, slice)
            try handle.write(contentsOf: Data(slice))
            start += n
        }
    }
}

/// The in-run baseline: a vectorised sum over the same bytes, on `threads` threads.
enum ReadBaseline {
    static func sum(_ bytes: UnsafeRawBufferPointer, threads: Int) -> Float {
        let floats = bytes.count / 4
        let parts = threads
        let per = (floats / parts + 15) & ~15
        let sums = Parallel.map(parts, threads: threads) { p -> Float in
            let start = p * per, end = min(floats, start + per)
            guard start < end else { return 0 }
            let base = bytes.baseAddress! + start * 4
            var a = SIMD16<Float>(repeating: 0), b = a, c = a, d = a
            var i = 0
            let n = end - start
            while i + 64 <= n {
                a += base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                b += base.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                c += base.loadUnaligned(fromByteOffset: (i + 32) * 4, as: SIMD16<Float>.self)
                d += base.loadUnaligned(fromByteOffset: (i + 48) * 4, as: SIMD16<Float>.self)
                // The kernels ask for memory ahead of their first reads; so does the baseline, which reads faster for
                // it (one core here: +10–15 %; 2 KB ahead did at least as well as 1, 4 or 8), so that no kernel's
                // ratio owes anything to a weak baseline.
                for line in stride(from: 512, to: 576, by: 16) { quantscope_prefetch(base + (i + line) * 4) }
                i += 64
            }
            var s = (a + b + c + d).sum()
            while i < n { s += base.load(fromByteOffset: i * 4, as: Float.self); i += 1 }
            return s
        }
        return sums.reduce(0, +)
    }
}

/// A fast reproducible generator (SplitMix64) for synthetic benchmark data.
struct BenchRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
