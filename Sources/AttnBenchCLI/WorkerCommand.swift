import ArgumentParser
import AttnBenchCore
import Foundation

/// Hidden: the child-process side of a sweep or maximum-length search. Reads one JSON request
/// from its argument, answers one JSON line on stdout; the work is the engine's.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_worker", abstract: "Internal: measure one configuration in this process.",
        shouldDisplay: false)

    @Argument var request: String

    func run() throws {
        guard let decoded = try? JSONDecoder().decode(WorkerRequest.self, from: Data(request.utf8)) else {
            throw UserError("_worker: the request is not valid JSON for this attnbench version")
        }
        let data = try JSONEncoder().encode(WorkerExecution.handle(decoded))
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
