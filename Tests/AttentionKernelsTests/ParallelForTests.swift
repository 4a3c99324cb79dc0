import AttentionKernels
import Foundation
import Synchronization
import XCTest

/// The worker pool's hand-off: every task runs exactly once, on a worker index in range, and a
/// region returns only after its last task — whether the helpers were still polling for work
/// or had gone to sleep.
final class ParallelForTests: XCTestCase {
    /// Runs `regions` parallel regions back to back and checks each one's tasks.
    private func checkRegions(
        _ regions: Int, threads: Int, pauseBetweenSeconds: Double = 0,
        taskCount: (Int) -> Int
    ) {
        for region in 0..<regions {
            let tasks = taskCount(region)
            let runs = Mutex<[Int]>(Array(repeating: 0, count: tasks))
            let badWorker = Atomic<Int>(-1)
            ParallelFor.run(taskCount: tasks, threadCount: threads) { task, worker in
                if worker < 0 || worker >= max(1, min(threads, tasks)) { badWorker.store(worker, ordering: .relaxed) }
                // Some tasks take long enough that the caller finishes first and has to wait.
                if task % 7 == 3 { usleep(50) }
                runs.withLock { $0[task] += 1 }
            }
            // Everything the tasks did is visible once `run` returns.
            let counts = runs.withLock { $0 }
            XCTAssertEqual(counts, Array(repeating: 1, count: tasks), "region \(region): each task exactly once")
            XCTAssertEqual(badWorker.load(ordering: .relaxed), -1, "region \(region): worker index out of range")
            if pauseBetweenSeconds > 0 { usleep(UInt32(pauseBetweenSeconds * 1e6)) }
        }
    }

    func testEveryTaskRunsOnceWhileHelpersPoll() {
        // Regions follow each other within the polling time: the hand-off never sleeps.
        checkRegions(2_000, threads: 2) { 1 + $0 % 13 }
        checkRegions(500, threads: 4) { 1 + $0 % 29 }
    }

    func testEveryTaskRunsOnceAfterHelpersSlept() {
        // Pauses longer than the polling time: helpers have gone to sleep on the condition variable.
        let pause = WorkerPool.spinSeconds * 3
        checkRegions(40, threads: 2, pauseBetweenSeconds: pause) { 2 + $0 % 5 }
        checkRegions(20, threads: 3, pauseBetweenSeconds: pause) { 3 + $0 % 11 }
    }

    func testCallerWaitsForASlowHelper() {
        // The helper's task outlasts the polling time, so the caller must sleep and be woken.
        let finished = Atomic<Int>(0)
        ParallelFor.run(taskCount: 2, threadCount: 2) { task, _ in
            if task == 1 { usleep(UInt32(WorkerPool.spinSeconds * 5e6)) }
            finished.wrappingAdd(1, ordering: .relaxed)
        }
        XCTAssertEqual(finished.load(ordering: .relaxed), 2)
    }

    func testFewerTasksThanThreadsUsesOnlyThatManyWorkers() {
        let highest = Atomic<Int>(0)
        for _ in 0..<200 {
            ParallelFor.run(taskCount: 2, threadCount: 4) { _, worker in
                var seen = highest.load(ordering: .relaxed)
                while worker > seen {
                    let (exchanged, original) = highest.compareExchange(
                        expected: seen, desired: worker, ordering: .relaxed)
                    if exchanged { break }
                    seen = original
                }
            }
        }
        XCTAssertLessThanOrEqual(highest.load(ordering: .relaxed), 1, "two tasks run on workers 0 and 1 only")
    }
}

/// Parking: helpers stop polling at once, and the next job still runs everywhere. The polling
/// time is lengthened to a minute here, so a helper seen asleep was sent to sleep, not timed out,
/// and the states are read with seconds to spare: nothing here depends on scheduler latency.
final class WorkerPoolParkingTests: XCTestCase {
    override func setUp() { WorkerPool.setPollingNanoseconds(60_000_000_000) }

    override func tearDown() {
        WorkerPool.shared.park()
        WorkerPool.setPollingNanoseconds(UInt64(WorkerPool.spinSeconds * 1e9))
        runRegion()
        WorkerPool.shared.park()
    }

    /// Scheduler states ("R" running, "S" sleeping, …) of this process's pool threads.
    private func poolThreadStates() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { tid in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8),
                name.hasPrefix("attn-pool-"),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").first.map(String.init)
        }
    }

    private func runRegion() {
        let count = Mutex(0)
        ParallelFor.run(taskCount: 8, threadCount: 2) { _, _ in count.withLock { $0 += 1 } }
        XCTAssertEqual(count.withLock { $0 }, 8)
    }

    /// Reads the pool threads' states for up to 10 s until `holds` is true.
    private func poolThreads(_ holds: ([String]) -> Bool) -> Bool {
        let start = Date()
        repeat {
            let states = poolThreadStates()
            if !states.isEmpty && holds(states) { return true }
            usleep(20)
        } while Date().timeIntervalSince(start) < 10
        return false
    }

    func testParkedHelpersSleepAndStillTakeTheNextJob() {
        runRegion()
        runRegion()
        // The helper that took part polls (running); helpers left out of the job sleep.
        XCTAssertTrue(poolThreads { $0.contains("R") }, "a helper polls right after its job")
        WorkerPool.shared.park()
        XCTAssertTrue(poolThreads { Set($0) == ["S"] }, "parked helpers sleep although their polling time is not up")
        runRegion()
    }

    func testNoHelperPollsAfterAJobWithMoreParticipantsThanProcessors() {
        // Pollers beyond the processors would take the cores the workers need: after such a job
        // every helper sleeps at once, without a park.
        let participants = WorkerPool.processors + 1
        let count = Mutex(0)
        ParallelFor.run(taskCount: 4 * participants, threadCount: participants) { _, _ in count.withLock { $0 += 1 } }
        XCTAssertEqual(count.withLock { $0 }, 4 * participants)
        XCTAssertTrue(poolThreads { Set($0) == ["S"] }, "helpers sleep after an oversubscribed job")
        runRegion()
    }
}
