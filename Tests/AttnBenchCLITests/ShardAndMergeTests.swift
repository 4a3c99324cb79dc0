import AttnBenchCore
import Foundation
import XCTest

/// Sharded sweeps and `merge`: the shards of a grid, merged, are the grid.
final class ShardAndMergeTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try CommandRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func rows(_ name: String) throws -> [ResultRow] {
        try CSVCodec.parse(String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8), source: name)
    }

    /// The ci preset in two shards, merged, holds exactly the configurations of one unsharded
    /// run, and the shards' estimated work differs by less than 20%.
    func testCIPresetShardsMergeIntoTheWholeGrid() throws {
        // Repetitions and worker processes do not change the grid.
        let fast = ["--repetitions", "1", "--min-time", "0", "--warmup", "0", "--processes", "1"]
        var estimated: [Double] = []
        for shard in ["1/2", "2/2"] {
            let plan = try CommandRunner.run(
                ["sweep", "--preset", "ci", "--shard", shard, "--dry-run", "--processes", "1"], in: directory)
            XCTAssertEqual(plan.status, 0, plan.standardError)
            estimated.append(
                plan.standardOutput.split(separator: "\n").dropFirst()
                    .compactMap { Double($0.split(separator: "\t")[1]) }.reduce(0, +))
            let name = "shard-\(shard.prefix(1)).csv"
            let result = try CommandRunner.run(
                ["sweep", "--preset", "ci", "--shard", shard, "--output", name] + fast, in: directory)
            XCTAssertEqual(result.status, 0, result.standardError)
        }
        XCTAssertLessThan(
            abs(estimated[0] - estimated[1]) / max(estimated[0], estimated[1]), 0.2, "estimated work \(estimated)")
        let whole = try CommandRunner.run(["sweep", "--preset", "ci", "--output", "whole.csv"] + fast, in: directory)
        XCTAssertEqual(whole.status, 0, whole.standardError)
        let merged = try InProcess.run(["merge", "shard-1.csv", "shard-2.csv", "--output", "all.csv"], in: directory)
        XCTAssertEqual(merged.status, 0, merged.standardError)
        let mergedKeys = try rows("all.csv").map(\.configurationKey)
        let shardOne = Set(try rows("shard-1.csv").map(\.configurationKey))
        XCTAssertTrue(
            shardOne.isDisjoint(with: try rows("shard-2.csv").map(\.configurationKey)),
            "no configuration measured twice")
        XCTAssertEqual(mergedKeys.count, Set(mergedKeys).count)
        XCTAssertEqual(Set(mergedKeys), Set(try rows("whole.csv").map(\.configurationKey)))
        XCTAssertEqual(mergedKeys.count, try rows("whole.csv").count)
    }

    func testMergeRefusesBadInputAndWritesNothing() throws {
        let small = [
            "sweep", "--variants", "naive", "--seq-len", "32", "--heads", "1", "--repetitions", "1", "--min-time", "0",
        ]
        XCTAssertEqual(try CommandRunner.run(small + ["--output", "a.csv"], in: directory).status, 0)
        XCTAssertEqual(try CommandRunner.run(small + ["--output", "b.csv"], in: directory).status, 0)
        let text = try String(contentsOf: directory.appendingPathComponent("a.csv"), encoding: .utf8)
        try text.replacingOccurrences(of: "\n\(ResultColumn.currentSchemaVersion),", with: "\n1,").write(
            to: directory.appendingPathComponent("old.csv"), atomically: true, encoding: .utf8)
        try "".write(to: directory.appendingPathComponent("empty.csv"), atomically: true, encoding: .utf8)
        try (text.split(separator: "\n")[0] + "\n").write(
            to: directory.appendingPathComponent("header.csv"), atomically: true, encoding: .utf8)
        for (inputs, mentions) in [
            (["a.csv", "old.csv"], "schema_version 1"), (["a.csv", "empty.csv"], "empty.csv"),
            (["a.csv", "header.csv"], "no rows"), (["a.csv", "missing.csv"], "missing.csv"),
            (["a.csv", "b.csv"], "--keep-duplicates"), ([], "no input"),
        ] {
            let result = try InProcess.run(["merge"] + inputs + ["--output", "out.csv"], in: directory)
            XCTAssertEqual(result.status, 2, "\(inputs)")
            XCTAssertTrue(result.standardError.contains(mentions), "\(inputs): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.csv").path),
                "\(inputs) wrote a file")
        }
        let kept = try InProcess.run(
            ["merge", "a.csv", "b.csv", "--output", "out.csv", "--keep-duplicates"], in: directory)
        XCTAssertEqual(kept.status, 0, kept.standardError)
        XCTAssertEqual(try rows("out.csv").count, 2)
    }

    func testTwoMachinesStandSideBySideAndCompareShowsPerMachineRatios() throws {
        let small = [
            "sweep", "--variants", "naive,flash2", "--seq-len", "64", "--heads", "1", "--repetitions", "5",
            "--min-time", "0",
        ]
        XCTAssertEqual(try CommandRunner.run(small + ["--output", "a.csv"], in: directory).status, 0)
        // The same rows as measured on another machine: only the machine columns differ.
        var other = try rows("a.csv")
        for i in other.indices {
            other[i][.cpuModel] = "Other CPU"
            other[i][.openblasCore] = "Haswell"
        }
        try ([CSVCodec.headerLine()] + other.map { CSVCodec.line($0) }).joined(separator: "\n").appending("\n")
            .write(to: directory.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        let merged = try InProcess.run(["merge", "a.csv", "b.csv", "--output", "both.csv"], in: directory)
        XCTAssertEqual(merged.status, 0, merged.standardError)
        XCTAssertEqual(try rows("both.csv").count, 4, "rows of two machines are kept")
        let compared = try InProcess.run(
            ["compare", "a.csv", "b.csv", "--allow-different-machine", "--format", "markdown"], in: directory)
        XCTAssertEqual(compared.status, 0, compared.standardOutput + compared.standardError)
        XCTAssertTrue(compared.standardOutput.contains("#### Per machine"), compared.standardOutput)
        XCTAssertTrue(compared.standardOutput.contains("→ Other CPU"), compared.standardOutput)
        XCTAssertTrue(compared.standardOutput.contains("| 1.000 |"), compared.standardOutput)
    }

    /// merge --pool: runs of one configuration become one row holding each run's median.
    func testMergePoolsRunsOfOneConfiguration() throws {
        let small = [
            "sweep", "--variants", "naive,flash2", "--seq-len", "32", "--heads", "1", "--repetitions", "3",
            "--min-time", "0",
        ]
        XCTAssertEqual(try CommandRunner.run(small + ["--output", "r1.csv"], in: directory).status, 0)
        XCTAssertEqual(try CommandRunner.run(small + ["--output", "r2.csv"], in: directory).status, 0)
        let pooled = try InProcess.run(
            ["merge", "--pool", "r1.csv", "r2.csv", "--output", "pooled.csv"], in: directory)
        XCTAssertEqual(pooled.status, 0, pooled.standardError)
        let rows = try rows("pooled.csv")
        XCTAssertEqual(rows.map { $0[.variant] }, ["naive", "flash2"])
        for row in rows {
            XCTAssertEqual(row.processMediansSeconds.count, 2)
            XCTAssertEqual(row.rawWallTimesSeconds.count, 6)
            XCTAssertEqual(row.status, .ok)
        }
        let both = try InProcess.run(
            ["merge", "--pool", "--keep-duplicates", "r1.csv", "r2.csv", "--output", "x.csv"], in: directory)
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.standardError.contains("--pool"), both.standardError)
    }
}
