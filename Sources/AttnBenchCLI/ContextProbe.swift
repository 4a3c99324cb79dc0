import AttnBenchCore
import Foundation

/// Gathers the run context once per invocation: version, git commit of the checkout the
/// binary was built from, date, machine and OPENBLAS_* environment.
enum ContextProbe {
    static func make(seed: UInt64) -> RunContext {
        let environment = ProcessInfo.processInfo.environment
        let openblas = environment.filter { $0.key.hasPrefix("OPENBLAS_") || $0.key == "GOTO_NUM_THREADS" || $0.key == "OMP_NUM_THREADS" }
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
    /// checkout containing the executable (…/.build/release/attnbench), else "unknown".
    static func gitCommit() -> String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["ATTNBENCH_GIT_COMMIT"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        var directory = URL(fileURLWithPath: ChildProcess.executablePath).deletingLastPathComponent()
        for _ in 0..<6 {
            let git = directory.appendingPathComponent(".git")
            if FileManager.default.fileExists(atPath: git.path) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["git", "-C", directory.path, "rev-parse", "--short=12", "HEAD"]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = FileHandle.nullDevice
                if (try? process.run()) != nil {
                    process.waitUntilExit()
                    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    if process.terminationStatus == 0, !text.isEmpty { return text }
                }
                return "unknown"
            }
            directory = directory.deletingLastPathComponent()
        }
        return "unknown"
    }
}
