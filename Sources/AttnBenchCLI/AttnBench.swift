import ArgumentParser

/// The root command only lists subcommands.
public struct AttnBench: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "attnbench",
        abstract: "Measure naive, chunked and flash attention on this CPU: time, peak memory, maximum sequence length.",
        version: version,
        subcommands: [SweepCommand.self, MaxLenCommand.self, EvalCommand.self, CompareCommand.self, WorkerCommand.self]
    )

    public init() {}
}

/// An error the user can fix: printed as one line, exit status 2 (1 is reserved for
/// `compare` finding a regression).
public struct UserError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum AttnBenchMain {
    /// Parses and runs; maps errors to one message on stderr and an exit status.
    public static func main(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try AttnBench.parseAsRoot(arguments)
            try command.run()
            AttnBench.exit()
        } catch let error as UserError {
            printError("error: \(error.description)")
            AttnBench.exit(withError: ExitCode(2))
        } catch let error as ExitCode {
            AttnBench.exit(withError: error)
        } catch {
            // Help and --version print in full; a parse error prints one line, not the usage.
            if AttnBench.exitCode(for: error) == .success { AttnBench.exit(withError: error) }
            let message = AttnBench.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            printError("error: \(message) (see 'attnbench help <subcommand>' for the accepted values)")
            AttnBench.exit(withError: ExitCode(2))
        }
    }
}
