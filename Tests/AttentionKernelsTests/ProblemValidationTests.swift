import AttentionKernels
import XCTest

final class ProblemValidationTests: XCTestCase {
    func testRejectsBadShapesWithMessages() {
        XCTAssertThrowsError(try AttentionProblem(batch: 1, heads: 1, queryLength: 0, keyLength: 4, headDimension: 8)) {
            XCTAssertEqual("\($0)", "query length must be at least 1, got 0")
        }
        XCTAssertThrowsError(
            try AttentionProblem(
                batch: 2, heads: 1, queryLength: 4, keyLength: 4, headDimension: 8,
                validKeyLengths: [4])
        ) {
            XCTAssertEqual("\($0)", "key lengths: got 1 values, expected one per batch element (2)")
        }
        XCTAssertThrowsError(
            try AttentionProblem(
                batch: 1, heads: 1, queryLength: 4, keyLength: 4, headDimension: 8,
                validKeyLengths: [5])
        ) {
            XCTAssertEqual(
                "\($0)", "key lengths: value 5 for batch element 0 is outside 0...4 (the key sequence length)")
        }
        XCTAssertThrowsError(try BlockSizes(query: 0, key: 4)) {
            XCTAssertEqual("\($0)", "query block size must be at least 1, got 0")
        }
    }

    func testCausalAlignmentAndPairCount() throws {
        // Sq = 2, Skv = 5: row 0 sees keys 0...3, row 1 sees 0...4.
        let p = try AttentionProblem(batch: 1, heads: 3, queryLength: 2, keyLength: 5, headDimension: 4, causal: true)
        XCTAssertEqual(p.visibleKeyEnd(batch: 0, row: 0), 4)
        XCTAssertEqual(p.visibleKeyEnd(batch: 0, row: 1), 5)
        XCTAssertEqual(p.visiblePairCount, 3 * (4 + 5))
        let square = try AttentionProblem(
            batch: 2, heads: 1, queryLength: 4, keyLength: 4, headDimension: 4, causal: true,
            validKeyLengths: [4, 2])
        XCTAssertEqual(square.visiblePairCount, (1 + 2 + 3 + 4) + (1 + 2 + 2 + 2))
        XCTAssertEqual(
            try AttentionProblem(batch: 1, heads: 1, queryLength: 4, keyLength: 4, headDimension: 16).scale, 0.25)
    }
}
