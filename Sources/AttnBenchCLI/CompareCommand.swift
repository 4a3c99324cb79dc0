import ArgumentParser
import AttnBenchCore
import Foundation

extension ComparisonReport.Format: ExpressibleByArgument {}
extension ResultComparison.Metric: ExpressibleByArgument {}

/// Compares two sweep CSVs. Exit status: 0 no regression, 1 at least one regression,
/// 2 unusable input (missing file, wrong schema version, nothing to match).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a baseline sweep CSV with a current one; exit 1 on a regression.",
        discussion: """
            Rows are matched by configuration (kind, variant and every shape and configuration column). \
            Verdicts: regression, improvement, unchanged, noisy (a change beyond the threshold without \
            statistical support), new, missing, refused (baseline from another machine or BLAS core). \
            Exit status: 0 no regression, 1 at least one regression, 2 unusable input.
            """)

    @Argument(help: "The baseline CSV (e.g. from the base branch).")
    var baseline: String

    @Argument(help: "The current CSV.")
    var current: String

    @Option(parsing: .unconditional, help: "Relative change of the median time that counts (0.10 = 10%).")
    var threshold: Double = 0.10

    @Option(parsing: .unconditional, help: "Significance level of the Mann–Whitney U test on the raw repetition times.")
    var alpha: Double = 0.05

    @Option(
        name: .customLong("memory-threshold"), parsing: .unconditional,
        help: "Relative change of peak memory that counts (also needs > 256 KiB).")
    var memoryThreshold: Double = 0.05

    @Option(
        name: .customLong("length-threshold"), parsing: .unconditional,
        help: "Relative change of max_seq_len that counts (also needs to exceed the search resolution).")
    var lengthThreshold: Double = 0.05

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The time a row is judged by: attention (the attention call) or layer (the layer's other matrix "
                + "products, from sweep --layer; rows without them are left out)."))
    var metric: ResultComparison.Metric = .attention

    @Flag(
        name: .customLong("allow-different-machine"),
        help: "Compare rows measured on another CPU, core count or BLAS core.")
    var allowDifferentMachine = false

    @Option(
        parsing: .unconditional,
        help: "Output format: text, markdown (for a pull request comment or $GITHUB_STEP_SUMMARY) or csv.")
    var format: ComparisonReport.Format = .text

    func validate() throws {
        for (flag, value) in [
            ("--threshold", threshold), ("--memory-threshold", memoryThreshold),
            ("--length-threshold", lengthThreshold),
        ]
        where !(value >= 0 && value < 10) {
            throw UserError("\(flag): invalid value '\(value)'; expected a fraction ≥ 0 such as 0.1")
        }
        if !(alpha > 0 && alpha < 1) {
            throw UserError("--alpha: invalid value '\(alpha)'; expected a probability between 0 and 1, e.g. 0.05")
        }
    }

    func run() throws {
        let baseRows = try load(baseline, role: "baseline")
        let currentRows = try load(current, role: "current")
        var options = ResultComparison.Options()
        options.timeThreshold = threshold
        options.alpha = alpha
        options.memoryThreshold = memoryThreshold
        options.lengthThreshold = lengthThreshold
        options.allowDifferentMachine = allowDifferentMachine
        options.metric = metric
        let comparison = ResultComparison(baseline: baseRows, current: currentRows, options: options)
        if let first = comparison.unusable.first {
            let more = comparison.unusable.count > 1 ? " (and \(comparison.unusable.count - 1) more)" : ""
            throw UserError("compare: \(first)\(more)")
        }
        FileHandle.standardOutput.write(
            Data(ComparisonReport.render(comparison, format: format, options: options).utf8))
        if format == .csv && !comparison.underpowered.isEmpty {
            printError(
                "attnbench compare: \(comparison.underpowered.count) row(s) cannot reach p < \(alpha) with their "
                    + "repetition counts: \(comparison.underpowered.joined(separator: "; "))"
            )
        }
        if comparison.comparableCount == 0 {
            let refused = comparison.entries.first { $0.verdict == .refused }
            throw UserError(
                "compare: nothing to match between '\(baseline)' and '\(current)'"
                    + (refused.map { "; \($0.notes.joined())" } ?? "; they share no configuration"))
        }
        if comparison.regressions > 0 { throw ExitStatus.regression.exitCode }
    }

    func load(_ path: String, role: String) throws -> [ResultRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("\(role) CSV '\(path)': cannot read it; expected an existing attnbench CSV")
        }
        let text = String(decoding: data, as: UTF8.self)
        let rows: [ResultRow]
        do { rows = try CSVCodec.parse(text, source: "\(role) CSV '\(path)'") } catch {
            throw UserError(error.description)
        }
        let header = Set(CSVCodec.records(text).first ?? [])
        let required = ResultColumn.configurationKey + [.status, .wallTimeMedian]
        if let missing = required.first(where: { !header.contains($0.rawValue) }) {
            throw UserError(
                "\(role) CSV '\(path)': column \(missing.rawValue) is missing; expected a CSV written by attnbench "
                    + "sweep"
            )
        }
        return rows
    }
}
