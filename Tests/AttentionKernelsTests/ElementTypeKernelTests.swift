import AttentionKernels
import XCTest

/// Every variant on every storage type: bf16 and fp16 tensors, and K/V caches in bf16, fp16
/// and q8_0 beside tensors of another type, against the float64 reference on the rounded
/// inputs, within `CorrectnessTolerance`.
final class ElementTypeKernelTests: XCTestCase {
    /// (Q/O type, K/V type) pairs: each tensor type alone, and each cache type under another.
    static let typePairs: [(ElementType, ElementType)] = [
        (.bf16, .bf16), (.f16, .f16), (.f32, .bf16), (.f32, .f16), (.f32, .q8_0), (.bf16, .q8_0), (.f16, .q8_0),
        (.bf16, .f32),
    ]

    static func typed(_ testCase: KernelCase, _ pair: (ElementType, ElementType)) -> KernelCase {
        var typed = testCase
        typed.elementType = pair.0
        typed.keyValueElementType = pair.1
        return typed
    }

    /// `variant` on `testCase` within the tolerance of its output type (scaled by max |V|).
    func assertWithinTypeTolerance(
        _ variant: AttentionVariant, _ testCase: KernelCase, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let blocks = variant.isBlocked ? try BlockSizes(query: testCase.blocks.query, key: testCase.blocks.key) : nil
        let kernel = try variant.makeKernel(blockSizes: blocks)
        let tolerance = CorrectnessTolerance.of(
            kernel, on: try testCase.problem(), valueMagnitude: Double(testCase.valueAmplitude))
        try assertMatchesReference(variant, testCase, tolerance: tolerance, file: file, line: line)
    }

    /// The ragged square shapes of the fp32 tests (lengths 1 to 257 against blocks 16 to 512,
    /// causal and not); q8_0 where the head dimension holds whole 32-value blocks.
    func testEveryVariantAndTypeOnRaggedShapes() throws {
        for (index, testCase) in KernelCorrectnessTests.raggedCases().enumerated() {
            for (p, pair) in Self.typePairs.enumerated() where (index + p) % 3 == 0 || pair.1 == .q8_0 {
                guard pair.1.canStoreRows(of: testCase.headDimension) else { continue }
                for variant in AttentionVariant.allCases {
                    try assertWithinTypeTolerance(variant, Self.typed(testCase, pair))
                }
            }
        }
    }

    /// Grouped queries, sliding windows, padding, seq_q ≠ seq_kv, decode rows and two threads.
    func testGroupsWindowsPaddingAndUnequalLengths() throws {
        let cases = [
            KernelCase(
                batch: 2, heads: 4, queryLength: 65, keyLength: 130, headDimension: 64, causal: true,
                validKeyLengths: [130, 77], keyValueHeads: 2, blocks: (16, 32)),
            KernelCase(
                batch: 1, heads: 6, queryLength: 130, keyLength: 65, headDimension: 32, causal: true, keyValueHeads: 3,
                window: 17, blocks: (32, 16), threads: 2),
            KernelCase(
                batch: 3, heads: 8, queryLength: 1, keyLength: 257, headDimension: 128, validKeyLengths: [257, 1, 100],
                keyValueHeads: 1, blocks: (1, 64), threads: 2),
            KernelCase(
                batch: 2, heads: 4, queryLength: 4, keyLength: 200, headDimension: 96, causal: true, keyValueHeads: 2,
                blocks: (4, 100)),
        ]
        for testCase in cases {
            for pair in Self.typePairs {
                for variant in AttentionVariant.allCases {
                    try assertWithinTypeTolerance(variant, Self.typed(testCase, pair))
                }
            }
        }
    }

