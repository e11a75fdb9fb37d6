import QuantCore

/// The keyboard's moves through spec space: more or fewer bits, another scheme family, granularity or
/// group size. Every move lands on a spec that applies to the tensor, or returns nil.
public enum SpecStepper {
    static let kLadder: [GGMLType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_0]
    static let groupSizes = [16, 32, 64, 128, 256]

    static func applies(_ spec: QuantSpec, _ tensor: TensorInfo) -> Bool {
        PlanValidation.applicability(of: spec, to: tensor) == nil
    }

    static func first(_ candidates: [QuantSpec], for tensor: TensorInfo) -> QuantSpec? {
        candidates.first { applies($0, tensor) }
    }

    static func int(_ bits: Int, _ granularity: QuantSpec.Granularity = .channel, symmetric: Bool = true) -> QuantSpec {
        QuantSpec(.integer(.init(bits: bits, symmetric: symmetric, granularity: granularity)))
    }

    /// Roughly how many bits a spec spends per weight, for moving between families.
    public static func nominalBits(_ spec: QuantSpec, tensor: TensorInfo) -> Int {
        switch spec.family {
        case .keep: return max(1, Int(tensor.dtype.bitsPerElement.rounded()))
        case let .float(storage): return storage == .f32 ? 32 : 16
        case let .integer(p): return p.bits
        case .nf4, .mxfp4, .nvfp4: return 4
        case .fp8: return 8
        case let .gguf(type): return ggufBits(type)
        }
    }

    /// Bits per weight code of a GGUF block type (without the block scales).
    static func ggufBits(_ type: GGMLType) -> Int {
        switch type {
        case .q8_0: 8
        case .q6_K: 6
        case .q5_K, .q5_0, .q5_1: 5
        case .q3_K: 3
        case .q2_K: 2
        default: 4
        }
    }

    /// The group size a spec uses, if any.
    static func groupSize(_ spec: QuantSpec) -> Int? {
        switch spec.family {
        case let .integer(p): if case let .group(g) = p.granularity { return g }; return nil
        case let .nf4(group, _): return group
        case .mxfp4: return 32
        case .nvfp4: return 16
        case let .gguf(type): return type.blockSize
        default: return nil
        }
    }

    /// The next spec with more bits, or nil at the top.
    public static func raise(_ spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        let f16 = QuantSpec(.float(.f16)), f32 = QuantSpec(.float(.f32))
        switch spec.family {
        case .keep: return nil
        case let .float(storage):
            switch storage {
            case .f32: return nil
            case .bf16: return f16
            case .f16: return f32
            }
        case var .integer(p):
            guard p.bits < 8 else { return f16 }
            p.bits += 1
            return first([QuantSpec(.integer(p))], for: tensor)
        case let .gguf(type):
            switch type {
            case .q4_0: return first([QuantSpec(.gguf(.q5_0)), QuantSpec(.gguf(.q8_0)), f16], for: tensor)
            case .q4_1: return first([QuantSpec(.gguf(.q5_1)), QuantSpec(.gguf(.q8_0)), f16], for: tensor)
            case .q5_0, .q5_1: return first([QuantSpec(.gguf(.q8_0)), f16], for: tensor)
            default:
                let bits = nominalBits(spec, tensor: tensor)
                let higher = kLadder.filter { nominalBits(QuantSpec(.gguf($0)), tensor: tensor) > bits }.map { QuantSpec(.gguf($0)) }
                return first(higher + [f16], for: tensor)
            }
        case let .nf4(group, _):
            return first([int(5, .group(group)), QuantSpec(.fp8(.e4m3, perChannel: true)), int(5)], for: tensor)
        case .mxfp4, .nvfp4:
            return first([QuantSpec(.fp8(.e4m3, perChannel: true)), int(8)], for: tensor)
        case .fp8:
            return f16
        }
    }

    /// The next spec with fewer bits, or nil at the bottom.
    public static func lower(_ spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        let f16 = QuantSpec(.float(.f16))
        switch spec.family {
        case .keep:
            return tensor.dtype.bitsPerElement > 16 ? f16 : int(8)
        case let .float(storage):
            return storage == .f32 ? f16 : int(8)
        case var .integer(p):
            guard p.bits > 2 else { return nil }
            p.bits -= 1
            return first([QuantSpec(.integer(p))], for: tensor)
        case let .gguf(type):
            switch type {
            case .q4_0, .q4_1: return first([QuantSpec(.gguf(.q3_K)), QuantSpec(.gguf(.q2_K))], for: tensor)
            case .q5_0: return first([QuantSpec(.gguf(.q4_0))], for: tensor)
            case .q5_1: return first([QuantSpec(.gguf(.q4_1))], for: tensor)
            default:
                let bits = nominalBits(spec, tensor: tensor)
                let lower = kLadder.filter { nominalBits(QuantSpec(.gguf($0)), tensor: tensor) < bits }.reversed().map { QuantSpec(.gguf($0)) }
                return first(lower, for: tensor)
            }
        case let .nf4(group, _):
            return first([int(3, .group(group)), int(3, .group(32))], for: tensor)
        case .mxfp4:
            return first([int(3, .group(32))], for: tensor)
        case .nvfp4:
            return first([int(3, .group(16))], for: tensor)
        case .fp8:
            return first([QuantSpec(.nf4(group: 64, scale: .f32)), int(4)], for: tensor)
        }
    }

