import AttnBenchCore
import Foundation

/// Gathers the run context once per invocation: version, git commit of the checkout the
/// binary was built from, date, machine and OPENBLAS_* environment.
enum ContextProbe {
    static func make(seed: UInt64) -> RunContext {
        let environment = ProcessInfo.processInfo.environment
        let openblas = environment.filter {
            $0.key.hasPrefix("OPENBLAS_") || $0.key == "GOTO_NUM_THREADS" || $0.key == "OMP_NUM_THREADS"
        }
        .map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return RunContext(
            attnbenchVersion: AttnBench.version, gitCommit: gitCommit(), dateUTC: formatter.string(from: Date()),
            hostname: ProcessInfo.processInfo.hostName, cpuModel: RunContext.cpuModelName(),
            cpuCores: ProcessInfo.processInfo.activeProcessorCount,
            openblasEnvironment: openblas.isEmpty ? "(none)" : openblas, seed: seed)
    }

    /// ATTNBENCH_GIT_COMMIT if set (the wrapper script sets it), else the HEAD of the git
    /// checkout containing the executable (…/.build/release/attnbench), with "-dirty" when the
    /// checkout's Sources/ or Package.swift differ from HEAD (the binary may hold changes HEAD
    /// does not), else "unknown".
    static func gitCommit() -> String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["ATTNBENCH_GIT_COMMIT"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        var directory = URL(fileURLWithPath: ChildProcess.executablePath).deletingLastPathComponent()
        for _ in 0..<6 {
            let git = directory.appendingPathComponent(".git")
            if FileManager.default.fileExists(atPath: git.path) {
                guard let head = runGit(["rev-parse", "--short=12", "HEAD"], in: directory), !head.isEmpty else {
                    return "unknown"
                }
                let changes = runGit(
                    ["status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift"],
                    in: directory)
                return changes?.isEmpty == false ? head + "-dirty" : head
            }
            directory = directory.deletingLastPathComponent()
        }
        return "unknown"
    }

    /// git's standard output (trimmed), or nil when git could not run or failed.
    static func runGit(_ arguments: [String], in directory: URL) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
