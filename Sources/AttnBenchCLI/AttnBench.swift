import ArgumentParser
import Foundation

/// The root command only lists subcommands.
public struct AttnBench: ParsableCommand {
    public static let version = "0.2.0"

    public static let configuration = CommandConfiguration(
        commandName: "attnbench",
        abstract: "Measure naive, chunked and flash attention on this CPU: time, peak memory, maximum sequence length.",
        version: version,
        subcommands: [
            SweepCommand.self, MaxLenCommand.self, EvalCommand.self, CompareCommand.self, MergeCommand.self,
            ModelsCommand.self, WorkerCommand.self,
        ]
    )

    public init() {}
}

public enum AttnBenchMain {
    /// Parses and runs; maps errors to one message on stderr and an exit status.
    public static func main(_ arguments: [String]? = nil) -> Never {
        let status = run(arguments)
        if status == .success { AttnBench.exit() }
        AttnBench.exit(withError: status)
    }

    /// Parses and runs without exiting: the exit code, with errors already printed to stderr
    /// as one line (help and --version print in full). Tests call this in process.
    public static func run(_ arguments: [String]?) -> ExitCode {
        do {
            var command = try AttnBench.parseAsRoot(arguments)
            try command.run()
            return .success
        } catch let error as UserError {
            printError("error: \(error.description)")
            return ExitStatus.unusableInput.exitCode
        } catch let error as ExitCode {
            return error
        } catch {
            if AttnBench.exitCode(for: error) == .success {
                FileHandle.standardOutput.write(Data((AttnBench.fullMessage(for: error) + "\n").utf8))
                return .success
            }
            let message = AttnBench.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            printError("error: \(message) (see 'attnbench help <subcommand>' for the accepted values)")
            return ExitStatus.unusableInput.exitCode
        }
    }
}
