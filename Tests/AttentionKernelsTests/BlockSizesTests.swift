import AttentionKernels
import Foundation
import XCTest

/// The automatic block rule and the validation every block size passes.
final class BlockSizesTests: XCTestCase {
    func testAutomaticBlocksFollowTheL2Rule() {
        let l2 = 512 << 10
        func blocks(_ d: Int, n: Int = 4096, q: Int? = nil, l2: Int = 512 << 10) -> [Int] {
            let b = BlockSizes.automatic(queryLength: q ?? n, keyLength: n, headDimension: d, level2CacheBytes: l2)
            return [b.query, b.key]
        }
        XCTAssertEqual(blocks(64, l2: l2), [256, 512])
        XCTAssertEqual(blocks(128, l2: l2), [256, 256])
        XCTAssertEqual(blocks(32, l2: l2), [128, 1024])
        XCTAssertEqual(blocks(256, l2: l2), [256, 128])
        XCTAssertEqual(blocks(80, l2: l2), [256, 256], "L2/(16·80) = 409 rounds down to 256 keys")
        XCTAssertEqual(blocks(64, l2: 1 << 20), [256, 1024])
        XCTAssertEqual(blocks(64, l2: 128 << 10), [256, 128])
        XCTAssertEqual(blocks(64, l2: 1), [256, 64], "an L2 under 64 KiB is treated as 64 KiB")
        XCTAssertEqual(blocks(64, n: 100), [32, 100], "blocks never exceed the problem; at least 4 query blocks")
        XCTAssertEqual(blocks(64, n: 512), [128, 512], "N = 512: four 128-row blocks")
        XCTAssertEqual(blocks(64, n: 1024), [256, 512])
        XCTAssertEqual(blocks(64, n: 20), [20, 20], "never below 32 rows, never above N")
        XCTAssertEqual(blocks(128, n: 65536, q: 1), [1, 1024], "decode: one query block, 1024 keys")
    }

    func testSizesBelowOneAreRefusedAlsoWhenDecoded() throws {
        XCTAssertThrowsError(try BlockSizes(query: 0, key: 64))
        XCTAssertThrowsError(try BlockSizes(query: 64, key: -1))
        let decoded = try JSONDecoder().decode(BlockSizes.self, from: Data(#"{"query":64,"key":128}"#.utf8))
        XCTAssertEqual([decoded.query, decoded.key], [64, 128])
        XCTAssertThrowsError(try JSONDecoder().decode(BlockSizes.self, from: Data(#"{"query":0,"key":128}"#.utf8)))
    }

    func testBlocksAreClippedToTheProblem() throws {
        let problem = try AttentionProblem(batch: 1, heads: 1, queryLength: 7, keyLength: 300, headDimension: 8)
        let clipped = try BlockSizes(query: 64, key: 512).clipped(to: problem)
        XCTAssertEqual([clipped.query, clipped.key], [7, 300])
    }
}
