import XCTest
@testable import QuantCore

/// NF4, FP8, MXFP4 and NVFP4: code tables against published constants and brute-force searches, and
/// properties of the fast path against the reference encoder on random tensors.
final class FloatFormatTests: XCTestCase {
    // MARK: - Helpers

    struct Generator {
        var state: UInt64
        mutating func uniform() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        mutating func normal() -> Float {
            Float((-2 * Foundation.log(uniform())).squareRoot() * Foundation.cos(2 * Double.pi * uniform()))
        }
        /// Student-t with 2 degrees of freedom: heavy tails.
        mutating func heavy() -> Float {
            let z = Double(normal()), c = Double(normal()) * Double(normal()) + Double(normal()) * Double(normal())
            return Float(z / max((abs(c) / 2).squareRoot(), 1e-3))
        }
    }

    enum Kind: CaseIterable { case normal, heavy, zeros, tiny }

    static func data(_ kind: Kind, count: Int, seed: UInt64) -> [Float] {
        var g = Generator(state: seed | 1)
        return (0..<count).map { i in
            switch kind {
            case .normal: return g.normal() * 0.02
            case .heavy: return g.heavy() * 0.01
            case .zeros: return i % 3 == 0 || (i / 64) % 5 == 2 ? 0 : g.normal()
            case .tiny: return g.normal() * 1e-7 * (i % 2 == 0 ? -1 : 1)
            }
        }
    }

    static func context(_ values: [Float], shape: [Int], name: String = "blk.0.weight") -> TensorContext {
        let info = TensorInfo(name: name, dtype: .f32, shape: shape, elementCount: values.count, byteCount: values.count * 4,
                              location: .mapped(fileIndex: 0, offset: 0))
        return TensorContext(tensor: info, absMax: values.reduce(0) { max($0, abs($1)) },
                             min: values.min() ?? 0, max: values.max() ?? 0, values: nil)
    }

    static func make(_ spec: String, _ values: [Float], shape: [Int]) throws -> any TensorEncoder {
        try FloatFormatQuantizers.make(QuantSpec(parsing: spec), context: context(values, shape: shape))
    }

