import AttnBenchCore
import Foundation
import Synchronization

/// Runs `attnbench _worker` in a child process: one configuration per process, so a crash, an
/// allocation failure or a timeout costs one row, never the sweep, and peak memory is the
/// child's own. The worker dies with this process (it asks the kernel for SIGKILL when its
/// parent exits), so no worker outlives a killed sweep.
enum ChildProcess {
    /// The child being waited for, read by the signal handler (0: none). Atomic loads are
    /// lock-free, so safe in a handler.
    static let runningChild = Atomic<Int32>(0)
    static let cleanupHandlersInstalled = Atomic<Bool>(false)

    /// The attnbench executable itself.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func run(_ request: WorkerRequest, timeoutSeconds: Double?) -> WorkerOutcome {
        var request = request
        request.parentProcessIdentifier = getpid()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        guard let json = try? JSONEncoder().encode(request) else {
            return .crashed("could not encode the worker request")
        }
        process.arguments = ["_worker", String(decoding: json, as: UTF8.self)]
        var environment = ProcessInfo.processInfo.environment
        if let core = request.configuration.blasCore.coreTypeVariable {
            environment["OPENBLAS_CORETYPE"] = core
        }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let captured = CapturedOutput()
        let group = DispatchGroup()
        group.enter()
        group.enter()
        DispatchQueue.global().async {
            captured.standardOutput.withLock { $0 = output.fileHandleForReading.readDataToEndOfFile() }
            group.leave()
        }
        DispatchQueue.global().async {
            captured.standardError.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
            group.leave()
        }
        installCleanupHandlers()
        do { try process.run() } catch {
            return .crashed("could not start \(executablePath): \(error)")
        }
        runningChild.store(process.processIdentifier, ordering: .sequentiallyConsistent)
        defer { runningChild.store(0, ordering: .sequentiallyConsistent) }
        let start = Date()
        var timedOut = false
        while process.isRunning {
            if let limit = timeoutSeconds, Date().timeIntervalSince(start) > limit {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        group.wait()
        let outData = captured.standardOutput.withLock { $0 }
        let errData = captured.standardError.withLock { $0 }
        if timedOut { return .timedOut(limitSeconds: timeoutSeconds ?? 0) }
        let stderrText = String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if process.terminationReason == .exit && process.terminationStatus == WorkerResponse.outOfMemoryExitCode {
            return .outOfMemory
        }
        if process.terminationReason == .uncaughtSignal {
            if request.memoryLimitBytes != nil { return .outOfMemory }  // an allocation inside the runtime hit the cap
            return .crashed("killed by \(signalName(process.terminationStatus))")
        }
        let lines = String(decoding: outData, as: UTF8.self).split(separator: "\n")
        guard let last = lines.last,
            let response = try? JSONDecoder().decode(WorkerResponse.self, from: Data(last.utf8))
        else {
            return .crashed(
                "exit status \(process.terminationStatus)\(stderrText.isEmpty ? "" : ": " + lastLine(stderrText))")
        }
        return .response(response)
    }

    /// Filled by the two reader threads; read after both have finished (group.wait()).
    final class CapturedOutput: Sendable {
        let standardOutput = Mutex(Data())
        let standardError = Mutex(Data())
    }

    /// Ctrl-C, SIGTERM or SIGHUP on attnbench also kill the child it is waiting for (children
    /// run in their own process group, so a terminal's Ctrl-C would not reach them), then
    /// attnbench dies of the same signal. Rows already written stay in the CSV.
    static func installCleanupHandlers() {
        guard
            cleanupHandlersInstalled.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent)
                .exchanged
        else { return }
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { received in
                let child = ChildProcess.runningChild.load(ordering: .sequentiallyConsistent)
                if child > 0 { kill(child, SIGKILL) }
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGILL:
            return
                "SIGILL (illegal instruction: this CPU lacks an instruction set the code, e.g. the requested OpenBLAS "
                + "core, needs)"
        case SIGSEGV: return "SIGSEGV (invalid memory access)"
        case SIGABRT: return "SIGABRT (the process aborted)"
        case SIGKILL: return "SIGKILL (killed, possibly by the kernel's out-of-memory killer)"
        case SIGBUS: return "SIGBUS (bus error)"
        case SIGFPE: return "SIGFPE (arithmetic exception)"
        case SIGINT: return "SIGINT (interrupted)"
        default: return "signal \(signal)"
        }
    }

    static func lastLine(_ text: String) -> String {
        String(text.split(separator: "\n").last ?? "")
    }
}
