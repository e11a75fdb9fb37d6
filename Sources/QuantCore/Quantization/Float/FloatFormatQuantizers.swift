/// Makes quantisers for the non-uniform and floating-point families: NF4, FP8, MXFP4, NVFP4.
enum FloatFormatQuantizers {
    static func make(_ spec: QuantSpec, context: TensorContext) throws -> any TensorEncoder {
        switch spec.family {
        case let .nf4(group, scale):
            return try NF4Quantizer(group: group, scale: scale, context: context, spec: spec)
        case let .fp8(format, perChannel):
            return FP8Quantizer(format: format, perChannel: perChannel, context: context)
        case .mxfp4:
            return try MXFP4Quantizer(context: context, spec: spec)
        case .nvfp4:
            return try NVFP4Quantizer(context: context, spec: spec)
        default:
            throw QuantizationError(tensor: context.tensor.name, spec: spec.description, problem: "not a float-format scheme")
        }
    }
}
