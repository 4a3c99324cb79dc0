import AttentionKernels
import XCTest

/// Every kernel against the float64 reference on ragged shapes.
final class KernelCorrectnessTests: XCTestCase {
    static let variants = AttentionVariant.allCases

    /// Ragged lengths (1, around a block, not a multiple of any block), blocks larger and smaller
    /// than the sequence and odd head dimensions, combined so that every length meets every
    /// block size at least once.
    static func raggedCases() -> [KernelCase] {
        let lengths = [1, 7, 63, 64, 65, 130, 257]
        let blocks = [16, 32, 64, 100, 512]
        let headDims = [1, 16, 64, 80, 128]
        var cases: [KernelCase] = []
        for (i, n) in lengths.enumerated() {
            for (j, block) in blocks.enumerated() {
                let d = headDims[(i + j) % headDims.count]
                cases.append(
                    KernelCase(
                        queryLength: n, keyLength: n, headDimension: d,
                        causal: (i + j) % 2 == 0, blocks: (block, blocks[(j + 2) % blocks.count]),
                        seed: UInt64(100 + i * 10 + j)))
            }
        }
        return cases
    }

    func testRaggedSquareShapes() throws {
        for testCase in Self.raggedCases() {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            }
        }
    }

    func testBatchAndHeadsWithDifferentQueryAndKeyLengths() throws {
        let cases = [
            KernelCase(
                batch: 2, heads: 3, queryLength: 65, keyLength: 130, headDimension: 16, causal: true, blocks: (16, 32)),
            KernelCase(
                batch: 2, heads: 3, queryLength: 130, keyLength: 65, headDimension: 16, causal: true, blocks: (32, 16)),
            KernelCase(
                batch: 3, heads: 2, queryLength: 7, keyLength: 257, headDimension: 80, causal: true, blocks: (100, 64)),
            KernelCase(
                batch: 2, heads: 2, queryLength: 1, keyLength: 257, headDimension: 64, causal: false, blocks: (16, 32)),
            KernelCase(
                batch: 2, heads: 2, queryLength: 1, keyLength: 257, headDimension: 128, causal: true, blocks: (1, 100)),
            KernelCase(
                batch: 1, heads: 4, queryLength: 63, keyLength: 64, headDimension: 1, causal: false,
                blocks: (512, 512)),
        ]
        for testCase in cases {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            }
        }
    }

    /// flash2's causal triangle: query blocks wider than its 32-row groups, a triangle wider than
    /// the key block (several column chunks per group), causal offsets that are not multiples of
    /// 16 (the unmasked part is rounded down to 16), and a padding mask cutting into the triangle.
    func testCausalTriangleShapes() throws {
        let cases = [
            KernelCase(queryLength: 300, keyLength: 300, headDimension: 32, causal: true, blocks: (96, 16)),
            KernelCase(queryLength: 200, keyLength: 237, headDimension: 24, causal: true, blocks: (128, 48)),
            KernelCase(queryLength: 237, keyLength: 200, headDimension: 24, causal: true, blocks: (256, 256)),
            KernelCase(
                batch: 2, heads: 1, queryLength: 160, keyLength: 181, headDimension: 16, causal: true,
                validKeyLengths: [181, 95], blocks: (64, 32)),
        ]
        for testCase in cases {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            }
        }
    }

    func testPaddingMasks() throws {
        let cases = [
            KernelCase(
                batch: 3, heads: 2, queryLength: 65, keyLength: 130, headDimension: 16,
                validKeyLengths: [130, 1, 77], blocks: (32, 32)),
            KernelCase(
                batch: 2, heads: 2, queryLength: 130, keyLength: 130, headDimension: 64, causal: true,
                validKeyLengths: [64, 129], blocks: (64, 100)),
            KernelCase(
                batch: 2, heads: 1, queryLength: 1, keyLength: 257, headDimension: 80,
                validKeyLengths: [200, 3], blocks: (16, 16)),
        ]
        for testCase in cases {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            }
        }
    }

    func testMultipleThreads() throws {
        let cases = [
            KernelCase(
                batch: 1, heads: 1, queryLength: 257, keyLength: 257, headDimension: 64, causal: true, blocks: (32, 64),
                threads: 2),
            KernelCase(
                batch: 2, heads: 3, queryLength: 130, keyLength: 65, headDimension: 16, causal: false, blocks: (16, 16),
                threads: 2),
            KernelCase(
                batch: 2, heads: 4, queryLength: 1, keyLength: 257, headDimension: 64, causal: false, blocks: (1, 32),
                threads: 3),
        ]
        for testCase in cases {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            }
        }
    }

    /// Scores of magnitude about 1e4: no overflow, NaN or Inf, and still the right answer.
    func testLargeMagnitudeScores() throws {
        let cases = [
            KernelCase(
                queryLength: 65, keyLength: 130, headDimension: 64, causal: true, blocks: (16, 32), amplitude: 100,
                scale: 1),
            KernelCase(
                batch: 2, heads: 1, queryLength: 1, keyLength: 257, headDimension: 16, blocks: (1, 64), amplitude: 25,
                scale: 1),
        ]
        for testCase in cases {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.largeMagnitude)
            }
        }
    }

    /// Rows with no visible key yield zeros, never NaN.
    func testFullyMaskedRowsAreZero() throws {
        // Causal with Sq > Skv: the first Sq − Skv rows see nothing. Padding length 0 masks all.
        let cases = [
            KernelCase(
                batch: 2, heads: 1, queryLength: 70, keyLength: 20, headDimension: 16, causal: true,
                validKeyLengths: [20, 0], blocks: (16, 8))
        ]
        for testCase in cases {
            for variant in Self.variants {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
                let o = try output(of: variant, testCase)
                for c in 0..<16 {
                    XCTAssertEqual(o[0, 0, 0, c], 0, "\(variant) row 0 (no visible key) column \(c)")
                    XCTAssertEqual(o[1, 0, 69, c], 0, "\(variant) batch 1 (key length 0) column \(c)")
                }
                XCTAssertNotEqual(o[0, 0, 69, 0], 0, "\(variant): the last row sees every key")
            }
        }
    }

    func testNonDefaultScale() throws {
        let testCase = KernelCase(
            batch: 1, heads: 2, queryLength: 33, keyLength: 47, headDimension: 16, blocks: (8, 16), scale: 0.7)
        for variant in Self.variants { try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale) }
    }

    /// A wrongly masked kernel must fail the comparison: the harness can detect errors.
    func testReferenceComparisonDetectsAWrongMask() throws {
        let causal = try KernelCase(queryLength: 33, keyLength: 33, headDimension: 8, causal: true).problem()
        let full = try KernelCase(queryLength: 33, keyLength: 33, headDimension: 8, causal: false).problem()
        let (q, k, v) = KernelCase(queryLength: 33, keyLength: 33, headDimension: 8).inputs()
        let o = AttentionTensor(batch: 1, heads: 1, sequenceLength: 33, headDimension: 8)
        Flash2Attention(blockSizes: try BlockSizes(query: 8, key: 8)).run(
            full, query: q, key: k, value: v, output: o, threadCount: 1)
        let report = ReferenceAttention.compare(
            causal, query: q, key: k, value: v, output: o,
            rows: ReferenceAttention.rowsToCheck(causal))
        XCTAssertGreaterThan(report.maxAbsError, 1e-2)
    }
}
