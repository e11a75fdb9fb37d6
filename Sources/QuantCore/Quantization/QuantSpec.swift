import Foundation

/// A quantisation scheme as people type it and plans store it, e.g. `int4-asym-g128`, `nf4`, `q4_k`.
///
/// `QuantSpec(parsing:)` accepts the grammar in docs/spec-grammar.md; `description` prints the canonical
/// form, which leaves out defaults (`int4-sym-tensor-f32scale-minmax` prints as `int4`), so
/// `QuantSpec(parsing: spec.description) == spec` always holds and canonical text round-trips exactly.
public struct QuantSpec: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Hashable, Sendable {
        /// Left as stored.
        case keep
        /// Plain float storage.
        case float(FloatStorage)
        /// Integer affine quantisation.
        case integer(IntegerParameters)
        /// NormalFloat-4 (QLoRA): 16 fixed levels scaled by the block's absmax.
        case nf4(group: Int, scale: ScaleStorage)
        /// 8-bit float with a per-tensor or per-channel f32 scale.
        case fp8(FP8Format, perChannel: Bool)
        /// OCP MXFP4: E2M1 values with a shared E8M0 power-of-two scale per 32.
        case mxfp4
        /// NVIDIA NVFP4: E2M1 values with an E4M3 scale per 16 and an f32 tensor scale.
        case nvfp4
        /// A GGUF block type, bit-exact with llama.cpp.
        case gguf(GGMLType)
    }

    public enum FloatStorage: String, Hashable, Sendable, CaseIterable { case f32, f16, bf16 }
    public enum FP8Format: String, Hashable, Sendable { case e4m3, e5m2 }
    public enum ScaleStorage: String, Hashable, Sendable { case f32, f16 }

    public enum Granularity: Hashable, Sendable {
        /// One scale for the whole tensor.
        case tensor
        /// One scale per output channel (per slice of the outermost dimension).
        case channel
        /// One scale per group of consecutive weights along a row.
        case group(Int)
    }

    public enum RangeMethod: Hashable, Sendable {
        /// The range is the observed min and max.
        case minMax
        /// Clip to a percentile of the magnitudes (e.g. 99.9).
        case percentile(Double)
        /// Search clip ratios 1.00, 0.98, …, 0.50 of the min-max range for the lowest MSE.
        case mse
    }

    public struct IntegerParameters: Hashable, Sendable {
        public var bits: Int
        public var symmetric: Bool
        public var granularity: Granularity
        public var scale: ScaleStorage
        public var range: RangeMethod

        public init(bits: Int, symmetric: Bool = true, granularity: Granularity = .tensor, scale: ScaleStorage = .f32, range: RangeMethod = .minMax) {
            self.bits = bits
            self.symmetric = symmetric
            self.granularity = granularity
            self.scale = scale
            self.range = range
        }
    }

    public let family: Family

    public init(_ family: Family) { self.family = family }

    public static let keep = QuantSpec(.keep)

    /// The GGUF block types quantscope encodes bit-exactly, in the order menus list them.
    public static let ggufTypes: [GGMLType] = [.q8_0, .q6_K, .q5_K, .q5_1, .q5_0, .q4_K, .q4_1, .q4_0, .q3_K, .q2_K]

    public var description: String {
        switch family {
        case .keep: return "keep"
        case let .float(storage): return storage.rawValue
        case let .integer(p):
            var parts = ["int\(p.bits)"]
            if !p.symmetric { parts.append("asym") }
            switch p.granularity {
            case .tensor: break
            case .channel: parts.append("channel")
            case let .group(size): parts.append("g\(size)")
            }
            if p.scale == .f16 { parts.append("f16scale") }
            switch p.range {
            case .minMax: break
            case .mse: parts.append("mse")
            case let .percentile(value): parts.append("p" + Self.formatPercentile(value))
            }
            return parts.joined(separator: "-")
        case let .nf4(group, scale):
            var text = group == 64 ? "nf4" : "nf4-g\(group)"
            if scale == .f16 { text += "-f16scale" }
            return text
        case let .fp8(format, perChannel): return "fp8-\(format.rawValue)" + (perChannel ? "-channel" : "")
        case .mxfp4: return "mxfp4"
        case .nvfp4: return "nvfp4"
        case let .gguf(type): return type.name.lowercased()
        }
    }

    static func formatPercentile(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Why a spec's text could not be parsed; the message says which part is wrong and what is allowed.
public struct QuantSpecError: Error, CustomStringConvertible, Equatable, Sendable {
    public let text: String
    public let problem: String
    public var description: String { "invalid spec \"\(text.escapedForTerminal)\": \(problem)" }
}

extension QuantSpec {
    /// Parses the text form (case-insensitive).
    public init(parsing rawText: String) throws {
        let text = rawText.trimmingCharacters(in: .whitespaces).lowercased()
        func fail(_ problem: String) -> QuantSpecError { QuantSpecError(text: rawText, problem: problem) }
        if text.isEmpty { throw fail("empty spec") }
        if text == "keep" { self.init(.keep); return }
        if let storage = FloatStorage(rawValue: text) { self.init(.float(storage)); return }
        if text == "mxfp4" { self.init(.mxfp4); return }
        if text == "nvfp4" { self.init(.nvfp4); return }
        if let type = GGMLType(name: text), QuantSpec.ggufTypes.contains(type) || type == .iq4_nl || type == .iq4_xs {
            self.init(.gguf(type)); return
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        if parts.contains("") { throw fail("empty part between '-'") }
        let head = parts[0], options = parts.dropFirst()
        if head == "fp8" {
            guard let formatText = options.first, let format = FP8Format(rawValue: formatText) else {
                throw fail("fp8 needs a format: fp8-e4m3 or fp8-e5m2")
            }
            var perChannel = false
            for option in options.dropFirst() {
                switch option {
                case "channel": perChannel = true
                case "tensor": perChannel = false
                default: throw fail("unknown fp8 option '\(option)' (allowed: channel, tensor)")
                }
            }
            self.init(.fp8(format, perChannel: perChannel)); return
        }
        if head == "nf4" {
            var group = 64, scale = ScaleStorage.f32
            for option in options {
                if let size = Self.groupSize(option) { group = size }
                else if option == "f16scale" { scale = .f16 }
                else if option == "f32scale" { scale = .f32 }
                else { throw fail("unknown nf4 option '\(option)' (allowed: gN, f16scale)") }
            }
            guard group >= 2, group <= 1 << 20 else { throw fail("group size must be between 2 and 1048576") }
            self.init(.nf4(group: group, scale: scale)); return
        }
        guard head.hasPrefix("int"), let bits = Int(head.dropFirst(3)) else {
            throw fail("unknown scheme '\(head)'; expected keep, f32, f16, bf16, intN…, nf4, fp8-e4m3, fp8-e5m2, mxfp4, nvfp4 or a GGUF type (q8_0, q4_k, …)")
        }
        guard (2...8).contains(bits) else { throw fail("integer bit-width must be 2 to 8, not \(bits)") }
        var p = IntegerParameters(bits: bits)
        var seenGranularity = false, seenSymmetry = false, seenRange = false, seenScale = false
        for option in options {
            switch option {
            case "sym", "asym":
                if seenSymmetry { throw fail("sym/asym given twice") }
                seenSymmetry = true
                p.symmetric = option == "sym"
            case "tensor", "channel":
                if seenGranularity { throw fail("granularity given twice") }
                seenGranularity = true
                p.granularity = option == "tensor" ? .tensor : .channel
            case "f16scale", "f32scale":
                if seenScale { throw fail("scale storage given twice") }
                seenScale = true
                p.scale = option == "f16scale" ? .f16 : .f32
            case "minmax", "mse":
                if seenRange { throw fail("range method given twice") }
                seenRange = true
                p.range = option == "mse" ? .mse : .minMax
            default:
                if let size = Self.groupSize(option) {
                    if seenGranularity { throw fail("granularity given twice") }
                    seenGranularity = true
                    guard size >= 2, size <= 1 << 20 else { throw fail("group size must be between 2 and 1048576") }
                    p.granularity = .group(size)
                } else if option.hasPrefix("p"), let value = Double(option.dropFirst()) {
                    if seenRange { throw fail("range method given twice") }
                    seenRange = true
                    guard value > 50, value <= 100 else { throw fail("percentile must be above 50 and at most 100") }
                    p.range = value == 100 ? .minMax : .percentile(value)
                } else {
                    throw fail("unknown option '\(option)' (allowed: sym, asym, tensor, channel, gN, f16scale, minmax, pN, mse)")
                }
            }
        }
        self.init(.integer(p))
    }

    private static func groupSize(_ option: String) -> Int? {
        guard option.hasPrefix("g"), let size = Int(option.dropFirst()), size > 0 else { return nil }
        return size
    }
}

