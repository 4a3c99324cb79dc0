import AttnBenchCore
import Foundation

/// The rows a `--resume` run finds in its output CSV: configurations measured `ok` with the
/// same settings are skipped, and new rows are appended.
struct ResumedSweep {
    var measuredKeys: Set<String> = []
    var appends = false

    init() {}

    /// Reads `path` when it exists and is not empty; a cut-off last row is dropped (and measured again).
    init(path: String?) throws {
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw UserError("--resume: cannot read '\(path)'; give a readable CSV or drop --resume")
        }
        if text.isEmpty { return }
        let document = try parsingInput {
            try CSVCodec.parseDocument(text, source: "--resume: '\(path)'", droppingIncompleteLastRow: true)
        }
        if document.header != ResultColumn.allCases.map(\.rawValue) {
            throw UserError(
                "--resume: '\(path)' has other columns or another column order than this attnbench writes; "
                    + "continue into a new --output file")
        }
        if let dropped = document.droppedIncompleteLastRow {
            printError(
                "attnbench sweep: the last row of '\(path)' was cut off (\(dropped.utf8.count) bytes without a final "
                    + "newline); it is removed and its configuration measured again")
        }
        measuredKeys = Set(document.rows.filter { $0.status == .ok }.map(\.resumeKey))
        appends = true
    }
}
