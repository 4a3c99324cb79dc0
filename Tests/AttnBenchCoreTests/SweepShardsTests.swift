import AttnBenchCore
import XCTest

final class SweepShardsTests: XCTestCase {
    func testPartitionCoversEveryItemOnceAndBalancesWork() {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 7] {
            for size in [0, 1, 5, 40, 200] {
                let work = (0..<size).map { _ in Double.random(in: 0.1...10, using: &generator) }
                let shards = SweepShards.partition(work: work, shardCount: count)
                XCTAssertEqual(shards.count, count)
                XCTAssertEqual(shards.flatMap { $0 }.sorted(), Array(0..<size), "every item exactly once")
                for shard in shards { XCTAssertEqual(shard, shard.sorted(), "grid order kept") }
                let totals = shards.map { $0.reduce(0) { $0 + work[$1] } }
                // Longest-processing-time bound: no shard exceeds the lightest by more than the largest item.
                if let most = totals.max(), let least = totals.min(), let largest = work.max() {
                    XCTAssertLessThanOrEqual(most - least, largest + 1e-9)
                }
            }
        }
        XCTAssertEqual(
            SweepShards.partition(work: [5, 1, 1, 1, 1, 1], shardCount: 2), [[0], [1, 2, 3, 4, 5]],
            "balanced by work, not by index")
        XCTAssertEqual(
            SweepShards.partition(work: [3, 3, 3], shardCount: 2),
            SweepShards.partition(work: [3, 3, 3], shardCount: 2),
            "deterministic")
    }

    func testShardSyntax() throws {
        XCTAssertEqual(try ShardSelection(parsing: "2/4"), try ShardSelection(index: 2, count: 4))
        for bad in ["0/4", "5/4", "a/b", "1", "1/0", "-1/2", "1/2/3", ""] {
            XCTAssertThrowsError(try ShardSelection(parsing: bad), bad)
        }
    }
}
