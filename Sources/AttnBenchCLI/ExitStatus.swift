import ArgumentParser

/// The exit statuses every attnbench command uses.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Everything ran; `compare` found no regression.
    case success = 0
    /// `compare` found at least one regression.
    case regression = 1
    /// Input the user can fix: a bad flag value, an unreadable or foreign CSV, nothing to match.
    case unusableInput = 2
    /// A sweep or search finished, but some rows are not `ok` (see their status and message).
    case unfinishedRows = 3

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// An error the user can fix: printed as one line, exit status `unusableInput`.
public struct UserError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