    /// Rows that see no key are zeros in every type.
    func testFullyMaskedRowsAreZeroInEveryType() throws {
        let base = KernelCase(
            batch: 2, heads: 1, queryLength: 70, keyLength: 20, headDimension: 32, causal: true,
            validKeyLengths: [20, 0], blocks: (16, 8))
        for pair in Self.typePairs {
            let testCase = Self.typed(base, pair)
            for variant in AttentionVariant.allCases {
                try assertWithinTypeTolerance(variant, testCase)
                let o = try output(of: variant, testCase)
                for c in 0..<32 {
                    XCTAssertEqual(o[0, 0, 0, c], 0, "\(variant) \(pair) row 0 (no visible key) column \(c)")
                    XCTAssertEqual(o[1, 0, 69, c], 0, "\(variant) \(pair) batch 1 (key length 0) column \(c)")
                }
                XCTAssertNotEqual(o[0, 0, 69, 0], 0, "\(variant) \(pair): the last row sees every key")
            }
        }
    }

    /// Scores of magnitude ~1e4 and values near the top of fp16's range (65504): no overflow in
    /// the widened arithmetic, and the output rounds to within the type's tolerance.
    func testLargeMagnitudesNearTheTypesRange() throws {
        let cases = [
            KernelCase(
                queryLength: 65, keyLength: 130, headDimension: 64, causal: true, blocks: (16, 32), amplitude: 100,
                valueAmplitude: 60000, scale: 1),
            KernelCase(
                batch: 2, queryLength: 1, keyLength: 257, headDimension: 32, blocks: (1, 64), amplitude: 25,
                valueAmplitude: 60000, scale: 1),
        ]
        for base in cases {
            for pair in Self.typePairs {
                let testCase = Self.typed(base, pair)
                // Near-one-hot softmax weights move with the fp32 rounding of 1e4-sized scores
                // (see `Tolerance.largeMagnitude`), on top of the output's rounding.
                let tolerance =
                    (Tolerance.largeMagnitude
                        + CorrectnessTolerance.perUnitValue(
                            outputType: pair.0, productsInBFloat16: pair == (.bf16, .bf16)))
                    * Double(base.valueAmplitude)
                for variant in AttentionVariant.allCases {
                    try assertMatchesReference(variant, testCase, tolerance: tolerance)
                }
            }
        }
    }

    /// fp16 subnormals (below 2⁻¹⁴ ≈ 6.1e-5) are read and written as values, not flushed to zero.
    func testSubnormalHalfValuesSurvive() throws {
        let base = KernelCase(
            batch: 1, heads: 2, queryLength: 40, keyLength: 40, headDimension: 32, causal: true, blocks: (8, 16),
            valueAmplitude: 3e-5)
        let testCase = Self.typed(base, (.f16, .f16))
        let (_, _, v) = testCase.inputs()
        XCTAssertTrue(
            (0..<32).contains { c in v[0, 0, 0, c] != 0 && abs(v[0, 0, 0, c]) < 0x1p-14 },
            "the inputs hold fp16 subnormals")
        for variant in AttentionVariant.allCases {
            // fp16 subnormals are spaced 2⁻²⁴ apart: the output is off by at most half of that.
            try assertMatchesReference(variant, testCase, tolerance: 1e-4 * 3e-5 + 0x1p-25)
            let o = try output(of: variant, testCase)
            XCTAssertEqual(o[0, 0, 0, 0], v[0, 0, 0, 0], "\(variant): row 0 sees key 0 only")
            XCTAssertNotEqual(o[0, 1, 20, 3], 0, "\(variant): a subnormal output is not flushed")
        }
    }

    /// The reference reads the rounded inputs: a kernel given bf16 K differs from the fp32
    /// answer by far more than the fp32 tolerance, yet matches the reference on what it read.
    func testReferenceIsComputedOnTheRoundedInputs() throws {
        let base = KernelCase(queryLength: 40, keyLength: 40, headDimension: 32, blocks: (16, 16))
        let typed = Self.typed(base, (.f32, .q8_0))
        let exact = try output(of: .flash2, base)
        let rounded = try output(of: .flash2, typed)
        var largest: Float = 0
        for i in 0..<40 { for c in 0..<32 { largest = max(largest, abs(exact[0, 0, i, c] - rounded[0, 0, i, c])) } }
        XCTAssertGreaterThan(Double(largest), 10 * CorrectnessTolerance.float32, "q8_0 K/V change the answer")
        try assertWithinTypeTolerance(.flash2, typed)
    }

