import Foundation
import XCTest

/// Runs the built attnbench binary: ATTNBENCH_BINARY (set by scripts/test), else
/// .build/release/attnbench of this package. Sweeps spawn the binary itself per configuration,
/// so these tests exercise the real executable, not an in-process copy.
enum CommandRunner {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["ATTNBENCH_BINARY"], !path.isEmpty { return path }
        return packageRoot.appendingPathComponent(".build/release/attnbench").path
    }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var signalled: Bool
    }

    static func run(_ arguments: [String], in directory: URL? = nil, file: StaticString = #filePath, line: UInt = #line)
        throws -> Result
    {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail(
                "attnbench binary not found at \(binary); run ./scripts/test or swift build -c release --product "
                    + "attnbench",
                file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self),
            signalled: process.terminationReason == .uncaughtSignal)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attnbench-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
