import Foundation

/// `--output` files that are written whole or not at all.
enum OutputFile {
    /// Writes a whole file (an eval output, a merged CSV) without ever leaving a half-written one
    /// and without replacing a symlink or a device: a regular file (or a new one) is written
    /// beside the symlink-resolved target and renamed over it; anything else (a device, a pipe)
    /// is opened and written in place.
    static func write(_ data: Data, to output: String) throws {
        let resolved = URL(fileURLWithPath: output).resolvingSymlinksInPath().path
        var info = stat()
        if stat(resolved, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: resolved) else {
                throw UserError("--output: cannot write '\(output)'; choose a writable path")
            }
            do {
                try handle.write(contentsOf: data)
                try handle.close()
            } catch {
                throw UserError(
                    "--output: cannot write '\(output)' (\(error.localizedDescription)); choose a writable path")
            }
            return
        }
        let temporary = resolved + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw UserError("--output: cannot write '\(output)'; choose a writable path")
        }
        if rename(temporary, resolved) != 0 {
            unlink(temporary)
            throw UserError("--output: cannot write '\(output)'; choose a writable path")
        }
    }
}