    /// Workspace formulas count the fp32 copies the BLAS variants widen into: a slice's for the
    /// prefill variants, one K and one V block (and the task's Q rows, one output row) for decode.
    func testWideningVariantsCountTheirFloat32Copies() throws {
        let fp32Case = KernelCase(
            batch: 2, heads: 8, queryLength: 256, keyLength: 256, headDimension: 64, keyValueHeads: 2)
        var bf16Case = fp32Case
        bf16Case.elementType = .bf16
        let bf16 = try bf16Case.problem()
        let decode = try AttentionVariant.decode.makeKernel(blockSizes: BlockSizes(query: 64, key: 64))
        XCTAssertEqual(
            decode.workspaceBytes(bf16, threadCount: 2),
            decode.workspaceBytes(try fp32Case.problem(), threadCount: 2) + 2 * 4 * (64 * 64 + 64 + 2 * 64 * 64))
        var kvCase = fp32Case
        kvCase.keyValueElementType = .q8_0
        XCTAssertEqual(
            decode.workspaceBytes(try kvCase.problem(), threadCount: 1),
            decode.workspaceBytes(try fp32Case.problem(), threadCount: 1) + 4 * 2 * 64 * 64)
        for variant in AttentionVariant.allCases where variant != .fused && variant != .decode {
            let kernel = try variant.makeKernel(blockSizes: variant.isBlocked ? BlockSizes(query: 64, key: 64) : nil)
            // One (batch, K/V head) slice at a time: Q and O of its 4 query heads, K and V, in fp32,
            // beside the workspace of the fp32 kernel on that slice.
            let copies = 4 * (2 * 4 * 256 + 2 * 256) * 64
            let slice = try AttentionProblem(
                batch: 1, heads: 4, queryLength: 256, keyLength: 256, headDimension: 64, causal: false,
                keyValueHeads: 1)
            XCTAssertEqual(
                kernel.workspaceBytes(bf16, threadCount: 1), copies + kernel.workspaceBytes(slice, threadCount: 1),
                "\(variant)")
        }
    }

    /// bf16 tensors in the fused prefill: with AVX512_BF16 the products take bf16 operands
    /// (`prefillBFloat16`), and with `bfloat16Products: false` they are widened to fp32 as on
    /// every other CPU; both match the reference within their tolerances, on every machine.
    func testFusedBFloat16ProductsAndTheWidenedPathBothMatch() throws {
        let cases =
            KernelCorrectnessTests.raggedCases().filter { $0.queryLength > 16 } + [
                KernelCase(
                    batch: 2, heads: 4, queryLength: 77, keyLength: 130, headDimension: 80, causal: true,
                    validKeyLengths: [130, 41], keyValueHeads: 2, blocks: (32, 48), threads: 2),
                KernelCase(
                    batch: 1, heads: 3, queryLength: 61, keyLength: 61, headDimension: 7, causal: true, window: 13,
                    blocks: (16, 32), threads: 2),
                KernelCase(
                    batch: 1, heads: 2, queryLength: 300, keyLength: 300, headDimension: 128, blocks: (64, 128),
                    amplitude: 4),
                KernelCase(
                    batch: 2, heads: 1, queryLength: 70, keyLength: 20, headDimension: 33, causal: true,
                    validKeyLengths: [20, 0], blocks: (16, 8)),
            ]
        AlignedMemory.setFillOnAllocate(.nan)
        defer { AlignedMemory.setFillOnAllocate(nil) }
        for base in cases {
            let testCase = Self.typed(base, (.bf16, .bf16))
            let problem = try testCase.problem()
            let blocks = try BlockSizes(query: testCase.blocks.query, key: testCase.blocks.key)
            for products in [true, false] {
                let kernel = FusedAttention(blockSizes: blocks, bfloat16Products: products)
                XCTAssertEqual(
                    kernel.productsInBFloat16(problem), products && FusedAttention.bfloat16ProductsAvailable)
                let report = try runAgainstReference(kernel, testCase)
                XCTAssertFalse(report.nonFinite, "\(testCase) bf16 products \(products)")
                XCTAssertLessThan(
                    report.maxAbsError, CorrectnessTolerance.of(kernel, on: problem),
                    "\(testCase) bf16 products \(products): \(String(describing: report.worst))")
            }
        }
    }
}
