/// The type llama-quantize writes when a tensor's rows do not hold whole super-blocks of the type asked for.
///
/// The K-quants and IQ4_XS pack 256 weights per super-block. For a tensor whose row length is not a multiple
/// of 256, llama-quantize (`llama_tensor_get_type` in src/llama-quant.cpp) uses a 32-weight type instead:
/// Q2_K, Q3_K and IQ4_XS → IQ4_NL, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, and F16 when the row is not a
/// multiple of 32 either. Plans and `eval` do the same, so that sizes and errors are those of the file
/// llama-quantize would write, and they say so wherever it happens.
public enum LlamaQuantizeFallback {
    /// The spec used instead of `spec` for `tensor`, or nil when `spec` fits it or is not a super-block type.
    public static func replacement(for spec: QuantSpec, tensor: TensorInfo) -> QuantSpec? {
        guard case let .gguf(type) = spec.family, type.blockSize == 256 else { return nil }
        let row = tensor.rowLength
        guard row % 256 != 0 else { return nil }
        let substitute: GGMLType
        switch type {
        case .q2_K, .q3_K, .iq4_xs: substitute = .iq4_nl
        case .q4_K: substitute = .q5_0
        case .q5_K: substitute = .q5_1
        case .q6_K: substitute = .q8_0
        default: return nil
        }
        return row % substitute.blockSize == 0 ? QuantSpec(.gguf(substitute)) : QuantSpec(.float(.f16))
    }
}
