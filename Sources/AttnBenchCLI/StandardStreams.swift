import Foundation

/// Writes a line to stderr (progress and messages never go to stdout, which may carry CSV).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

var standardErrorIsTerminal: Bool { isatty(2) != 0 }
