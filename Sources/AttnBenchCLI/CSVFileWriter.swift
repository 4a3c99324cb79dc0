import AttnBenchCore
import Foundation

/// Writes CSV rows to a file or stdout, one complete line per write(2), flushed as each row
/// finishes, so an interrupted sweep leaves a valid CSV of everything finished.
///
/// The file is opened in place (O_CREAT | O_TRUNC, or O_APPEND to resume), following symlinks,
/// so `--output` never replaces a symlink, a device or a file's inode with a new file.
final class CSVFileWriter {
    private let descriptor: Int32
    let path: String?

    /// Opens `path` (nil = stdout). With `append`, the header is not written again, and a last
    /// row cut off mid-write (no final newline) is truncated away; every complete row stays.
    init(path: String?, append: Bool) throws {
        self.path = path
        guard let path else {
            descriptor = STDOUT_FILENO
            try write(CSVCodec.headerLine() + "\n")
            return
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UserError("--output: '\(path)' is a directory; give a file path such as results.csv")
        }
        let flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        let fd = open(path, flags, 0o644)
        if fd < 0 {
            throw UserError(
                "--output: cannot write '\(path)' (\(String(cString: strerror(errno)))); choose a writable path")
        }
        descriptor = fd
        if append {
            if let bytes = FileManager.default.contents(atPath: path), let last = bytes.last, last != UInt8(ascii: "\n")
            {
                let keep = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
                if ftruncate(fd, off_t(keep)) != 0 {
                    throw UserError(
                        "--output: cannot remove the cut-off last row of '\(path)' "
                            + "(\(String(cString: strerror(errno)))); rows written so far are kept"
                    )
                }
            }
        } else {
            try write(CSVCodec.headerLine() + "\n")
        }
    }

    func write(_ row: ResultRow) throws { try write(CSVCodec.line(row) + "\n") }

    private func write(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Foundation.write(descriptor, $0.baseAddress! + offset, bytes.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw UserError(
                    "--output: cannot write '\(path ?? "stdout")' (\(String(cString: strerror(errno)))); rows written "
                        + "so far are kept"
                )
            }
            offset += n
        }
    }

    func close() { if path != nil { Foundation.close(descriptor) } }
}
