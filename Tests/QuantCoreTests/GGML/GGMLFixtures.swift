import Foundation
import XCTest

/// Loads the ggml known-answer vectors in `Fixtures/ggml-quants` (see the README there).
enum GGMLFixtures {
    static let inputNames = ["normal", "heavy", "outliers", "uniform", "tiny", "mixed"]
    static let rows = 16
    static let columns = 512

    struct Result {
        var quantSHA256: String
        var dequantSHA256: String
        var mse: Double
        var maxAbsErr: Double
        var sqnrDB: Double
    }

    static var root: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("ggml-quants")
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    static func input(_ name: String) throws -> [Float] {
        let bytes = try data("inputs/\(name).f32")
        precondition(bytes.count == rows * columns * 4)
        return bytes.withUnsafeBytes { raw in
            (0..<(rows * columns)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static func quantized(_ typeName: String, _ name: String) throws -> [UInt8] {
        [UInt8](try data("\(typeName)/\(name).bin"))
    }

    /// The parts of index.json the tests read. `JSONDecoder` parses numbers exactly (`JSONSerialization` may not).
    private struct Index: Decodable {
        struct Input: Decodable { var name: String; var sha256: String }
        struct Entry: Decodable {
            var type: String
            var input: String
            var quant_sha256: String
            var dequant_sha256: String
            var mse: Double
            var max_abs_err: Double
            var sqnr_db: Double
        }
        var inputs: [Input]
        var results: [Entry]
    }

    private static let index: Index? = {
        guard let json = try? data("index.json") else { return nil }
        return try? JSONDecoder().decode(Index.self, from: json)
    }()

    /// Per (type, input) results from index.json, keyed "TYPE/input".
    static let results: [String: Result] = {
        var out: [String: Result] = [:]
        for e in index?.results ?? [] {
            out["\(e.type)/\(e.input)"] = Result(quantSHA256: e.quant_sha256, dequantSHA256: e.dequant_sha256,
                                                  mse: e.mse, maxAbsErr: e.max_abs_err, sqnrDB: e.sqnr_db)
        }
        return out
    }()

    /// Input sha256 values from index.json, keyed by input name.
    static let inputSHA256: [String: String] = {
        var out: [String: String] = [:]
        for e in index?.inputs ?? [] { out[e.name] = e.sha256 }
        return out
    }()
}

/// A small SHA-256 (FIPS 180-4) so the tests need no crypto library; used to check dequantised floats against index.json.
enum SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ message: [UInt8]) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var bytes = message
        let bitLength = UInt64(message.count) * 8
        bytes.append(0x80)
        while bytes.count % 64 != 56 { bytes.append(0) }
        for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        var w = [UInt32](repeating: 0, count: 64)
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: bytes.count, by: 64) {
            for t in 0..<16 {
                w[t] = UInt32(bytes[chunk + 4 * t]) << 24 | UInt32(bytes[chunk + 4 * t + 1]) << 16
                    | UInt32(bytes[chunk + 4 * t + 2]) << 8 | UInt32(bytes[chunk + 4 * t + 3])
            }
            for t in 16..<64 {
                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for t in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
        }
        return h.map { word in
            let s = String(word, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }.joined()
    }

    static func hex(_ floats: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(floats.count * 4)
        for f in floats {
            let u = f.bitPattern
            bytes.append(UInt8(truncatingIfNeeded: u)); bytes.append(UInt8(truncatingIfNeeded: u >> 8))
            bytes.append(UInt8(truncatingIfNeeded: u >> 16)); bytes.append(UInt8(truncatingIfNeeded: u >> 24))
        }
        return hex(bytes)
    }
}
