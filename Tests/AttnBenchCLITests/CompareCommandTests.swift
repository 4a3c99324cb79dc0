import AttnBenchCLI
import AttnBenchCore
import Foundation
import XCTest

final class CompareCommandTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try CommandRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write(_ name: String, _ rows: [ResultRow]) throws { try CompareFixtures.write(name, rows, in: directory) }
    func row(samples: [Double], peak: Int = 1 << 20) -> ResultRow { CompareFixtures.row(samples: samples, peak: peak) }
}

/// Timed rows with given raw samples, written as attnbench CSVs.
enum CompareFixtures {
    static func write(_ name: String, _ rows: [ResultRow], in directory: URL) throws {
        let text = ([CSVCodec.headerLine()] + rows.map { CSVCodec.line($0) }).joined(separator: "\n") + "\n"
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    static func row(samples: [Double], peak: Int = 1 << 20) -> ResultRow {
        var r = ResultRow()
        r[.kind] = "time"
        r[.variant] = "naive"
        r[.batch] = "1"
        r[.heads] = "8"
        r[.seqLenQ] = "512"
        r[.seqLenKV] = "512"
        r[.headDim] = "64"
        r[.causal] = "false"
        r[.threads] = "2"
        r[.blasCoreRequested] = "env"
        r[.status] = "ok"
        r[.cpuModel] = "cpu"
        r[.cpuCores] = "2"
        r[.openblasCore] = "Haswell"
        r[.peakMemory] = "\(peak)"
        r[.wallTimes] = samples.map { "\($0)" }.joined(separator: " ")
        r[.wallTimeMedian] = "\(TimingStatistics(samplesSeconds: samples)!.medianSeconds)"
        return r
    }
}

extension CompareCommandTests {

    func testExitCodesAndFormats() throws {
        let base = [0.0100, 0.0101, 0.0099, 0.0102, 0.0100, 0.0098, 0.0101]
        try write("base.csv", [row(samples: base)])
        try write("same.csv", [row(samples: base.map { $0 * 1.01 })])
        try write("slow.csv", [row(samples: base.map { $0 * 1.2 })])
        let ok = try InProcess.run(["compare", "base.csv", "same.csv"], in: directory)
        XCTAssertEqual(ok.status, 0, ok.standardError)
        XCTAssertTrue(ok.standardOutput.contains("unchanged"))
        let slow = try InProcess.run(["compare", "base.csv", "slow.csv", "--format", "markdown"], in: directory)
        XCTAssertEqual(slow.status, 1)
        XCTAssertTrue(slow.standardOutput.contains("| configuration | verdict |"))
        XCTAssertTrue(slow.standardOutput.contains("regression"))
        let csv = try InProcess.run(["compare", "base.csv", "slow.csv", "--format", "csv"], in: directory)
        XCTAssertEqual(csv.status, 1)
        XCTAssertTrue(csv.standardOutput.hasPrefix("configuration,verdict,"))
        let loose = try InProcess.run(["compare", "base.csv", "slow.csv", "--threshold", "0.5"], in: directory)
        XCTAssertEqual(loose.status, 0)
    }

    /// `compare base.csv <current>` exits 2 and says what is wrong.
    func assertUnusable(_ current: String, mentions: String, file: StaticString = #filePath, line: UInt = #line) throws
    {
        let result = try InProcess.run(["compare", "base.csv", current], in: directory)
        XCTAssertEqual(result.status, 2, file: file, line: line)
        XCTAssertTrue(result.standardError.contains(mentions), result.standardError, file: file, line: line)
    }

    func testUnusableInputExitsTwo() throws {
        try write("base.csv", [row(samples: [0.01, 0.01, 0.01])])
        var old = row(samples: [0.01, 0.01, 0.01])
        old[.schemaVersion] = "1"
        try write("old.csv", [old])
        try assertUnusable("old.csv", mentions: "schema_version 1")
        try assertUnusable("old.csv", mentions: "re-run the sweep with this attnbench")
        try assertUnusable("nope.csv", mentions: "nope.csv")
        // A current CSV without its median column cannot pass as "no regression".
        let text = try String(contentsOf: directory.appendingPathComponent("base.csv"), encoding: .utf8)
        let records = CSVCodec.records(text)
        let drop = records[0].firstIndex(of: "wall_time_median_s")!
        let stripped = records.map { r in
            r.enumerated().filter { $0.offset != drop }.map { CSVCodec.escape($0.element) }.joined(separator: ",")
        }
        try (stripped.joined(separator: "\n") + "\n").write(
            to: directory.appendingPathComponent("nomedian.csv"), atomically: true, encoding: .utf8)
        try assertUnusable("nomedian.csv", mentions: "wall_time_median_s")
        var garbage = row(samples: [0.01, 0.01, 0.01])
        garbage[.wallTimeMedian] = "abc"
        try write("garbage.csv", [garbage])
        try assertUnusable("garbage.csv", mentions: "'abc'")
        var other = row(samples: [0.01, 0.01, 0.01])
        other[.seqLenKV] = "4096"
        try write("other.csv", [other])
        try assertUnusable("other.csv", mentions: "nothing to match")
    }
}

/// The presets run enough repetitions that `compare` can see a real slowdown.
final class PresetPowerTests: XCTestCase {
    func testA30PercentSlowdownAtThePresetsRepetitionCountsIsARegression() throws {
        let directory = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in [SweepPreset.quick, .ci] {
            let n = name.grid.timing.minimumRepetitions
            // ±3% spread around 10 ms, then the same samples 1.3× slower.
            let base = (0..<n).map { 0.010 * (1 + 0.03 * sin(Double($0) * 2.1)) }
            try CompareFixtures.write("base.csv", [CompareFixtures.row(samples: base)], in: directory)
            try CompareFixtures.write("slow.csv", [CompareFixtures.row(samples: base.map { $0 * 1.3 })], in: directory)
            let result = try InProcess.run(["compare", "base.csv", "slow.csv"], in: directory)
            XCTAssertEqual(result.status, 1, "\(name) preset, \(n) repetitions: \(result.standardOutput)")
            XCTAssertTrue(result.standardOutput.contains("regression"))
        }
    }

    func testRowsThatCannotReachAlphaAreNamed() throws {
        let directory = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try CompareFixtures.write("base.csv", [CompareFixtures.row(samples: [0.010, 0.011, 0.0105])], in: directory)
        try CompareFixtures.write("slow.csv", [CompareFixtures.row(samples: [0.013, 0.0143, 0.0137])], in: directory)
        let result = try InProcess.run(["compare", "base.csv", "slow.csv"], in: directory)
        XCTAssertEqual(result.status, 0, "3 against 3 cannot support a regression at α = 0.05")
        XCTAssertTrue(result.standardOutput.contains("noisy"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("cannot reach p < 0.05"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("3 vs 3 repetitions"), result.standardOutput)
    }
}