    /// The next scheme family (integer → GGUF → NF4 → FP8 → MXFP4 → NVFP4 → float → integer), keeping the bits
    /// close where the family allows.
    public static func nextFamily(_ spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        let bits = nominalBits(spec, tensor: tensor)
        let group = groupSize(spec)
        let integer: QuantSpec = {
            let b = min(8, max(2, bits))
            if let group, b <= 4, applies(int(b, .group(group)), tensor) { return int(b, .group(group)) }
            return b <= 4 ? (first([int(b, .group(32)), int(b)], for: tensor) ?? int(b)) : int(b)
        }()
        let gguf: QuantSpec = {
            let type = kLadder.min { abs(nominalBits(QuantSpec(.gguf($0)), tensor: tensor) - bits) < abs(nominalBits(QuantSpec(.gguf($1)), tensor: tensor) - bits) } ?? .q8_0
            return QuantSpec(.gguf(type))
        }()
        let nf4 = QuantSpec(.nf4(group: group.flatMap { [16, 32, 64, 128, 256].contains($0) ? $0 : nil } ?? 64, scale: .f32))
        let sequence: [QuantSpec] = [integer, gguf, nf4, QuantSpec(.nf4(group: 64, scale: .f32)), QuantSpec(.fp8(.e4m3, perChannel: true)),
                                     QuantSpec(.mxfp4), QuantSpec(.nvfp4), QuantSpec(.float(.f16))]
        func familyIndex(_ s: QuantSpec) -> Int {
            switch s.family {
            case .integer: 0
            case .gguf: 1
            case .nf4: 2
            case .fp8: 4
            case .mxfp4: 5
            case .nvfp4: 6
            case .float, .keep: 7
            }
        }
        let current = familyIndex(spec)
        for step in 1...sequence.count {
            let candidate = sequence[(current + step) % sequence.count]
            if familyIndex(candidate) != current, applies(candidate, tensor) { return candidate }
        }
        return nil
    }

    /// Integer: per tensor → per channel → per group; FP8: per tensor ↔ per channel.
    public static func nextGranularity(_ spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        switch spec.family {
        case var .integer(p):
            var options: [QuantSpec.Granularity]
            switch p.granularity {
            case .tensor: options = [.channel]
            case .channel: options = [128, 64, 32, 256, 16].map { .group($0) } + [.tensor]
            case .group: options = [.tensor]
            }
            for option in options {
                p.granularity = option
                if applies(QuantSpec(.integer(p)), tensor) { return QuantSpec(.integer(p)) }
            }
            return nil
        case let .fp8(format, perChannel):
            return QuantSpec(.fp8(format, perChannel: !perChannel))
        default:
            return nil
        }
    }

    /// The next group size (16, 32, 64, 128, 256) that divides the tensor's rows.
    public static func nextGroupSize(_ spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        let make: (Int) -> QuantSpec
        let current: Int
        switch spec.family {
        case var .integer(p):
            if case let .group(g) = p.granularity { current = g } else { current = 0 }
            make = { p.granularity = .group($0); return QuantSpec(.integer(p)) }
        case let .nf4(group, scale):
            current = group
            make = { QuantSpec(.nf4(group: $0, scale: scale)) }
        default:
            return nil
        }
        let start = groupSizes.firstIndex { $0 > current } ?? 0
        for step in 0..<groupSizes.count {
            let size = groupSizes[(start + step) % groupSizes.count]
            if size != current, applies(make(size), tensor) { return make(size) }
        }
        return nil
    }

    /// Symmetric ↔ asymmetric, for integer specs.
    public static func toggleSymmetry(_ spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        guard case var .integer(p) = spec.family else { return nil }
        p.symmetric.toggle()
        return QuantSpec(.integer(p))
    }

    /// The specs the detail pane and the menu offer for a tensor, from most to fewest bits: those that apply and
    /// store it in no more bytes than it takes now (per channel, a 1-D tensor would store a scale per weight).
    public static func candidates(for tensor: TensorInfo) -> [QuantSpec] {
        let texts = ["f16", "bf16", "q8_0", "int8-channel", "fp8-e4m3-channel", "q6_k", "int6-g64", "q5_k", "int5-g64",
                     "q4_k", "int4-g32", "int4-g128", "nf4", "mxfp4", "nvfp4", "q4_0", "q3_k", "int3-g32", "q2_k", "int2-g16"]
        let stored = tensor.byteCount
        var list = texts.compactMap { try? QuantSpec(parsing: $0) }.filter {
            applies($0, tensor) && (SpecSize.storedBytes(of: tensor, spec: $0) ?? Int.max) <= stored
        }
        if tensor.dtype.bitsPerElement > 16 { list.insert(.keep, at: 0) }
        return list
    }
}
