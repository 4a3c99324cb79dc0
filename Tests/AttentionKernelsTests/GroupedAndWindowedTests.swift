import AttentionKernels
import XCTest

/// Grouped-query and multi-query attention and sliding windows, every variant against the
/// float64 reference.
final class GroupedAndWindowedTests: XCTestCase {
    func testGroupSizesOneTwoFourAndMultiQuery() throws {
        for (heads, kvHeads) in [(4, 4), (4, 2), (8, 2), (6, 1)] {
            for (queryLength, keyLength, causal) in [(37, 37, true), (1, 300, true), (5, 90, false), (1, 64, false)] {
                let testCase = KernelCase(
                    batch: 2, heads: heads, queryLength: queryLength, keyLength: keyLength, headDimension: 24,
                    causal: causal, keyValueHeads: kvHeads, blocks: (16, 32), threads: 2)
                for variant in AttentionVariant.allCases {
                    try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
                }
            }
        }
    }

    func testWindowsOfOneSmallerThanABlockAndLongerThanTheSequence() throws {
        for window in [1, 5, 31, 200] {
            for (queryLength, keyLength) in [(70, 70), (30, 95), (95, 30), (1, 130)] {
                let testCase = KernelCase(
                    batch: 1, heads: 2, queryLength: queryLength, keyLength: keyLength, headDimension: 16,
                    causal: true, window: window, blocks: (32, 16))
                for variant in AttentionVariant.allCases {
                    try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
                }
            }
        }
    }

    func testWindowWithPaddingGroupsAndOddHeadDimensions() throws {
        for d in [80, 96, 256] {
            let testCase = KernelCase(
                batch: 3, heads: 4, queryLength: 40, keyLength: 77, headDimension: d, causal: true,
                validKeyLengths: [77, 50, 0], keyValueHeads: 2, window: 24, blocks: (16, 16), threads: 2)
            for variant in AttentionVariant.allCases {
                try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            }
        }
    }

    /// Rows whose window holds only padded keys, and a batch element with no keys, give zeros.
    func testRowsWithNoVisibleKeyInTheirWindowAreZero() throws {
        let testCase = KernelCase(
            batch: 2, heads: 2, queryLength: 60, keyLength: 60, headDimension: 8, causal: true,
            validKeyLengths: [10, 0], keyValueHeads: 1, window: 8, blocks: (16, 16))
        for variant in AttentionVariant.allCases {
            try assertMatchesReference(variant, testCase, tolerance: Tolerance.unitScale)
            let o = try output(of: variant, testCase)
            for c in 0..<8 {
                XCTAssertEqual(o[0, 1, 30, c], 0, "\(variant): row 30 sees keys 23...30, all padded")
                XCTAssertEqual(o[1, 0, 5, c], 0, "\(variant): batch 1 has no keys")
            }
            XCTAssertNotEqual(o[0, 0, 12, 0], 0, "\(variant): row 12 sees keys 5...9")
        }
    }

    func testWindowedWorkCountsVisiblePairsOnly() throws {
        let problem = try AttentionProblem(
            batch: 1, heads: 2, queryLength: 100, keyLength: 100, headDimension: 8, window: 10)
        XCTAssertTrue(problem.causal, "a window is causal")
        // Rows 0…9 see 1…10 keys, rows 10…99 see 10: 55 + 900 pairs per head.
        XCTAssertEqual(problem.visiblePairCount, 2 * (55 + 900))
        XCTAssertEqual(problem.visibleKeySpan(batch: 0), 0..<100)
        let decode = try AttentionProblem(
            batch: 1, heads: 1, queryLength: 1, keyLength: 1000, headDimension: 8, window: 64)
        XCTAssertEqual(decode.visibleKeySpan(batch: 0), 936..<1000)
    }

    func testInvalidGroupsAndWindowsAreRefused() {
        XCTAssertThrowsError(
            try AttentionProblem(batch: 1, heads: 6, queryLength: 4, keyLength: 4, headDimension: 8, keyValueHeads: 4)
        ) {
            XCTAssertTrue("\($0)".contains("1, 2, 3, 6"), "\($0)")
        }
        XCTAssertThrowsError(
            try AttentionProblem(batch: 1, heads: 6, queryLength: 4, keyLength: 4, headDimension: 8, window: 0))
    }
}
