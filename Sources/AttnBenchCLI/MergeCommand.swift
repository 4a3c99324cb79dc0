import ArgumentParser
import AttnBenchCore
import Foundation

/// Merges sweep CSVs (shards, machines) into one. Exit status: 0 merged, 2 unusable input
/// (unreadable, empty or foreign CSV, another schema version, a configuration measured twice
/// on one machine); on an error nothing is written.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge sweep CSVs (shards of one grid, runs on several machines) into one CSV.",
        discussion: """
            Rows keep their machine columns, so rows from different machines (or BLAS cores) stand side by \
            side. The same configuration measured twice on one machine is refused unless --keep-duplicates. \
            Exit status: 0 merged, 2 unusable input; on an error nothing is written.
            """)

    @Argument(help: "The CSVs to merge, in order.")
    var inputs: [String] = []

    @Option(name: .shortAndLong, parsing: .unconditional, help: "The merged CSV (written whole, or not at all).")
    var output: String

    @Flag(
        name: .customLong("keep-duplicates"),
        help: "Keep a configuration measured more than once on one machine (compare and the plots use the last one).")
    var keepDuplicates = false

    @Flag(
        help: ArgumentHelp(
            "Pool a configuration measured more than once on one machine into one row: repetitions pooled, each run's "
                + "median in process_medians_s (for runs of one build interleaved with another's, see "
                + "scripts/ab_sweep.py).")
    )
    var pool = false

    func validate() throws {
        if inputs.isEmpty {
            throw UserError(
                "merge: no input CSV; give the CSVs to merge, e.g. attnbench merge shard-1.csv shard-2.csv --output "
                    + "all.csv")
        }
        if pool && keepDuplicates {
            throw UserError("merge: --pool and --keep-duplicates exclude each other; pass one")
        }
    }

    func run() throws {
        var merge = ResultMerge()
        for path in inputs { merge.add(try Self.rows(of: path), source: path) }
        if let first = merge.duplicates.first, !keepDuplicates && !pool {
            let more = merge.duplicates.count > 1 ? " (and \(merge.duplicates.count - 1) more)" : ""
            throw UserError(
                "merge: '\(first.secondSource)' measures \(first.configuration) again on the machine of "
                    + "'\(first.firstSource)'\(more); pass --keep-duplicates to keep both")
        }
        let rows = pool ? merge.pooledRows : merge.rows
        let text = ([CSVCodec.headerLine()] + rows.map { CSVCodec.line($0) }).joined(separator: "\n") + "\n"
        try OutputFile.write(Data(text.utf8), to: output)
        printError("attnbench merge: \(rows.count) rows from \(inputs.count) files → \(output)")
    }

    /// The rows of one input: an attnbench CSV of this schema with at least one row.
    static func rows(of path: String) throws -> [ResultRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("merge: cannot read '\(path)'; expected an existing attnbench CSV")
        }
        let text = String(decoding: data, as: UTF8.self)
        let document = try parsingInput { try CSVCodec.parseDocument(text, source: "merge: '\(path)'") }
        if document.header != ResultColumn.allCases.map(\.rawValue) {
            throw UserError(
                "merge: '\(path)' has other columns than this attnbench writes (schema_version "
                    + "\(ResultColumn.currentSchemaVersion)); re-run its sweep with this attnbench")
        }
        if document.rows.isEmpty {
            throw UserError("merge: '\(path)' has a header but no rows; leave it out or re-run its sweep")
        }
        return document.rows
    }
}
