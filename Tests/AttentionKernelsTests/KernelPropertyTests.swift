import AttentionKernels
import PropertyBased
import Testing

/// Every kernel against the float64 reference on random shapes: lengths, head dimensions and
/// blocks drawn independently (blocks larger than the sequence, N = 1, lengths that are not a
/// multiple of the block), causal or not, with and without a padding mask, multi-head,
/// grouped-query or multi-query, with and without a sliding window. The fixed ragged
/// cases in KernelCorrectnessTests pin known edges; these look for the ones nobody listed.
/// A failure prints the case, whose seed reproduces it.
@Test(.tags(.kernels))
func kernelsMatchReferenceOnRandomShapes() async throws {
    await propertyCheck(
        count: 60, input: Gen.int(in: 1...90), Gen.int(in: 1...90), Gen.int(in: 1...72),
        Gen.int(in: 1...80), Gen.int(in: 0...63)
    ) { queryLength, keyLength, headDimension, block, flags in
        let causal = flags & 1 == 1
        let padded = flags & 2 == 2
        let threads = flags & 4 == 4 ? 2 : 1
        let keyValueHeads = [4, 2, 1][(flags >> 3) % 3]  // multi-head, GQA, MQA over 4 query heads
        let window = flags & 32 == 32 ? 1 + (block * 7 + queryLength) % 40 : nil
        let testCase = KernelCase(
            batch: 2, heads: 4, queryLength: queryLength, keyLength: keyLength, headDimension: headDimension,
            causal: causal, validKeyLengths: padded ? [keyLength, keyLength / 2] : nil,
            keyValueHeads: keyValueHeads, window: window,
            blocks: (block, max(1, 97 - block)), threads: threads,
            seed: UInt64(queryLength * 1_000_003 + keyLength * 1009 + headDimension * 31 + block + flags))
        for variant in AttentionVariant.allCases {
            let error = try? referenceError(variant, testCase)
            let found = error.map { "max |error| \($0.maxAbsError), finite \($0.finite)" } ?? "invalid case"
            #expect(
                error != nil && error!.finite && error!.maxAbsError <= Tolerance.unitScale,
                "\(variant.rawValue) on \(testCase): \(found)")
        }
    }
}

/// The same random shapes in every storage pair: bf16 and fp16 tensors, and K/V caches in
/// bf16, fp16 and q8_0 (head dimensions rounded up to whole 32-value blocks for q8_0), each
/// kernel within its `CorrectnessTolerance` of the float64 reference on the rounded inputs.
@Test(.tags(.kernels))
func kernelsMatchReferenceOnRandomShapesInEveryType() async throws {
    let pairs: [(ElementType, ElementType)] = [
        (.bf16, .bf16), (.f16, .f16), (.f32, .q8_0), (.bf16, .q8_0), (.f16, .bf16), (.f32, .f16),
    ]
    await propertyCheck(
        count: 40, input: Gen.int(in: 1...90), Gen.int(in: 1...90), Gen.int(in: 1...72),
        Gen.int(in: 1...80), Gen.int(in: 0...383)
    ) { queryLength, keyLength, dimension, block, flags in
        let pair = pairs[(flags >> 6) % pairs.count]
        let headDimension = pair.1 == .q8_0 ? (dimension + 31) / 32 * 32 : dimension
        var testCase = KernelCase(
            batch: 2, heads: 4, queryLength: queryLength, keyLength: keyLength, headDimension: headDimension,
            causal: flags & 1 == 1, validKeyLengths: flags & 2 == 2 ? [keyLength, keyLength / 2] : nil,
            keyValueHeads: [4, 2, 1][(flags >> 3) % 3], window: flags & 32 == 32 ? 1 + (block * 7) % 40 : nil,
            blocks: (block, max(1, 97 - block)), threads: flags & 4 == 4 ? 2 : 1,
            seed: UInt64(queryLength * 1_000_003 + keyLength * 1009 + dimension * 31 + block + flags))
        testCase.elementType = pair.0
        testCase.keyValueElementType = pair.1
        for variant in AttentionVariant.allCases {
            let kernel = try variant.makeKernel(
                blockSizes: variant.isBlocked ? BlockSizes(query: block, key: max(1, 97 - block)) : nil)
            let report = try? runAgainstReference(kernel, testCase)
            let tolerance = try CorrectnessTolerance.of(kernel, on: testCase.problem())
            #expect(
                report != nil && !report!.nonFinite && report!.maxAbsError <= tolerance,
                "\(variant.rawValue) on \(testCase): \(report.map { "max |error| \($0.maxAbsError)" } ?? "invalid")")
        }
    }
}

extension Tag {
    @Tag static var kernels: Self
}
