import Foundation
import XCTest

/// A worker never outlives the attnbench process that started it.
final class WorkerLifetimeTests: XCTestCase {
    /// The child processes of `parent` whose command line contains `_worker`.
    static func workers(of parent: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent else { return false }
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: command, as: UTF8.self).contains("_worker")
        }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")  // a zombie has finished
    }

    func testSigkillOfTheParentEndsItsWorkerWithinOneSecond() throws {
        let directory = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.currentDirectoryURL = directory
        // One configuration that runs for a minute: the parent is killed in the middle of it.
        process.arguments = [
            "sweep", "--variants", "flash2", "--seq-len", "2k", "--heads", "2", "--threads", "1",
            "--repetitions", "5", "--min-time", "60", "--output", "r.csv",
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        var worker: Int32? = nil
        let deadline = Date().addingTimeInterval(30)
        while worker == nil && Date() < deadline {
            worker = Self.workers(of: process.processIdentifier).first
            if worker == nil { usleep(20_000) }
        }
        guard let worker else {
            kill(process.processIdentifier, SIGKILL)
            return XCTFail("no _worker child appeared within 30 s")
        }
        usleep(300_000)  // the worker is measuring now
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killed = Date()
        while Self.isAlive(worker) && Date().timeIntervalSince(killed) < 10 { usleep(10_000) }
        let alive = Self.isAlive(worker)
        if alive { kill(worker, SIGKILL) }
        XCTAssertFalse(alive, "worker \(worker) still running 10 s after its parent was killed")
    }
}
