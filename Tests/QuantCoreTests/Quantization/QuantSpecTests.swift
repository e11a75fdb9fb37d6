import Testing
@testable import QuantCore

@Suite struct QuantSpecTests {
    static let canonical = [
        "keep", "f32", "f16", "bf16", "int8", "int8-asym-channel", "int4-g128", "int4-asym-g64-f16scale", "int3-g32-mse",
        "int4-channel", "int2-asym-g16-p99.9", "int6-p99", "nf4", "nf4-g128", "nf4-g32-f16scale", "fp8-e4m3", "fp8-e5m2-channel",
        "mxfp4", "nvfp4", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k",
    ]

    @Test(arguments: canonical)
    func canonicalTextRoundTripsExactly(_ text: String) throws {
        let spec = try QuantSpec(parsing: text)
        #expect(spec.description == text)
        #expect(try QuantSpec(parsing: spec.description) == spec)
    }

    @Test func defaultsAreAcceptedAndNormalised() throws {
        #expect(try QuantSpec(parsing: "int4-sym-channel").description == "int4-channel")
        #expect(try QuantSpec(parsing: "INT8-SYM-TENSOR-F32SCALE-MINMAX").description == "int8")
        #expect(try QuantSpec(parsing: "Q4_K").description == "q4_k")
        #expect(try QuantSpec(parsing: "int4-p100").description == "int4")
        #expect(try QuantSpec(parsing: "nf4-g64").description == "nf4")
    }

    @Test(arguments: [
        ("int9", "integer bit-width must be 2 to 8"),
        ("int4-g0", "unknown option 'g0'"),
        ("int4-g128-channel", "granularity given twice"),
        ("int4-frob", "unknown option 'frob'"),
        ("fp8", "fp8 needs a format"),
        ("fp8-e3m4", "fp8 needs a format"),
        ("int4-p40", "percentile must be above 50"),
        ("q7_k", "unknown scheme 'q7_k'"),
        ("", "empty spec"),
        ("int4--g32", "empty part"),
    ])
    func invalidSpecsSayWhatIsWrong(_ text: String, _ fragment: String) {
        do {
            _ = try QuantSpec(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }
}
