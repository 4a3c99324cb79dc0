import AttnBenchCore
import Foundation

/// Writes CSV rows to a file or stdout, one complete line per write(2), flushed as each row
/// finishes, so an interrupted sweep leaves a valid CSV of everything finished.
final class CSVFileWriter {
    private let handle: FileHandle
    let path: String?

    /// Opens `path` (nil = stdout). With `append`, the header is not written again.
    init(path: String?, append: Bool) throws {
        self.path = path
        guard let path else {
            handle = FileHandle.standardOutput
            try write(CSVCodec.headerLine() + "\n")
            return
        }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UserError("--output: '\(path)' is a directory; give a file path such as results.csv")
        }
        if append {
            guard let h = FileHandle(forWritingAtPath: path) else {
                throw UserError("--output: cannot write '\(path)' (permission denied or missing directory); choose a writable path")
            }
            handle = h
            handle.seekToEndOfFile()
        } else {
            guard manager.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw UserError("--output: cannot create '\(path)' (permission denied or missing directory); choose a writable path")
            }
            handle = h
            try write(CSVCodec.headerLine() + "\n")
        }
    }

    func write(_ row: ResultRow) throws { try write(CSVCodec.line(row) + "\n") }

    private func write(_ text: String) throws {
        try handle.write(contentsOf: Data(text.utf8))
        if path != nil { try handle.synchronize() }
    }

    func close() { if path != nil { try? handle.close() } }
}
