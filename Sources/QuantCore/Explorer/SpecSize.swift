/// The exact stored size of a tensor under a spec, from its shape alone, without reading a weight.
///
/// The explorer shows a plan's size the moment a spec changes, before the error is measured; this gives
/// the same byte count `Quantizer.evaluate` reports, because it asks the same quantiser.
public enum SpecSize {
    /// Bytes `tensor` occupies when stored with `spec`, or nil when the spec cannot apply to it.
    public static func storedBytes(of tensor: TensorInfo, spec: QuantSpec) -> Int? {
        if case .keep = spec.family { return tensor.byteCount }
        guard PlanValidation.applicability(of: spec, to: tensor) == nil else { return nil }
        var sizing = spec
        // The range method changes where the clip range lies, never the size; min-max needs no weights.
        if case var .integer(p) = spec.family, p.range != .minMax {
            p.range = .minMax
            sizing = QuantSpec(.integer(p))
        }
        let context = TensorContext(tensor: tensor, absMax: 1, min: -1, max: 1, values: nil)
        return (try? Quantizer.make(sizing, context: context))?.storedBytes
    }
}
