import AttnBenchCore
import Foundation
import XCTest

/// The quick preset end to end: the configurations it writes, and a gate that sees a slowdown.
final class QuickPresetTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try CommandRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Columns that are measured, or describe the machine and the run, rather than the configuration.
    static let measuredColumns: Set<ResultColumn> = [
        .repetitions, .wallTimeMedian, .wallTimeMin, .wallTimeP90, .wallTimeMax, .wallTimeMean, .wallTimeIQR,
        .wallTimeRelativeIQR, .noisy, .gflops, .fmaPeakGflops, .bfloat16DotPeakGflops, .sgemmPeakGflops,
        .gemmRooflineGflops, .peakEfficiency,
        .sgemmEfficiency, .gemmRooflineEfficiency, .keyValueReadRate, .memoryReadRate, .bandwidthEfficiency,
        .peakMemory, .maxAbsError, .wallTimes, .processMedians, .attnbenchVersion, .gitCommit, .dateUTC, .hostname,
        .cpuModel, .cpuCores, .cpuVectorBits, .kernelTile, .openblasVersion, .openblasCore, .openblasConfig,
        .openblasThreads,
        .openblasEnvironment,
    ]

    /// The automatic block rule follows the L2 size, so these follow the machine's cache; the
    /// workspace follows the blocks.
    static let blockColumns: Set<ResultColumn> = [.blockQ, .blockKV, .workspace]

    /// Every configuration column of a quick-preset sweep equals the checked-in CSV's, row by row
    /// and in order; block sizes and the workspace are compared where the L2 rule chose the same.
    func testQuickPresetWritesTheCheckedInConfigurations() throws {
        let fixture = CommandRunner.packageRoot.appendingPathComponent("Tests/Fixtures/quick-preset-configurations.csv")
        let expected = try CSVCodec.parse(String(contentsOf: fixture, encoding: .utf8), source: "fixture")
        let result = try CommandRunner.run(
            [
                "sweep", "--preset", "quick", "--threads", "2", "--warmup", "0", "--repetitions", "1", "--min-time",
                "0",
                "--output", "q.csv",
            ], in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let text = try String(contentsOf: directory.appendingPathComponent("q.csv"), encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").first.map(String.init), CSVCodec.headerLine())
        let rows = try CSVCodec.parse(text, source: "q.csv")
        XCTAssertEqual(rows.count, expected.count)
        for (index, (row, want)) in zip(rows, expected).enumerated() {
            let sameBlocks = row[.blockQ] == want[.blockQ] && row[.blockKV] == want[.blockKV]
            for column in ResultColumn.allCases where !Self.measuredColumns.contains(column) {
                if Self.blockColumns.contains(column) && !sameBlocks { continue }
                XCTAssertEqual(row[column], want[column], "row \(index + 1), \(column.rawValue)")
            }
        }
    }

    /// A real quick run, then the same rows with every sample 1.3× slower: compare calls every
    /// timed row a regression and exits 1.
    func testCompareCallsA30PercentSlowdownOfAQuickRunARegressionOnEveryRow() throws {
        let run = try CommandRunner.run(["sweep", "--preset", "quick", "--output", "base.csv"], in: directory)
        XCTAssertEqual(run.status, 0, run.standardError)
        let base = try CSVCodec.parse(
            String(contentsOf: directory.appendingPathComponent("base.csv"), encoding: .utf8), source: "base.csv")
        let slow = base.map { Self.slowedDown($0, by: 1.3) }
        let text = ([CSVCodec.headerLine()] + slow.map { CSVCodec.line($0) }).joined(separator: "\n") + "\n"
        try text.write(to: directory.appendingPathComponent("slow.csv"), atomically: true, encoding: .utf8)
        let compare = try CommandRunner.run(["compare", "base.csv", "slow.csv", "--format", "csv"], in: directory)
        XCTAssertEqual(compare.status, 1, compare.standardOutput + compare.standardError)
        let verdicts = CSVCodec.records(compare.standardOutput)
        let header = try XCTUnwrap(verdicts.first)
        let verdict = try XCTUnwrap(header.firstIndex(of: "verdict"))
        let rows = verdicts.dropFirst().filter { $0.count == header.count }
        XCTAssertEqual(rows.count, base.count)
        for row in rows {
            XCTAssertEqual(row[verdict], "regression", row.joined(separator: ","))
        }
    }

    /// The row with every time multiplied by `factor`.
    static func slowedDown(_ row: ResultRow, by factor: Double) -> ResultRow {
        var slow = row
        for column in [
            ResultColumn.wallTimeMedian, .wallTimeMin, .wallTimeP90, .wallTimeMax, .wallTimeMean, .wallTimeIQR,
        ] {
            if let value = row.double(column) { slow[column] = CSVNumber.seconds(value * factor) }
        }
        slow[.wallTimes] = row.rawWallTimesSeconds.map { CSVNumber.seconds($0 * factor) }.joined(separator: " ")
        slow[.processMedians] = row.processMediansSeconds.map { CSVNumber.seconds($0 * factor) }.joined(separator: " ")
        return slow
    }
}
