import AttentionKernels
import AttnBenchCore
import Foundation
import XCTest

final class SweepCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try CommandRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func rows(_ name: String) throws -> [ResultRow] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return try CSVCodec.parse(text, source: name)
    }

    static let fast = ["--repetitions", "2", "--min-time", "0", "--warmup", "0"]

    /// A small grid end to end: 4 variants × 2 lengths × 2 batches = 16 rows, all ok.
    func testGridSweepWritesSixteenOkRows() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--variants", "naive,chunked,flash1,flash2", "--seq-len", "256,300",
                "--block-size", "64", "--batch", "1,2", "--output", "r.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "", "CSV goes to the file, messages to stderr")
        let rows = try rows("r.csv")
        XCTAssertEqual(rows.count, 16)
        var seen = Set<String>()
        for row in rows {
            XCTAssertEqual(row[.status], "ok", row[.message])
            XCTAssertEqual(row[.kind], "time")
            XCTAssertGreaterThan(row.double(.wallTimeMedian) ?? 0, 0)
            XCTAssertGreaterThanOrEqual(row.double(.wallTimeMedian)!, row.double(.wallTimeMin)!)
            XCTAssertGreaterThan(row.double(.gflops) ?? 0, 0)
            XCTAssertGreaterThan(row.integer(.peakMemory) ?? -1, 0)
            XCTAssertLessThan(row.double(.maxAbsError)!, 1e-5)
            XCTAssertEqual(row.rawWallTimesSeconds.count, row.integer(.repetitions))
            XCTAssertFalse(row[.openblasCore].isEmpty)
            XCTAssertFalse(row[.cpuModel].isEmpty)
            XCTAssertEqual(row[.maxSeqLen], "")
            // The ceilings are sampled in the row's own process; each efficiency is its ratio.
            for (ceiling, efficiency) in [
                (ResultColumn.fmaPeakGflops, ResultColumn.peakEfficiency),
                (.sgemmPeakGflops, .sgemmEfficiency), (.gemmRooflineGflops, .gemmRooflineEfficiency),
            ] {
                let value = try XCTUnwrap(row.double(ceiling), "\(ceiling.rawValue) missing")
                XCTAssertGreaterThan(value, 1)
                XCTAssertEqual(
                    row.double(efficiency)!, row.double(.gflops)! / value,
                    accuracy: 0.002 * row.double(efficiency)! + 1e-4)
            }
            XCTAssertTrue(["128", "256", "512"].contains(row[.cpuVectorBits]))
            XCTAssertEqual(row[.memoryReadRate], "", "memory-read bandwidth is sampled for decode shapes only")
            if row[.variant] == "naive" { XCTAssertEqual(row[.blockQ], "") } else { XCTAssertEqual(row[.blockQ], "64") }
            seen.insert("\(row[.variant])/\(row[.seqLenKV])/\(row[.batch])")
        }
        XCTAssertEqual(seen.count, 16)
    }

    /// Element types end to end: each (dtype, kv_dtype) pair is its own row, ok within its type's
    /// tolerance; kv_bytes follow the stored type; bf16 products carry their own peak.
    func testElementTypesAreRowsOfTheirOwn() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--variants", "flash2,fused", "--seq-len", "64", "--query-len", "seq,1", "--heads", "2",
                "--dtype", "f32,bf16", "--kv-dtype", "same,q8_0", "--output", "t.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try rows("t.csv")
        XCTAssertEqual(rows.count, 2 * 2 * 2 * 2)
        XCTAssertEqual(Set(rows.map(\.configurationKey)).count, rows.count, "types are part of the key")
        for row in rows {
            XCTAssertEqual(row[.status], "ok", row[.message])
            let cache = try XCTUnwrap(ElementType(rawValue: row[.keyValueElementType]))
            // K and V, 2 K/V heads, every key visible, head_dim 64.
            XCTAssertEqual(
                row.integer(.keyValueBytes), 2 * 2 * row.integer(.seqLenKV)! * cache.rowBytes(64), row.configurationKey)
            let bf16Products = row[.kernelTile].hasSuffix("avx512bf16")
            XCTAssertEqual(row[.bfloat16DotPeakGflops].isEmpty, !bf16Products, row.configurationKey)
            let tolerance = CorrectnessTolerance.perUnitValue(
                outputType: ElementType(rawValue: row[.elementType])!, productsInBFloat16: bf16Products)
            XCTAssertLessThanOrEqual(row.double(.maxAbsError)!, tolerance)
        }
    }

    func testStdoutCSVAndDecodeShapes() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--seq-len", "100", "--query-len", "1", "--heads", "2", "--threads", "1",
                "--causal", "both",
            ] + Self.fast, in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try CSVCodec.parse(result.standardOutput, source: "stdout")
        // Default variants at a decode shape include decode: 6 variants × 2 causal settings.
        XCTAssertEqual(Set(rows.map { $0[.variant] }), ["naive", "chunked", "flash1", "flash2", "decode", "fused"])
        XCTAssertEqual(rows.count, 12)
        XCTAssertTrue(rows.allSatisfy { $0[.status] == "ok" && $0[.seqLenQ] == "1" && $0[.seqLenKV] == "100" })
        for row in rows {
            let bandwidth = try XCTUnwrap(row.double(.memoryReadRate), "decode shapes carry memory_read_gbps")
            XCTAssertGreaterThan(bandwidth, 0)
            XCTAssertEqual(
                row.double(.bandwidthEfficiency)!, row.double(.keyValueReadRate)! / bandwidth,
                accuracy: 0.002 * row.double(.bandwidthEfficiency)! + 1e-4)
        }
    }

    /// `--layer` fills the layer columns of prefill and decode rows in the attention's worker.
    func testLayerColumnsBesideTheAttention() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--model", "bert-base", "--layer", "--variants", "flash2", "--seq-len", "40",
                "--query-len", "seq,1", "--output", "r.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try rows("r.csv")
        XCTAssertEqual(rows.map(\.[.seqLenQ]), ["40", "1"])
        for row in rows {
            XCTAssertEqual(row[.status], "ok", row[.message])
            XCTAssertEqual(row[.layerDType], "f32")
            let tokens = Double(row.integer(.seqLenQ)!)
            XCTAssertEqual(row.double(.layerGemmFlops), 2 * tokens * Double(4 * 768 * 768 + 2 * 768 * 3072))
            XCTAssertEqual(row.integer(.layerWeightBytes), 4 * (4 * 768 * 768 + 2 * 768 * 3072))
            let layer = try XCTUnwrap(row.double(.layerGemmTime))
            XCTAssertEqual(row.numbers(.layerGemmTimes).count, row.integer(.repetitions))
            let attention = try XCTUnwrap(row.double(.wallTimeMedian))
            XCTAssertEqual(try XCTUnwrap(row.double(.attentionShare)), attention / (attention + layer), accuracy: 1e-3)
        }
        XCTAssertEqual(rows[0][.tokenTime], "", "a prefill row has no token time")
        let head = try XCTUnwrap(rows[1].double(.outputHeadTime))
        let share = try XCTUnwrap(rows[1].double(.wallTimeMedian)) + XCTUnwrap(rows[1].double(.layerGemmTime))
        XCTAssertEqual(
            try XCTUnwrap(rows[1].double(.tokenTime)), 12 * share + head, accuracy: 1e-3 * (12 * share + head))
    }

    func testNaiveStrategiesAreMeasuredSideBySide() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--variants", "naive,flash2", "--seq-len", "64", "--heads", "1", "--threads", "2",
                "--naive-strategy", "auto,slices,blas", "--output", "r.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try rows("r.csv")
        XCTAssertEqual(rows.map { $0[.naiveStrategy] }, ["auto:blas", "slices", "blas", ""])
        XCTAssertEqual(Set(rows.map(\.configurationKey)).count, 4)
        XCTAssertTrue(rows.allSatisfy { $0[.status] == "ok" })
    }

    func testResumeSkipsMeasuredConfigurations() throws {
        let first = try CommandRunner.run(
            [
                "sweep", "--variants", "naive,flash2", "--seq-len", "64", "--heads", "1",
                "--output", "r.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(first.status, 0, first.standardError)
        let before = try rows("r.csv")
        XCTAssertEqual(before.count, 2)
        let second = try CommandRunner.run(
            [
                "sweep", "--variants", "naive,flash2,chunked", "--seq-len", "64", "--heads", "1",
                "--output", "r.csv", "--resume",
            ] + Self.fast, in: directory)
        XCTAssertEqual(second.status, 0, second.standardError)
        let after = try rows("r.csv")
        XCTAssertEqual(after.count, 3)
        XCTAssertEqual(Array(after.prefix(2)), before, "measured rows are kept as they were")
        XCTAssertEqual(after[2][.variant], "chunked")
        XCTAssertTrue(second.standardError.contains("skipped"))
    }

    func testResumeRefusesAnotherColumnLayoutAndAcceptsCRLF() throws {
        let first = try CommandRunner.run(
            [
                "sweep", "--variants", "naive", "--seq-len", "32", "--heads", "1",
                "--output", "r.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(first.status, 0, first.standardError)
        let url = directory.appendingPathComponent("r.csv")
        let records = CSVCodec.records(try String(contentsOf: url, encoding: .utf8))
        let reversed =
            records.map { $0.reversed().map(CSVCodec.escape).joined(separator: ",") }.joined(separator: "\n") + "\n"
        try reversed.write(to: directory.appendingPathComponent("reversed.csv"), atomically: true, encoding: .utf8)
        let refused = try CommandRunner.run(
            [
                "sweep", "--variants", "naive", "--seq-len", "32", "--heads", "1",
                "--output", "reversed.csv", "--resume",
            ] + Self.fast, in: directory)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.standardError.contains("column order"), refused.standardError)
        let crlf = records.map { $0.map(CSVCodec.escape).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        try crlf.write(to: url, atomically: true, encoding: .utf8)
        let resumed = try CommandRunner.run(
            [
                "sweep", "--variants", "naive,flash2", "--seq-len", "32", "--heads", "1",
                "--output", "r.csv", "--resume",
            ] + Self.fast, in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        XCTAssertEqual(try rows("r.csv").map { $0[.variant] }, ["naive", "flash2"])
    }

    /// block_auto is true only when the rule chose both sizes; an explicit axis is recorded as set.
    func testBlockAutoOnlyWhenTheRuleChoseBothAxes() throws {
        let base =
            ["sweep", "--variants", "naive,flash2", "--seq-len", "200", "--heads", "1", "--threads", "1"] + Self.fast
        let rule = BlockSizes.automatic(queryLength: 200, keyLength: 200, headDimension: 64)
        for (flags, expected) in [
            ([String](), ("\(rule.query)", "\(rule.key)", "true")),
            (["--block-q", "32"], ("32", "\(rule.key)", "false")),
            (["--block-q", "auto", "--block-kv", "48"], ("\(rule.query)", "48", "false")),
            (["--block-size", "16"], ("16", "16", "false")),
        ] {
            let result = try CommandRunner.run(base + flags + ["--output", "b.csv"], in: directory)
            XCTAssertEqual(result.status, 0, result.standardError)
            let written = try rows("b.csv")
            XCTAssertEqual(written.first?[.blockQ], "", "naive has no blocks")
            XCTAssertEqual(written.first?[.blockAuto], "")
            let flash2 = try XCTUnwrap(written.first { $0[.variant] == "flash2" })
            XCTAssertEqual(flash2[.blockQ], expected.0, "\(flags)")
            XCTAssertEqual(flash2[.blockKV], expected.1, "\(flags)")
            XCTAssertEqual(flash2[.blockAuto], expected.2, "\(flags)")
        }
    }

    /// A crash while a row was being written leaves a last row without its newline: --resume
    /// drops it (saying so), measures that configuration again and keeps every complete row.
    func testResumeDropsARowCutOffMidWrite() throws {
        let arguments =
            ["sweep", "--variants", "naive,flash2,chunked", "--seq-len", "32", "--heads", "1", "--output", "r.csv"]
            + Self.fast
        let first = try CommandRunner.run(arguments, in: directory)
        XCTAssertEqual(first.status, 0, first.standardError)
        let url = directory.appendingPathComponent("r.csv")
        let complete = try String(contentsOf: url, encoding: .utf8)
        let lines = complete.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 5, "header, three rows, final newline")
        for cut in [1, 40, lines[3].count - 1] {
            // The last row loses its tail (and its newline), as after a crash mid-write.
            let kept: String = lines[0...2].joined(separator: "\n")
            let truncated: String = kept + "\n" + String(lines[3].prefix(cut))
            try truncated.write(to: url, atomically: true, encoding: .utf8)
            let resumed = try CommandRunner.run(arguments + ["--resume"], in: directory)
            XCTAssertEqual(resumed.status, 0, resumed.standardError)
            XCTAssertTrue(resumed.standardError.contains("cut off"), resumed.standardError)
            let after = try rows("r.csv")
            XCTAssertEqual(after.map { $0[.variant] }, ["naive", "flash2", "chunked"], "cut at \(cut)")
            XCTAssertEqual(
                after.prefix(2).map(\.resumeKey), try CSVCodec.parse(complete, source: "r").prefix(2).map(\.resumeKey))
            XCTAssertTrue(after.allSatisfy { $0.status == .ok })
        }
        // A malformed row that is not the last one is still refused.
        let damaged: String =
            [String(lines[0]), String(lines[1].prefix(30)), String(lines[2])].joined(separator: "\n") + "\n"
        try damaged.write(to: url, atomically: true, encoding: .utf8)
        let refused = try CommandRunner.run(arguments + ["--resume"], in: directory)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.standardError.contains("row 2"), refused.standardError)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), damaged, "a refused file is left as it was")
    }

    /// Killing a sweep mid-way leaves a valid CSV of the finished rows; --resume completes it.
    func testInterruptedSweepLeavesValidCSVAndResumes() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.currentDirectoryURL = directory
        let arguments = [
            "sweep", "--variants", "naive,flash2", "--seq-len", "32,48,64,80,96,112,128,144", "--heads", "1",
            "--output", "r.csv", "--repetitions", "3", "--min-time", "0.05",
        ]
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        let path = directory.appendingPathComponent("r.csv").path
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.split(separator: "\n").count >= 3 {
                break
            }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let partial = try rows("r.csv")
        XCTAssertGreaterThanOrEqual(partial.count, 2)
        XCTAssertLessThan(partial.count, 16, "the sweep should have been interrupted")
        XCTAssertTrue(partial.allSatisfy { $0[.status] == "ok" })
        let resumed = try CommandRunner.run(arguments + ["--resume"], in: directory)
        XCTAssertEqual(resumed.status, 0, resumed.standardError)
        let complete = try rows("r.csv")
        XCTAssertEqual(complete.count, 16)
        XCTAssertEqual(Set(complete.map(\.configurationKey)).count, 16)
    }

    /// Each configuration is measured in its own process: a small one after a large one
    /// reports its own peak.
    func testPeakMemoryIsPerConfiguration() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--variants", "naive", "--seq-len", "2k,128", "--heads", "4",
                "--output", "r.csv",
            ] + Self.fast, in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try rows("r.csv")
        XCTAssertEqual(rows.map { $0[.seqLenKV] }, ["2048", "128"])
        let large = rows[0].integer(.peakMemory)!
        let small = rows[1].integer(.peakMemory)!
        XCTAssertGreaterThan(large, 60 << 20)
        XCTAssertLessThan(small, rows[1].integer(.workspace)! + (3 << 20))
    }

    func testMaxLenUsesRealCapsAndMatchesTheQuadraticLimit() throws {
        let result = try CommandRunner.run(
            [
                "maxlen", "--variants", "naive,flash2", "--heads", "1", "--head-dim", "64",
                "--memory-budget", "64MiB", "--time-budget", "5", "--threads", "1", "--output", "m.csv",
            ],
            in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let rows = try rows("m.csv")
        XCTAssertEqual(rows.count, 2)
        let naive = rows.first { $0[.variant] == "naive" }!
        XCTAssertEqual(naive[.kind], "maxlen")
        XCTAssertEqual(naive[.maxSeqLenBound], "memory")
        XCTAssertEqual(naive.integer(.memoryBudget), 64 << 20)
        // Inputs and output (4·N·d floats) plus scores (N² floats) must fit the budget.
        let budget = Double(64 << 20) / 4
        let limit = Int((-256.0 + (256.0 * 256 + 4 * budget).squareRoot()) / 2)
        let found = naive.integer(.maxSeqLen)!
        let step = naive.integer(.maxSeqLenResolution)!
        XCTAssertLessThanOrEqual(found, limit)
        XCTAssertLessThanOrEqual(limit - found, step, "naive found \(found), quadratic limit \(limit), step \(step)")
        let flash = rows.first { $0[.variant] == "flash2" }!
        let flashLength = flash.integer(.maxSeqLen)!
        XCTAssertTrue(
            flashLength >= 8 * found || flash[.maxSeqLenBound] == "time",
            "flash2 reached \(flashLength) (\(flash[.maxSeqLenBound])) vs naive \(found)")
    }
}
