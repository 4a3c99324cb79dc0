import AttnBenchCore
import Foundation
import XCTest

/// Bad input: a non-zero exit, one message naming the flag or file, the value and what is
/// accepted; no crash, no stack trace, no output file left behind.
final class BadInputTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try CommandRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Rejections happen before any worker starts, so they run in process; `subprocess` runs
    /// the built binary instead, to see exactly what a shell user sees.
    func assertRejected(
        _ arguments: [String], mentions fragments: [String], output: String? = "r.csv", subprocess: Bool = false,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let result =
            subprocess ? try CommandRunner.run(arguments, in: directory) : try InProcess.run(arguments, in: directory)
        XCTAssertNotEqual(result.status, 0, "accepted \(arguments)", file: file, line: line)
        XCTAssertFalse(result.signalled, "crashed on \(arguments): \(result.standardError)", file: file, line: line)
        for forbidden in ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction"] {
            XCTAssertFalse(
                result.standardError.contains(forbidden), "\(arguments): \(result.standardError)", file: file,
                line: line)
        }
        let lines = result.standardError.split(separator: "\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, "expected one message, got: \(result.standardError)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(
                result.standardError.contains(fragment), "'\(fragment)' missing from: \(result.standardError)",
                file: file, line: line)
        }
        XCTAssertEqual(result.standardOutput, "", file: file, line: line)
        if let output {
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: directory.appendingPathComponent(output).path),
                "left \(output) behind", file: file, line: line)
        }
    }

    func testSweepFlags() throws {
        try assertRejected(
            ["sweep", "--seq-len", "256,abc", "--output", "r.csv"], mentions: ["--seq-len", "'abc'", "e.g. 512,1k,4k"])
        try assertRejected(["sweep", "--seq-len", "0", "--output", "r.csv"], mentions: ["--seq-len", "'0'", "≥ 1"])
        try assertRejected(
            ["sweep", "--variants", "naive,flash3", "--output", "r.csv"],
            mentions: ["--variants", "'flash3'", "naive, chunked, flash1, flash2, decode"])
        try assertRejected(["sweep", "--block-size", "0", "--output", "r.csv"], mentions: ["--block-size", "'0'"])
        try assertRejected(["sweep", "--block-kv", "64,-1", "--output", "r.csv"], mentions: ["--block-kv", "'-1'"])
        try assertRejected(["sweep", "--batch", "two", "--output", "r.csv"], mentions: ["--batch", "'two'"])
        try assertRejected(["sweep", "--repetitions", "0", "--output", "r.csv"], mentions: ["--repetitions", "'0'"])
        try assertRejected(["sweep", "--resume"], mentions: ["--resume", "--output"], output: nil)
        try assertRejected(
            ["sweep", "--max-seq-len", "--memory-budget", "lots", "--output", "r.csv"],
            mentions: ["--memory-budget", "'lots'", "512MiB"])
        try assertRejected(["maxlen", "--time-budget", "0"], mentions: ["--time-budget", "'0'"], output: nil)
        try assertRejected(
            ["sweep", "--seq-len", "16", "--blas-core", "Has well", "--output", "r.csv"],
            mentions: ["--blas-core", "'Has well'"])
    }

    /// Element types: an unknown type, q8_0 for Q/O, q8_0 with a head_dim its blocks do not tile
    /// (given, or a model's) — one line each, exit 2, nothing written.
    func testElementTypeFlags() throws {
        try assertRejected(["sweep", "--dtype", "fp8", "--output", "r.csv"], mentions: ["--dtype", "'fp8'", "bf16"])
        try assertRejected(
            ["sweep", "--kv-dtype", "same,int4", "--output", "r.csv"], mentions: ["--kv-dtype", "'int4'", "q8_0"])
        try assertRejected(
            ["sweep", "--dtype", "q8_0", "--output", "r.csv"], mentions: ["--dtype", "'q8_0'", "--kv-dtype q8_0"])
        try assertRejected(
            ["sweep", "--kv-dtype", "f16,q8_0", "--head-dim", "64,40", "--output", "r.csv"],
            mentions: ["--kv-dtype", "'q8_0'", "--head-dim 40", "multiple of 32"])
        try assertRejected(
            ["maxlen", "--kv-dtype", "q8_0", "--head-dim", "48"], mentions: ["--kv-dtype", "--head-dim 48"],
            output: nil)
    }

    /// Grouped-query, window and model flags: one line naming the flag, the value and what is accepted.
    func testShapeFlagsOfModels() throws {
        try assertRejected(
            ["sweep", "--heads", "8", "--kv-heads", "3", "--output", "r.csv"],
            mentions: ["--kv-heads", "'3'", "1, 2, 4, 8"])
        try assertRejected(["sweep", "--window", "0", "--output", "r.csv"], mentions: ["--window", "'0'", "none"])
        try assertRejected(
            ["sweep", "--window", "64", "--causal", "off", "--output", "r.csv"], mentions: ["--window", "causal"])
        try assertRejected(
            ["sweep", "--layer", "--output", "r.csv"], mentions: ["--layer", "--model", "llama-3-8b"])
        try assertRejected(
            ["sweep", "--layer", "--model", "whisper-small-decoder", "--output", "r.csv"],
            mentions: ["--layer", "whisper-small-decoder", "layer fields"])
        try assertRejected(
            ["sweep", "--model", "gpt-5", "--output", "r.csv"],
            mentions: ["--model", "'gpt-5'", "llama-3-8b", "mistral-7b"])
        try assertRejected(
            ["sweep", "--model", "llama-3-8b", "--heads", "12", "--output", "r.csv"],
            mentions: ["--heads", "'12'", "--kv-heads"])
        try assertRejected(
            ["sweep", "--batch", "2", "--key-lengths", "5", "--output", "r.csv"],
            mentions: ["--key-lengths", "one length per batch element"])
        try assertRejected(
            ["sweep", "--batch", "1", "--seq-len", "64", "--key-lengths", "65", "--output", "r.csv"],
            mentions: ["--key-lengths", "'65'", "at most"])
        try assertRejected(["maxlen", "--key-lengths", "5"], mentions: ["--key-lengths", "maxlen"], output: nil)
        try assertRejected(["maxlen", "--model", "nope"], mentions: ["--model", "'nope'"], output: nil)
    }

    /// What a shell user types, through the README's wrapper: one stderr line, exit 2, no file.
    func testThroughTheWrapperEachBadInputIsOneLineAndExitTwo() throws {
        let wrapper = CommandRunner.packageRoot.appendingPathComponent("scripts/attnbench").path
        let cases: [([String], [String])] = [
            (["--query-len", "1k2"], ["--query-len", "'1k2'"]), (["--seq-len", "k"], ["--seq-len", "'k'"]),
            (["--seq-len", "0"], ["--seq-len", "'0'"]), (["--block-size", "0"], ["--block-size", "'0'"]),
            (["--threads", "0"], ["--threads", "'0'"]), (["--kv-heads", "3", "--heads", "8"], ["--kv-heads", "'3'"]),
            (["--window", "-1"], ["--window", "'-1'"]), (["--model", "x"], ["--model", "'x'"]),
            (["--shard", "3/2"], ["--shard", "'3/2'"]), (["--seq-len", "0x10"], ["--seq-len", "'0x10'"]),
            (["--causal", "off,maybe"], ["--causal", "'maybe'"]),
        ]
        for (arguments, fragments) in cases {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [wrapper, "sweep"] + arguments + ["--output", "r.csv"]
            process.currentDirectoryURL = directory
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 2, "\(arguments): \(errors)")
            XCTAssertEqual(errors.split(separator: "\n").count, 1, "\(arguments): \(errors)")
            for fragment in fragments { XCTAssertTrue(errors.contains(fragment), "\(arguments): \(errors)") }
            XCTAssertEqual(output, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("r.csv").path))
        }
    }

    func testParserErrorsAreOneLineToo() throws {
        try assertRejected(
            ["sweep", "--seq-len", "-1", "--output", "r.csv"], mentions: ["--seq-len", "'-1'"], subprocess: true)
        try assertRejected(
            ["sweep", "--causal", "maybe", "--output", "r.csv"], mentions: ["--causal", "'maybe'", "off, on, both"])
        try assertRejected(["sweep", "--preset", "huge", "--output", "r.csv"], mentions: ["--preset", "'huge'"])
        try assertRejected(["sweep", "--bogus", "--output", "r.csv"], mentions: ["--bogus"], subprocess: true)
        try assertRejected(
            ["sweep", "--blas-core", "Nope", "--output", "r.csv"], mentions: ["--blas-core", "'Nope'", "Haswell"])
        try assertRejected(
            ["sweep", "--query-len", "seq,x", "--output", "r.csv"], mentions: ["--query-len", "'x'", "'seq'"])
        try assertRejected(
            ["sweep", "--memory-budget", "lots", "--output", "r.csv"], mentions: ["--memory-budget", "'lots'"])
    }

    /// --output opens the path in place: a symlink stays a symlink and its target gets the CSV.
    func testOutputThroughSymlinkWritesTheTarget() throws {
        let target = directory.appendingPathComponent("real.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: target.path, contents: Data("old".utf8)))
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("link.csv").path,
            withDestinationPath: target.path)
        let result = try CommandRunner.run(
            [
                "sweep", "--variants", "flash2", "--seq-len", "32", "--heads", "1", "--repetitions", "1",
                "--min-time", "0", "--output", "link.csv",
            ], in: directory)
        XCTAssertEqual(result.status, 0, result.standardError)
        let attributes = try FileManager.default.attributesOfItem(
            atPath: directory.appendingPathComponent("link.csv").path)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSymbolicLink)
        XCTAssertTrue(try String(contentsOf: target, encoding: .utf8).hasPrefix("schema_version,"))
    }

    /// A configuration too large for this machine becomes an `oom` row without running, and the
    /// sweep exits 3 (rows written, not all ok).
    func testTooLargeConfigurationIsAnOOMRowAndExitThree() throws {
        let result = try CommandRunner.run(
            [
                "sweep", "--variants", "naive,flash2", "--seq-len", "64", "--head-dim", "64,50m",
                "--heads", "1", "--repetitions", "1", "--min-time", "0", "--output", "r.csv",
            ], in: directory)
        XCTAssertEqual(result.status, 3, result.standardError)
        let rows = try CSVCodec.parse(
            try String(contentsOf: directory.appendingPathComponent("r.csv"), encoding: .utf8), source: "r.csv")
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows.filter { $0[.headDim] == "64" }.map { $0[.status] }, ["ok", "ok"])
        XCTAssertEqual(rows.filter { $0[.headDim] == "52428800" }.map { $0[.status] }, ["oom", "oom"])
        // A row not started still names its machine, OpenBLAS core included, as the measured rows do.
        XCTAssertEqual(Set(rows.map { $0[.openblasCore] }).count, 1, rows.map { $0[.openblasCore] }.description)
        XCTAssertFalse(rows[0][.openblasCore].isEmpty)
    }

    func testUnwritableOutput() throws {
        try assertRejected(
            ["sweep", "--seq-len", "16", "--output", "/nonexistent-dir/r.csv"],
            mentions: ["--output", "/nonexistent-dir/r.csv", "writable"], output: nil)
        try assertRejected(
            ["sweep", "--seq-len", "16", "--output", directory.path], mentions: ["--output", "is a directory"],
            output: nil)
    }

    func writeNpy(_ name: String, shape: [Int], seed: UInt64 = 1) throws {
        var generator = SplitMix64Like(seed: seed)
        let values = (0..<shape.reduce(1, *)).map { _ in generator.nextFloat() }
        let bytes = NumpyArray(shape: shape, values: values).encode()
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    func testEvalInputs() throws {
        try writeNpy("q.npy", shape: [1, 2, 5, 8])
        try writeNpy("k.npy", shape: [1, 2, 7, 8])
        try writeNpy("v.npy", shape: [1, 2, 7, 8])
        try writeNpy("k16.npy", shape: [1, 2, 7, 16])
        try writeNpy("q3.npy", shape: [2, 5, 8])
        // float64 file, as np.save(np.zeros((1,2,7,8))) writes it
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 7, 8), }"
        header += String(repeating: " ", count: 128 - 10 - header.count - 1) + "\n"
        let f64 =
            [UInt8]([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count), 0]) + Array(header.utf8)
            + [UInt8](repeating: 0, count: 112 * 8)
        try Data(f64).write(to: directory.appendingPathComponent("k64.npy"))

        let base = ["eval", "--variant", "flash2", "--query", "q.npy", "--value", "v.npy", "--output", "o.npy"]
        try assertRejected(
            base + ["--key", "k16.npy"], mentions: ["--key", "k16.npy", "head_dim 16", "head_dim 8"], output: "o.npy")
        try writeNpy("q3h.npy", shape: [1, 3, 5, 8])
        try assertRejected(
            [
                "eval", "--variant", "flash2", "--query", "q3h.npy", "--key", "k.npy", "--value", "v.npy", "--output",
                "o.npy",
            ],
            mentions: ["--key", "2 heads", "divide", "1, 3"], output: "o.npy")
        try assertRejected(base + ["--key", "k.npy", "--window", "0"], mentions: ["--window", "'0'"], output: "o.npy")
        try assertRejected(
            base + ["--key", "k64.npy"], mentions: ["--key", "k64.npy", "<f8", "astype(np.float32)"], output: "o.npy")
        try assertRejected(
            [
                "eval", "--variant", "flash2", "--query", "q3.npy", "--key", "k.npy", "--value", "v.npy", "--output",
                "o.npy",
            ],
            mentions: ["--query", "q3.npy", "[2, 5, 8]", "4 dimensions"], output: "o.npy")
        try assertRejected(base + ["--key", "missing.npy"], mentions: ["--key", "missing.npy"], output: "o.npy")
        try assertRejected(
            [
                "eval", "--variant", "flash9", "--query", "q.npy", "--key", "k.npy", "--value", "v.npy", "--output",
                "o.npy",
            ],
            mentions: ["--variant", "'flash9'", "naive"], output: "o.npy")
        try assertRejected(
            base + ["--key", "k.npy", "--block-q", "0"], mentions: ["--block-q", "'0'"], output: "o.npy")
        try assertRejected(
            base + ["--key", "k.npy", "--key-lengths", "9"], mentions: ["--key-lengths", "9"], output: "o.npy")
        try assertRejected(
            base + ["--key", "k.npy", "--key-lengths", "3,3"], mentions: ["--key-lengths", "2 values"], output: "o.npy")
        try assertRejected(
            [
                "eval", "--variant", "flash2", "--query", "q.npy", "--key", "k.npy", "--value", "v.npy",
                "--output", "/nonexistent-dir/o.npy",
            ], mentions: ["--output", "/nonexistent-dir/o.npy"], output: nil)
    }
}

/// Seeded floats in [-1, 1) for test tensors.
struct SplitMix64Like {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextFloat() -> Float { Float(Double(next() >> 11) * 0x1.0p-53 * 2 - 1) }
}