    static func fake(_ q: any TensorEncoder, _ values: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: values.count)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                // Whole units, in several calls, as the driver does.
                let chunk = max(q.unitLength, 4096 / q.unitLength * q.unitLength)
                var start = 0
                while start < values.count {
                    let n = min(chunk, values.count - start)
                    q.fakeQuantize(x.baseAddress! + start, count: n, start: start, into: y.baseAddress! + start)
                    start += n
                }
            }
        }
        return out
    }

    static func encode(_ q: any TensorEncoder, _ values: [Float]) -> [UInt8] {
        values.withUnsafeBufferPointer { q.encode($0) }
    }

    static let allSpecs = ["nf4", "nf4-g32", "nf4-g128-f16scale", "nf4-f16scale", "fp8-e4m3", "fp8-e5m2",
                           "fp8-e4m3-channel", "fp8-e5m2-channel", "mxfp4", "nvfp4"]

    // MARK: - NF4 table

    func testNF4LevelsAreBitsandbytesConstants() {
        // bitsandbytes csrc/kernels.cu, nf4_dequantization_lut (float32 literals).
        let published: [Float] = [
            -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
            -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
            0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
            0.7229568362236023, 1.0,
        ]
        XCTAssertEqual(NF4Quantizer.levels.map(\.bitPattern), published.map(\.bitPattern))
        // The thresholds (bitsandbytes' dQuantizeNF4) are the midpoints between neighbouring levels, computed
        // from the float64 quantiles, so within one float32 ulp of the midpoint of the float32 levels.
        for k in 0..<15 {
            let mid = Float((Double(published[k]) + Double(published[k + 1])) / 2)
            let t = NF4Quantizer.thresholds[k]
            XCTAssertTrue(t == mid || t == mid.nextUp || t == mid.nextDown, "threshold \(k): \(t) vs \(mid)")
        }
    }

    func testEveryNF4CodeDecodesToItsLevel() throws {
        for scale in ["", "-f16scale"] {
            let values = NF4Quantizer.levels.map { $0 * 2 }  // absmax 2: exact in f16 too
            let q = try Self.make("nf4-g16" + scale, values, shape: [1, 16])
            let bytes = Self.encode(q, values)
            for i in 0..<16 { XCTAssertEqual(FloatFormatBytes.nibble(bytes, i), UInt8(i), "code of level \(i)") }
            XCTAssertEqual(q.decode(bytes), values)
            XCTAssertEqual(Self.fake(q, values), values)
        }
    }

    func testNF4TiesGoToTheLowerLevel() throws {
        // With absmax 1 (the element 1.0), x = w exactly: a weight on a threshold takes the lower code.
        for k in 0..<15 {
            let t = NF4Quantizer.thresholds[k]
            let values: [Float] = [1, t, t.nextUp, t.nextDown]
            let q = try Self.make("nf4-g4", values, shape: [4])
            let bytes = Self.encode(q, values)
            XCTAssertEqual(FloatFormatBytes.nibble(bytes, 1), UInt8(k), "on threshold \(k)")
            XCTAssertEqual(FloatFormatBytes.nibble(bytes, 2), UInt8(k + 1), "just above threshold \(k)")
            XCTAssertEqual(FloatFormatBytes.nibble(bytes, 3), UInt8(k), "just below threshold \(k)")
            XCTAssertEqual(Self.fake(q, values).map(\.bitPattern), q.decode(bytes).map(\.bitPattern))
        }
    }

    func testNF4TablesMatchComparisons() {
        // Every threshold and its neighbours, both ends of every bucket, zeros, infinities and random bit
        // patterns: the table's code is the number of thresholds below x, and its level that code's level.
        var probes: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1, 2, -2]
        for t in NF4Quantizer.thresholds {
            var up = t, down = t
            for _ in 0..<4 { probes += [up, down]; up = up.nextUp; down = down.nextDown }
        }
        for b in 0..<UInt32(NF4Tables.bucketCount) {
            let lowest = b << NF4Tables.shift, highest = lowest | (1 << NF4Tables.shift - 1)
            probes += [Float(bitPattern: lowest), Float(bitPattern: highest), Float(bitPattern: lowest + 1), Float(bitPattern: highest - 1)]
        }
        var g = Generator(state: 7)
        for _ in 0..<50000 {
            probes.append(Float(g.uniform() * 3 - 1.5))
            probes.append(Float(bitPattern: UInt32(truncatingIfNeeded: g.state >> 17)))
        }
        let tables = NF4Quantizer.tables
        tables.buckets.withUnsafeBufferPointer { buckets in
            for x in probes where !x.isNaN {
                let r = NF4Tables.index(x, buckets.baseAddress!)
                XCTAssertEqual(NF4Tables.code(index: r), NF4Quantizer.code(x), "x = \(x) (bits \(String(x.bitPattern, radix: 16)))")
                XCTAssertEqual(tables.levels[r], NF4Quantizer.levels[NF4Quantizer.code(x)], "x = \(x)")
            }
        }
        for r0 in 0..<32 {
            for r1 in 0..<32 {
                XCTAssertEqual(tables.levelPairs[2 * (r0 + 32 * r1)], tables.levels[r0])
                XCTAssertEqual(tables.levelPairs[2 * (r0 + 32 * r1) + 1], tables.levels[r1])
            }
        }
    }

    // MARK: - FP8 and E2M1 rounding against brute force

    /// Nearest of the finite decoded values, ties to the even code, saturating; sign kept for zero.
    static func bruteForce(_ x: Float, values: [Float], format: MiniFloatFormat) -> UInt8 {
        var best: UInt8 = 0
        var bestDistance = Double.infinity
        let target = min(abs(Double(x)), Double(format.maxFinite))
        let half = values.count / 2
        for code in 0..<half where values[code].isFinite {
            let d = abs(Double(values[code]) - target)
            if d < bestDistance || (d == bestDistance && code & 1 == 0) { best = UInt8(code); bestDistance = d }
        }
        return x.sign == .minus ? best | format.signBit : best
    }

    func checkFormat(_ format: MiniFloatFormat, table: [Float], name: String) {
        let constants = format.vectorConstants
        func fast(_ x: Float) -> Float {
            MiniFloatFormat.roundVector(SIMD16(repeating: x), constants)[0]
        }
        var probes: [Float] = []
        for code in 0..<table.count {
            let v = table[code]
            guard v.isFinite else { continue }
            // Round trip of every code.
            XCTAssertEqual(format.encode(v), UInt8(code), "\(name) code \(code) value \(v)")
            XCTAssertEqual(format.value(UInt8(code)).bitPattern, v.bitPattern, "\(name) value of \(code)")
            probes += [v, v.nextUp, v.nextDown]
        }
        // Midpoints between neighbours (exact in f32) and their neighbours.
        let positives = Array(Set(table.filter { $0.isFinite && $0 >= 0 })).sorted()
        for k in 0..<positives.count - 1 {
            let mid = (positives[k] + positives[k + 1]) / 2
            probes += [mid, mid.nextUp, mid.nextDown, -mid]
            let code = format.encode(mid)
            XCTAssertEqual(code & 1, 0, "\(name) midpoint \(mid) goes to the even code")
        }
        let top = format.maxFinite
        probes += [top * 1.03, top * 1.0625, top * 2, top * 1e6, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                   .leastNonzeroMagnitude, 0, -0.0]
        var g = Generator(state: 99)
        for _ in 0..<20000 { probes.append(Float(Foundation.exp(g.uniform() * 40 - 25)) * (g.uniform() < 0.5 ? -1 : 1)) }
        for x in probes {
            let code = format.encode(x)
            XCTAssertEqual(code, Self.bruteForce(x, values: table, format: format), "\(name) x = \(x)")
            XCTAssertEqual(fast(x).bitPattern, table[Int(code)].bitPattern, "\(name) fast path at \(x)")
            XCTAssertEqual(format.roundFast(x).bitPattern, table[Int(code)].bitPattern, "\(name) scalar fast path at \(x)")
            // The measuring kernels round |x| and never restore the sign.
            let magnitude = MiniFloatFormat.roundMagnitudeVector(SIMD8(repeating: abs(x)), constants)[0]
            XCTAssertEqual(magnitude.bitPattern, abs(table[Int(code)]).bitPattern, "\(name) magnitude path at \(x)")
        }
        XCTAssertEqual(MiniFloatFormat.roundMagnitudeVector(SIMD8(repeating: .infinity), constants)[0], format.maxFinite, "\(name) +inf saturates")
    }

    func testE4M3RoundingIsNearestEvenAndSaturating() {
        checkFormat(.e4m3, table: FP8.e4m3Table, name: "e4m3")
    }

    func testE5M2RoundingIsNearestEvenAndSaturating() {
        checkFormat(.e5m2, table: FP8.e5m2Table, name: "e5m2")
    }

    func testE2M1ValuesAndRounding() {
        XCTAssertEqual(E2M1.values.prefix(8).map { $0 }, [0, 0.5, 1, 1.5, 2, 3, 4, 6])
        XCTAssertEqual(E2M1.values.suffix(8).map { $0 }, [-0.0, -0.5, -1, -1.5, -2, -3, -4, -6])
        checkFormat(.e2m1, table: E2M1.values, name: "e2m1")
        // The ties called out in the recipes: 0.25→0, 0.75→1, 1.25→1, 1.75→2, 2.5→2, 3.5→4, 5→4.
        let ties: [(Float, Float)] = [(0.25, 0), (0.75, 1), (1.25, 1), (1.75, 2), (2.5, 2), (3.5, 4), (5, 4), (7, 6)]
        for (x, v) in ties { XCTAssertEqual(E2M1.decode(E2M1.encode(x)), v, "E2M1(\(x))") }
    }

    func testMXScaleCodeFromBitsMatchesReference() throws {
        // Powers of two, their neighbours, subnormals: the fast path's scale from exponent bits.
        var values: [Float] = []
        for e in -149...127 {
            let p = Float(sign: .plus, exponent: e, significand: 1)
            values += [p, p.nextUp, p.nextDown, p * 1.5]
        }
        values = values.filter { $0.isFinite && $0 > 0 }
        for v in values {
            let block = [v] + [Float](repeating: v / 3, count: 31)
            let q = try Self.make("mxfp4", block, shape: [32])
            let bytes = Self.encode(q, block)
            XCTAssertEqual(Self.fake(q, block).map(\.bitPattern), q.decode(bytes).map(\.bitPattern), "absmax \(v)")
            let expected = max(Int(v.exponent) - 2, -127) + 127
            XCTAssertEqual(Int(bytes[0]), expected, "scale code for absmax \(v)")
        }
    }

    // MARK: - Properties on random tensors

    func testFastPathEqualsReferenceBitwise() throws {
        for spec in Self.allSpecs {
            for kind in Kind.allCases {
                let shape = [24, 256]
                let values = Self.data(kind, count: 24 * 256, seed: UInt64(kind.hashValue & 0xFFFF) + 11)
                let q = try Self.make(spec, values, shape: shape)
                let bytes = Self.encode(q, values)
                XCTAssertEqual(bytes.count, q.storedBytes, "\(spec) size")
                let decoded = q.decode(bytes), fast = Self.fake(q, values)
                var mismatches = 0
                for i in 0..<values.count where decoded[i].bitPattern != fast[i].bitPattern {
                    if mismatches < 3 { XCTFail("\(spec) \(kind) [\(i)] w=\(values[i]) fast=\(fast[i]) reference=\(decoded[i])") }
                    mismatches += 1
                }
                XCTAssertEqual(mismatches, 0, "\(spec) \(kind)")
                for i in 0..<values.count where values[i] == 0 { XCTAssertEqual(fast[i], 0, "\(spec) \(kind): 0 maps to 0") }
            }
        }
    }

    /// The grid values (before scaling) of a family's codes.
    static func grid(_ spec: String) -> [Float] {
        if spec.hasPrefix("nf4") { return NF4Quantizer.levels }
        if spec.hasPrefix("fp8-e4m3") { return FP8.e4m3Table.filter(\.isFinite) }
        if spec.hasPrefix("fp8-e5m2") { return FP8.e5m2Table.filter(\.isFinite) }
        return E2M1.values
    }

    /// Each unit's length and stored scale, read back from the encoding.
    static func unitScales(_ spec: String, _ q: any TensorEncoder, _ bytes: [UInt8], count: Int) -> (Int, [Double]) {
        if spec.hasPrefix("nf4") {
            let half = spec.contains("f16scale"), payload = (count + 1) / 2
            return (q.unitLength, (0..<count / q.unitLength).map {
                Double(half ? FloatFormatBytes.half(bytes, at: payload + 2 * $0) : FloatFormatBytes.float(bytes, at: payload + 4 * $0))
            })
        }
        if spec.hasPrefix("fp8") {
            let scales = (bytes.count - count) / 4
            return (count / scales, (0..<scales).map { Double(FloatFormatBytes.float(bytes, at: count + 4 * $0)) })
        }
        if spec == "mxfp4" { return (32, (0..<count / 32).map { Double(FP8.e8m0ToFloat(bytes[$0 * 17])) }) }
        let g = FloatFormatBytes.float(bytes, at: count / 2 + count / 16)
        return (16, (0..<count / 16).map { Double(FP8.e4m3Table[Int(bytes[count / 2 + $0])] * g) })
    }

    func testErrorIsWithinHalfTheLocalStep() throws {
        for spec in Self.allSpecs {
            let grid = Array(Set(Self.grid(spec))).sorted()
            for kind in [Kind.normal, .heavy, .zeros] {
                let values = Self.data(kind, count: 16 * 512, seed: 5)
                let q = try Self.make(spec, values, shape: [16, 512])
                let fast = Self.fake(q, values)
                let (unit, scales) = Self.unitScales(spec, q, Self.encode(q, values), count: values.count)
                var failures = 0
                for i in values.indices {
                    let scale = scales[i / unit]
                    guard scale > 0 else { XCTAssertEqual(fast[i], 0); continue }
                    let x = Double(values[i]) / scale
                    guard abs(x) <= Double(grid.last!) else { continue }
                    // The two grid points around x and the gap between them.
                    let upper = grid.first { Double($0) >= x } ?? grid.last!
                    let lower = grid.last { Double($0) <= x } ?? grid.first!
                    let halfStep = (Double(upper) - Double(lower)) / 2 * scale
                    let error = abs(Double(fast[i]) - Double(values[i]))
                    if error > halfStep * (1 + 1e-5) + 1e-30 {
                        failures += 1
                        if failures < 3 { XCTFail("\(spec) \(kind) [\(i)] w=\(values[i]) ŵ=\(fast[i]) error \(error) > \(halfStep)") }
                    }
                }
            }
        }
    }

    func testQuantisingTheOutputAgainGivesTheSameCodes() throws {
        // Holds for every family on these tensors: each unit's largest weight lands on the top of the grid
        // (±1 for NF4, ±max for FP8, 4 or 6 for MXFP4, 6 for NVFP4 when its E4M3 block scale is normal),
        // so the scales recomputed from ŵ give back the same grid. It can fail for NVFP4 blocks whose
        // E4M3 scale is subnormal (a block absmax below about 2^-6/448 of the tensor's).
        for spec in Self.allSpecs {
            for kind in [Kind.normal, .zeros] {
                let values = Self.data(kind, count: 8 * 512, seed: 77)
                let q = try Self.make(spec, values, shape: [8, 512])
                let once = Self.fake(q, values)
                let again = try Self.make(spec, once, shape: [8, 512])
                let codes = Self.payload(spec, Self.encode(q, values), count: values.count)
                let codesAgain = Self.payload(spec, Self.encode(again, once), count: values.count)
                XCTAssertEqual(codes, codesAgain, "\(spec) \(kind)")
                XCTAssertEqual(Self.fake(again, once).map(\.bitPattern), once.map(\.bitPattern), "\(spec) \(kind) ŵ is a fixed point")
            }
        }
    }

    /// The element codes of an encoding, without scales.
    static func payload(_ spec: String, _ bytes: [UInt8], count: Int) -> [UInt8] {
        if spec == "mxfp4" {
            return (0..<count / 32).flatMap { b in (0..<32).map { FloatFormatBytes.nibble(bytes, $0, from: b * 17 + 1) } }
        }
        if spec.hasPrefix("fp8") { return Array(bytes.prefix(count)) }
        return (0..<count).map { FloatFormatBytes.nibble(bytes, $0) }
    }

    func testStoredBytesMatchEncodingForSeveralShapes() throws {
        let cases: [(String, [Int], Int)] = [
            ("nf4", [3, 64], 3 * 64 / 2 + 3 * 4), ("nf4-g3", [5, 3], 8 + 5 * 4), ("nf4-g128-f16scale", [2, 256], 256 + 4 * 2),
            ("fp8-e4m3", [7, 5], 35 + 4), ("fp8-e5m2-channel", [7, 5], 35 + 28), ("fp8-e4m3-channel", [2, 3, 4], 24 + 8),
            ("fp8-e4m3", [], 1 + 4), ("mxfp4", [3, 64], 6 * 17), ("mxfp4", [32], 17),
            ("nvfp4", [3, 32], 48 + 6 + 4), ("nvfp4", [16], 8 + 1 + 4),
        ]
        for (spec, shape, expected) in cases {
            let count = TensorInfo.elementCount(of: shape)!
            let values = Self.data(.normal, count: count, seed: 3)
            let q = try Self.make(spec, values, shape: shape)
            XCTAssertEqual(q.storedBytes, expected, "\(spec) \(shape)")
            XCTAssertEqual(Self.encode(q, values).count, q.storedBytes, "\(spec) \(shape)")
            XCTAssertEqual(Self.fake(q, values).map(\.bitPattern), q.decode(Self.encode(q, values)).map(\.bitPattern), "\(spec) \(shape)")
        }
    }

    func testZeroUnitsAndTheirScales() throws {
        let values = [Float](repeating: 0, count: 256)
        for spec in Self.allSpecs {
            let q = try Self.make(spec, values, shape: [1, 256])
            XCTAssertEqual(Self.fake(q, values), values, spec)
            XCTAssertEqual(q.decode(Self.encode(q, values)), values, spec)
        }
        let mx = Self.encode(try Self.make("mxfp4", values, shape: [1, 256]), values)
        XCTAssertEqual(mx[0], 0, "MXFP4 zero block: scale code 0")
        // NVFP4: a zero block in a non-zero tensor stores the scale 1.0 (E4M3 0x38), as ModelOpt does.
        var mixed = Self.data(.normal, count: 32, seed: 9)
        for i in 16..<32 { mixed[i] = 0 }
        let nv = Self.encode(try Self.make("nvfp4", mixed, shape: [32]), mixed)
        XCTAssertEqual(nv[16 + 1], 0x38)
    }

    func testShapesThatDoNotFitThrowNamingTheTensor() {
        let values = [Float](repeating: 1, count: 48 * 2)
        for (spec, shape) in [("nf4", [2, 48]), ("nf4-g7", [2, 48]), ("mxfp4", [2, 48]), ("nvfp4", [4, 24])] {
            XCTAssertThrowsError(try FloatFormatQuantizers.make(QuantSpec(parsing: spec), context: Self.context(values, shape: shape, name: "layers.3.mlp.w1"))) { error in
                guard let error = error as? QuantizationError else { return XCTFail("\(spec): \(error)") }
                XCTAssertEqual(error.tensor, "layers.3.mlp.w1", spec)
                XCTAssertTrue(error.description.contains("layers.3.mlp.w1"), spec)
            }
        }
    }

    // MARK: - Fused measuring kernels against the reference

    /// Weights that sit on the decision boundaries of `spec` once divided by their unit's scale: most units
    /// (NF4 group, FP8 tensor or channel) are anchored by a weight that makes the scale a power of two, so
    /// thresholds, midpoints and their float neighbours are hit exactly; others by one that does not, so
    /// x lands within an ulp or two of them and only the exact arithmetic (a true division for FP8, w·(1/absmax)
    /// for NF4) decides; plus zeros, −0, subnormals, and units whose scale is itself subnormal (FP8
    /// saturation) or leaves f16's range (NF4 f16 scales).
    static func boundaryData(_ spec: String, count: Int, unit: Int, seed: UInt64) -> [Float] {
        var g = Generator(state: seed | 1)
        let nf4 = spec.hasPrefix("nf4")
        let format: MiniFloatFormat = spec.hasPrefix("fp8-e5m2") ? .e5m2 : .e4m3
        // Grid points (before scaling) whose neighbourhoods matter: thresholds or midpoints, and the levels.
        var marks: [Float]
        if nf4 {
            marks = NF4Quantizer.thresholds + NF4Quantizer.levels
        } else {
            let grid = Array(Set((spec.hasPrefix("fp8-e5m2") ? FP8.e5m2Table : FP8.e4m3Table).filter { $0.isFinite && $0 >= 0 })).sorted()
            marks = grid + zip(grid, grid.dropFirst()).map { ($0 + $1) / 2 }
        }
        var out: [Float] = []
        out.reserveCapacity(count)
        var u = 0
        while out.count < count {
            let n = min(unit, count - out.count)
            var values = [Float](repeating: 0, count: n)
            let style = (u + Int(seed % 8)) % 8
            // The anchor: |w| = top of the grid times `power` (mostly a power of two), so the scale is `power`.
            let power: Float = [1, 0.125, 32, 0x1p-20, 1, 1, 1.37, 0.0123][style]
            let top = nf4 ? power : format.maxFinite * power
            for i in 0..<n {
                let r = g.uniform()
                var v: Float
                switch r {
                case ..<0.6:
                    let m = marks[Int(g.uniform() * Double(marks.count))] * (nf4 ? 1 : power) * (nf4 ? power : 1)
                    let step = Int(g.uniform() * 5) - 2
                    v = m
                    for _ in 0..<abs(step) { v = step > 0 ? v.nextUp : v.nextDown }
                case ..<0.7: v = 0
                case ..<0.75: v = -0.0
                case ..<0.8: v = Float.leastNonzeroMagnitude * Float(Int(g.uniform() * 1000))
                default: v = Float(g.uniform() * 2 - 1) * top
                }
                values[i] = (g.uniform() < 0.5 ? -v : v)
                if abs(values[i]) > top { values[i] = top }
            }
            if n > 0 { values[Int(g.uniform() * Double(n))] = g.uniform() < 0.5 ? -top : top }
            switch style {
            case 4 where !nf4:
                // A subnormal scale: |w| ~ 1e-42, so x = w / s can land beyond the format's maximum.
                for i in 0..<n { values[i] = Float(g.uniform() * 2 - 1) * 1e-42 }
            case 4:
                // Beyond f16's range (the stored scale saturates at 65504, x exceeds 1).
                for i in 0..<n { values[i] = Float(g.uniform() * 2 - 1) * 2e5 }
            case 5:
                // An all-zero unit, or a tiny one (f16 scales round to 0 or to a subnormal).
                for i in 0..<n { values[i] = (u + Int(seed % 8)) % 16 == 5 ? 0 : Float(g.uniform() * 2 - 1) * 4e-8 }
            default: break
            }
            out += values
            u += 1
        }
        return out
    }

    /// The driver's chunk for a quantiser (`Quantizer.evaluate`, f32 tensor).
    static func chunk(_ q: any TensorEncoder) -> Int {
        max(q.unitLength, Quantizer.chunkTarget / q.unitLength * q.unitLength)
    }

    /// Sums of `measure` called chunk by chunk as the driver does.
    static func measured(_ q: any TensorEncoder, _ values: [Float]) -> ErrorStats {
        var sums = ErrorSums()
        values.withUnsafeBufferPointer { x in
            let chunk = Self.chunk(q)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
            defer { scratch.deallocate() }
            var start = 0
            while start < values.count {
                let n = min(chunk, values.count - start)
                q.measure(x.baseAddress! + start, count: n, start: start, into: &sums, scratch: scratch)
                start += n
            }
        }
        return sums.finish(sumSquaredSignal: values.reduce(0) { $0 + Double($1) * Double($1) })
    }

    /// `ErrorSums.add` over the reference values, in the driver's chunks (and units when `perUnit`).
    static func summed(_ q: any TensorEncoder, _ values: [Float], _ reference: [Float], perUnit: Bool) -> ErrorStats {
        var sums = ErrorSums()
        let piece = perUnit ? q.unitLength : Self.chunk(q)
        var start = 0
        while start < values.count {
            let n = min(piece, values.count - start)
            sums.add(Array(values[start ..< start + n]), Array(reference[start ..< start + n]), count: n)
            start += n
        }
        return sums.finish(sumSquaredSignal: values.reduce(0) { $0 + Double($1) * Double($1) })
    }

    /// The FP8 kernel leaves out the cap at the format's maximum where no quotient can reach past it; where one can
    /// (a scale below absmax / maxFinite: a subnormal scale rounded down, or runs measured with another run's scale),
    /// it must saturate exactly as the reference does.
    func testFP8MeasureSaturatesWhereQuotientsPassTheMaximum() {
        for format in [MiniFloatFormat.e4m3, .e5m2] {
            var g = Generator(state: 3)
            let values = (0..<1003).map { _ in Float(g.uniform() * 2 - 1) }
            let largest = values.map { abs($0) }.max()!
            for (s, saturates) in [(largest / format.maxFinite, false), (largest / (format.maxFinite * 1.01), false),
                                   (largest / (format.maxFinite * 1.5), true), (largest / (format.maxFinite * 8), true)] {
                XCTAssertEqual(format.saturationCanAct(upTo: largest / s), saturates, "\(format) scale \(s)")
                let reference = values.map { (($0 < 0 ? -1 : 1) * format.roundMagnitude($0 / s)) * s }
                var expected = ErrorSums()
                expected.add(values, reference, count: values.count)
                var fused = ErrorSums()
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
                defer { scratch.deallocate() }
                values.withUnsafeBufferPointer {
                    FP8Quantizer.measure($0.baseAddress!, values.count, scale: s, largest: largest, format, into: &fused, scratch: scratch)
                }
                let signal = values.reduce(0) { $0 + Double($1) * Double($1) }
                XCTAssertEqual(fused.finish(sumSquaredSignal: signal), expected.finish(sumSquaredSignal: signal), "\(format) scale \(s)")
            }
        }
    }

    func testFusedMeasureMatchesReferenceOnBoundaries() throws {
        let cases: [(String, [Int], Int)] = [
            // NF4 tensors hold more groups than the kernel looks ahead (4096 weights), so both loops run.
            ("nf4", [48, 256], 64), ("nf4-g32", [24, 256], 32), ("nf4-g8", [12, 512], 8), ("nf4-g24-f16scale", [120, 48], 24),
            ("nf4-f16scale", [64, 128], 64), ("nf4-g7", [4, 14], 7), ("nf4-g2048", [5, 2048], 2048),
            ("fp8-e4m3", [48, 96], 48 * 96), ("fp8-e5m2", [37, 13], 37 * 13),
            ("fp8-e4m3-channel", [12, 101], 101), ("fp8-e5m2-channel", [12, 128], 128), ("fp8-e4m3-channel", [6, 7], 7),
            ("mxfp4", [4, 64], 32), ("nvfp4", [4, 64], 16),
        ]
        for (spec, shape, unit) in cases {
            let count = shape.reduce(1, *)
            var datasets: [(String, [Float])] = (0..<8).map { ("boundary \($0)", Self.boundaryData(spec, count: count, unit: unit, seed: UInt64(40 + $0))) }
            datasets += Kind.allCases.map { ("\($0)", Self.data($0, count: count, seed: 5)) }
            for (name, values) in datasets {
                let q = try Self.make(spec, values, shape: shape)
                let reference = q.decode(Self.encode(q, values))
                let fast = Self.fake(q, values)
                var mismatches = 0
                for i in values.indices where reference[i].bitPattern != fast[i].bitPattern {
                    if mismatches < 3 { XCTFail("\(spec) \(name) [\(i)] w=\(values[i]) fast=\(fast[i]) reference=\(reference[i])") }
                    mismatches += 1
                }
                XCTAssertEqual(mismatches, 0, "\(spec) \(name): fakeQuantize against decode(encode)")
                // The fused sums against the reference ŵ summed by `ErrorSums.add` in the same chunks (and, where
                // the kernel pads each unit's tail, the same units): the same Float lanes in the same order, so
                // equal bit for bit. Any ŵ that differed would change them.
                let perUnit = spec.hasPrefix("fp8") && spec.hasSuffix("channel")
                XCTAssertEqual(Self.measured(q, values), Self.summed(q, values, reference, perUnit: perUnit), "\(spec) \(name): fused sums")
            }
        }
    }
}
