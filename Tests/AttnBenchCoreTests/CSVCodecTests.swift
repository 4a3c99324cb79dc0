import AttnBenchCore
import XCTest

final class CSVCodecTests: XCTestCase {
    func testRoundTripWithQuotedFields() throws {
        var row = ResultRow()
        row[.variant] = "flash2"
        row[.kind] = "time"
        row[.message] = "killed by signal 9, \"OOM\"\nsecond line"
        row[.wallTimes] = "0.1 0.2 0.3"
        let text = CSVCodec.headerLine() + "\n" + CSVCodec.line(row) + "\n"
        let rows = try CSVCodec.parse(text, source: "r.csv")
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0][.message], row[.message])
        XCTAssertEqual(rows[0].rawWallTimesSeconds, [0.1, 0.2, 0.3])
        XCTAssertEqual(rows[0][.schemaVersion], ResultColumn.currentSchemaVersion)
        XCTAssertEqual(rows[0].configurationKey, row.configurationKey)
    }

    func testByteOrderMarkIsIgnored() throws {
        var row = ResultRow()
        row[.variant] = "naive"
        let text = "\u{FEFF}" + CSVCodec.headerLine() + "\r\n" + CSVCodec.line(row) + "\r\n"
        XCTAssertEqual(try CSVCodec.parse(text, source: "excel.csv").map { $0[.variant] }, ["naive"])
    }

    func testHeaderHasEveryRequiredColumn() {
        let header = CSVCodec.headerLine().split(separator: ",").map(String.init)
        for name in [
            "variant", "batch", "heads", "seq_len_q", "seq_len_kv", "head_dim", "block_q", "block_kv", "causal",
            "threads", "repetitions", "wall_time_median_s", "wall_time_min_s", "gflops", "peak_memory_bytes",
            "max_seq_len", "max_abs_error", "status", "workspace_bytes", "memory_budget_bytes",
            "max_seq_len_bound", "fma_peak_gflops", "sgemm_peak_gflops", "gemm_roofline_gflops", "peak_efficiency",
            "sgemm_efficiency", "gemm_roofline_efficiency", "kv_heads", "window", "model", "openblas_core", "seed",
        ] {
            XCTAssertTrue(header.contains(name), "missing column \(name)")
        }
    }

    func testRejectsOtherSchemaVersionsAndForeignFiles() {
        var row = ResultRow()
        row[.schemaVersion] = "0"
        let text = CSVCodec.headerLine() + "\n" + CSVCodec.line(row) + "\n"
        XCTAssertThrowsError(try CSVCodec.parse(text, source: "old.csv")) {
            XCTAssertEqual(
                "\($0)",
                "old.csv: invalid value 'schema_version 0'; expected schema_version "
                    + "\(ResultColumn.currentSchemaVersion) (re-run the sweep with this attnbench)"
            )
        }
        XCTAssertThrowsError(try CSVCodec.parse("a,b\n1,2\n", source: "other.csv"))
        XCTAssertThrowsError(try CSVCodec.parse("", source: "empty.csv"))
        let cut = CSVCodec.headerLine() + "\n1,time,naive\n"
        XCTAssertThrowsError(try CSVCodec.parse(cut, source: "cut.csv"))
    }
}
