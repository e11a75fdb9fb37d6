/// A quantisation scheme bound to one tensor: it knows how the tensor's parameters (scales, zero-points,
/// block headers) are laid out, their exact size, and how to quantise and dequantise the weights.
///
/// The driver (`Quantizer`) hands out whole units — runs of `unitLength` consecutive weights that share
/// parameters (a group, a channel, a GGUF block) — several at a time and from several threads.
protocol TensorQuantizer: Sendable {
    /// Consecutive weights that share parameters; calls always cover whole units.
    var unitLength: Int { get }
    /// Chunks handed to `measure` hold at least this many units (a kernel that overlaps reading the next
    /// unit with measuring this one wants several); 1 unless a quantiser says otherwise.
    var minimumUnitsPerChunk: Int { get }
    /// The exact bytes the quantised tensor occupies: codes, scales, zero-points and block metadata.
    var storedBytes: Int { get }
    /// Quantises then dequantises `count` weights (a multiple of `unitLength`) that start at element `start`
    /// of the tensor, writing the dequantised values to `output`. Inputs are finite.
    func fakeQuantize(_ input: UnsafePointer<Float>, count: Int, start: Int, into output: UnsafeMutablePointer<Float>)
    /// Adds the error of quantising `count` weights (whole units, finite) starting at element `start` to `sums`,
    /// with the same dequantised values as `fakeQuantize`. `scratch` holds at least `count` floats.
    /// Schemes with a fused kernel measure without storing the dequantised weights.
    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>)
}

extension TensorQuantizer {
    var minimumUnitsPerChunk: Int { 1 }

    func measure(_ input: UnsafePointer<Float>, count: Int, start: Int, into sums: inout ErrorSums, scratch: UnsafeMutablePointer<Float>) {
        fakeQuantize(input, count: count, start: start, into: scratch)
        sums.add(input, scratch, count: count)
    }
}

/// A quantiser that can also produce the real encoded bytes, so size formulas can be checked against
/// an actual encoding and quantised tensors can be written out.
protocol TensorEncoder: TensorQuantizer {
    /// Encodes the whole tensor (`input` holds all its weights) in the scheme's storage layout.
    func encode(_ input: UnsafeBufferPointer<Float>) -> [UInt8]
    /// Decodes what `encode` produced back to weights.
    func decode(_ bytes: [UInt8]) -> [Float]
}

/// Facts about the tensor a quantiser is made for, gathered before quantising.
struct TensorContext {
    let tensor: TensorInfo
    /// Largest finite |w| of the whole tensor (for per-tensor scales).
    let absMax: Float
    /// Smallest and largest finite weight.
    let min: Float
    let max: Float
    /// All finite weights, only when the scheme asked for them (per-tensor percentile or MSE search).
    let values: [Float]?

    /// Output channels: the outermost dimension (1 for a scalar).
    var channelCount: Int { tensor.shape.first ?? 1 }
    /// Weights per output channel.
    var channelLength: Int { channelCount == 0 ? 0 : tensor.elementCount / channelCount }
}

/// Why a scheme cannot be applied to a tensor (its shape does not fit the scheme's blocks or groups).
public struct QuantizationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let tensor: String
    public let spec: String
    public let problem: String
    public var description: String { "cannot apply \(spec) to \(tensor.escapedForTerminal): \(problem)" }
}
