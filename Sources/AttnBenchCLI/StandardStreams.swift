#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to stderr (progress and messages never go to stdout, which may carry CSV).
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { fputs($0, stderr) }
    fflush(stderr)
}

var standardErrorIsTerminal: Bool { isatty(2) != 0 }
