import AttnBenchCLI
import Foundation
import XCTest

/// Runs attnbench's command line inside the test process, for commands that start no worker
/// (compare, eval, merge, and every rejection of bad input): stdout and stderr are captured by
/// pointing file descriptors 1 and 2 at temporary files for the duration of the call.
enum InProcess {
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> CommandRunner.Result {
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent(
            "attnbench-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: capture) }
        let outPath = capture.appendingPathComponent("out").path
        let errPath = capture.appendingPathComponent("err").path
        fflush(nil)
        let savedOut = dup(1)
        let savedErr = dup(2)
        let outFile = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let errFile = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(outFile, 1)
        dup2(errFile, 2)
        close(outFile)
        close(errFile)
        let previousDirectory = FileManager.default.currentDirectoryPath
        if let directory { _ = FileManager.default.changeCurrentDirectoryPath(directory.path) }
        let code = AttnBenchMain.run(arguments)
        _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory)
        fflush(nil)
        dup2(savedOut, 1)
        dup2(savedErr, 2)
        close(savedOut)
        close(savedErr)
        return CommandRunner.Result(
            status: code.rawValue,
            standardOutput: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
            signalled: false)
    }
}
