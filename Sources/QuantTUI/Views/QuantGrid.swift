import QuantCore

/// The levels a spec can represent and its clip range, for drawing over a histogram.
///
/// Exact for per-tensor integer specs; for per-channel and per-group scales (and the block formats) it is
/// the grid of the widest unit, whose range is the tensor's.
public struct QuantGrid: Sendable, Equatable {
    public var levels: [Double]
    public var clip: ClosedRange<Double>?
    public var note: String

    static let nf4Levels: [Double] = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                                      -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                                      0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                                      0.7229568362236023, 1.0]
    static let e2m1: [Double] = [0, 0.5, 1, 1.5, 2, 3, 4, 6]

    public static func make(_ spec: QuantSpec, stats: TensorStats) -> QuantGrid? {
        guard stats.count > 0, stats.maxAbs.isFinite else { return nil }
        let absMax = stats.maxAbs
        switch spec.family {
        case .keep, .float:
            return nil
        case let .integer(p):
            var lo: Double, hi: Double
            if p.symmetric { lo = -absMax; hi = absMax } else { lo = min(stats.min, 0); hi = max(stats.max, 0) }
            var levels: [Double] = []
            if p.symmetric {
                let qmax = Double((1 << (p.bits - 1)) - 1)
                let scale = absMax / qmax
                levels = (-Int(qmax)...Int(qmax)).map { Double($0) * scale }
            } else {
                let qmax = Double((1 << p.bits) - 1)
                let scale = (hi - lo) / qmax
                let zero = scale > 0 ? (-lo / scale).rounded(.toNearestOrEven) : 0
                levels = (0...Int(qmax)).map { (Double($0) - zero) * scale }
                lo = levels.first ?? lo
                hi = levels.last ?? hi
            }
            var note = "\(levels.count) levels"
            switch p.granularity {
            case .tensor: note += p.range == .minMax ? "" : " (before clip search)"
            case .channel: note += " of the widest channel"
            case .group: note += " of the widest group"
            }
            return QuantGrid(levels: levels, clip: lo...hi, note: note)
        case .nf4:
            return QuantGrid(levels: nf4Levels.map { $0 * absMax }, clip: -absMax...absMax, note: "16 NF4 levels of the widest group")
        case .mxfp4, .nvfp4:
            let scale = absMax / 6
            let levels = (e2m1.reversed().map { -$0 } + e2m1.dropFirst()).map { $0 * scale }
            return QuantGrid(levels: levels, clip: -absMax...absMax, note: "15 E2M1 levels of the widest block")
        case .fp8:
            return QuantGrid(levels: [], clip: -absMax...absMax, note: "fp8: levels too dense to draw")
        case let .gguf(type):
            let bits = SpecStepper.ggufBits(type)
            return QuantGrid(levels: [], clip: -absMax...absMax, note: "\(type.name): \(1 << bits) levels per block")
        }
    }
}
