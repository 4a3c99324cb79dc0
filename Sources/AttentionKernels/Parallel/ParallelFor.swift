import Dispatch
import Synchronization

/// Runs `taskCount` independent tasks on `threadCount` workers that pull task indices from a
/// shared atomic counter (dynamic scheduling, so causal blocks of unequal cost balance out).
/// `body(task, worker)` receives the worker index in 0..<threadCount for per-worker scratch.
/// With one worker, or one task, everything runs on the calling thread.
public enum ParallelFor {
    public static func run(taskCount: Int, threadCount: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        if taskCount <= 0 { return }
        let workers = max(1, min(threadCount, taskCount))
        if workers == 1 {
            for task in 0..<taskCount { body(task, 0) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let task = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if task >= taskCount { break }
                body(task, worker)
            }
        }
    }
}

/// Per-worker scratch: one aligned float buffer per worker, allocated once per kernel call and
/// handed out by worker index, so the hot loop never allocates.
public final class WorkerScratch: @unchecked Sendable {
    public let floatsPerWorker: Int
    private let base: UnsafeMutablePointer<Float>
    private let workers: Int

    public init(workers: Int, floatsPerWorker: Int) {
        self.workers = max(1, workers)
        // Round each slice up to a cache line so workers never share one.
        self.floatsPerWorker = (max(1, floatsPerWorker) + 15) / 16 * 16
        let total = self.workers * self.floatsPerWorker
        base = AlignedMemory.allocateFloats(total)
        base.initialize(repeating: 0, count: total)
    }

    deinit { AlignedMemory.free(base) }

    @inline(__always)
    public func buffer(worker: Int) -> UnsafeMutablePointer<Float> {
        base + worker * floatsPerWorker
    }

    public var byteCount: Int { workers * floatsPerWorker * 4 }
}
