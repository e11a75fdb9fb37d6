/// Makes quantisers for the non-uniform and floating-point families: NF4, FP8, MXFP4, NVFP4.
enum FloatFormatQuantizers {
    static func make(_ spec: QuantSpec, context: TensorContext) throws -> any TensorEncoder {
        throw QuantizationError(tensor: context.tensor.name, spec: spec.description, problem: "this scheme is not available in this build yet")
    }
}
