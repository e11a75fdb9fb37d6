import Testing
@testable import QuantCore
@testable import QuantTUI

@Suite struct SpecStepperTests {
    let matrix = Fixtures.tensor("w", [128, 256])
    let narrow = Fixtures.tensor("w", [10, 48])

    func spec(_ text: String) -> QuantSpec { Fixtures.spec(text) }

    @Test func integerBitsStepByOneAndLeaveForF16AtTheTop() {
        #expect(SpecStepper.raise(spec("int4-g32"), tensor: matrix) == spec("int5-g32"))
        #expect(SpecStepper.raise(spec("int8-channel"), tensor: matrix) == spec("f16"))
        #expect(SpecStepper.raise(spec("f16"), tensor: matrix) == spec("f32"))
        #expect(SpecStepper.raise(spec("f32"), tensor: matrix) == nil)
        #expect(SpecStepper.lower(spec("int2-asym"), tensor: matrix) == nil)
        #expect(SpecStepper.lower(.keep, tensor: matrix) == spec("f16"))
        #expect(SpecStepper.lower(spec("f16"), tensor: matrix) == spec("int8-channel"))
    }

    @Test func ggufTypesFollowTheirLadders() {
        #expect(SpecStepper.raise(spec("q4_k"), tensor: matrix) == spec("q5_k"))
        #expect(SpecStepper.raise(spec("q6_k"), tensor: matrix) == spec("q8_0"))
        #expect(SpecStepper.raise(spec("q8_0"), tensor: matrix) == spec("f16"))
        #expect(SpecStepper.lower(spec("q3_k"), tensor: matrix) == spec("q2_k"))
        #expect(SpecStepper.lower(spec("q4_0"), tensor: matrix) == spec("q3_k"))
        #expect(SpecStepper.raise(spec("q4_1"), tensor: matrix) == spec("q5_1"))
        // Rows of 48 take no 256-weight K-quant block.
        #expect(SpecStepper.lower(spec("q8_0"), tensor: narrow) == nil)
    }

    @Test func groupSizesSkipThoseThatDoNotDivideTheRow() {
        #expect(SpecStepper.nextGroupSize(spec("int4-g32"), tensor: matrix) == spec("int4-g64"))
        #expect(SpecStepper.nextGroupSize(spec("int4-g256"), tensor: matrix) == spec("int4-g16"))
        #expect(SpecStepper.nextGroupSize(spec("int4-g16"), tensor: narrow) == nil)
        #expect(SpecStepper.nextGroupSize(spec("q4_k"), tensor: matrix) == nil)
    }

    @Test func familiesCycleKeepingTheBitsClose() {
        #expect(SpecStepper.nextFamily(spec("int4-g32"), tensor: matrix) == spec("q4_k"))
        #expect(SpecStepper.nextFamily(spec("q4_k"), tensor: matrix) == spec("nf4-g256"))
        #expect(SpecStepper.nextFamily(spec("nf4"), tensor: matrix) == spec("fp8-e4m3-channel"))
        #expect(SpecStepper.nextFamily(spec("f16"), tensor: matrix) == spec("int8-channel"))
        // Rows of 48 take neither Q8_0 blocks nor NF4 groups of 64.
        #expect(SpecStepper.nextFamily(spec("int8-channel"), tensor: narrow) == spec("fp8-e4m3-channel"))
    }

    @Test func candidatesOnlyListSpecsThatApply() {
        let list = SpecStepper.candidates(for: narrow)
        #expect(!list.contains(spec("q4_k")))
        #expect(list.contains(spec("int2-g16")))
        #expect(!list.contains(spec("int4-g32")))
        #expect(list.first == .keep)
        #expect(SpecStepper.candidates(for: Fixtures.tensor("h", [64, 64], dtype: .f16)).first == spec("f16"))
    }

    @Test func candidatesNeverStoreMoreThanTheTensorTakes() {
        // Per channel, a norm of 384 weights would keep a 4-byte scale per weight: 40 bits per weight.
        let norm = Fixtures.tensor("norm.weight", [384], dtype: .f32)
        let list = SpecStepper.candidates(for: norm)
        #expect(!list.contains(spec("int8-channel")) && !list.contains(spec("fp8-e4m3-channel")))
        #expect(list.contains(spec("q8_0")) && list.contains(spec("f16")))
        // A 1-D F16 tensor keeps F16 (its lossless choice) and Q8_0, but not a scale per weight.
        let half = SpecStepper.candidates(for: Fixtures.tensor("b", [64], dtype: .f16))
        #expect(half.first == spec("f16") && half.contains(spec("q8_0")) && !half.contains(spec("int8-channel")))
    }

    @Test func sizeIsKnownBeforeAnyWeightIsRead() {
        #expect(SpecSize.storedBytes(of: matrix, spec: spec("int4-g32")) == 128 * 256 / 2 + 128 * 256 / 32 * 4)
        #expect(SpecSize.storedBytes(of: matrix, spec: spec("int8-p99.9")) == 128 * 256 + 4)
        #expect(SpecSize.storedBytes(of: matrix, spec: spec("q4_k")) == 128 * 144)
        #expect(SpecSize.storedBytes(of: narrow, spec: spec("q4_k")) == nil)
        #expect(SpecSize.storedBytes(of: matrix, spec: .keep) == matrix.byteCount)
    }
}
