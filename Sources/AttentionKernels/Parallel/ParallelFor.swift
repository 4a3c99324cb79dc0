import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs `taskCount` independent tasks on `threadCount` workers that pull task indices from a
/// shared atomic counter (dynamic scheduling, so causal blocks of unequal cost balance out).
/// `body(task, worker)` receives the worker index in 0..<threadCount for per-worker scratch.
/// The calling thread is worker 0; the others are persistent threads of `WorkerPool`, the same
/// threads on every call, so OpenBLAS's per-thread buffers and thread stacks are created once
/// (which also keeps a memory-capped process from needing new threads mid-measurement).
public enum ParallelFor {
    public static func run(taskCount: Int, threadCount: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        if taskCount <= 0 { return }
        let workers = max(1, min(threadCount, taskCount))
        if workers == 1 {
            for task in 0..<taskCount { body(task, 0) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { escapable in
            WorkerPool.shared.run(participants: workers) { worker in
                while true {
                    let task = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if task >= taskCount { break }
                    escapable(task, worker)
                }
            }
        }
    }
}

/// A fixed set of persistent worker threads. `run` hands one job to the first
/// `participants − 1` pool threads plus the caller and returns when all have finished it.
/// Jobs are serialised (one parallel region at a time, as kernels never nest them).
///
/// `@unchecked Sendable`: every mutable field is read and written only with `mutex` held
/// (helpers sleep on `wake`, the caller on `finished`). The standard library's `Mutex` has no
/// condition variable, so the pool keeps pthread's, allocated once on the heap so their
/// addresses never move.
public final class WorkerPool: @unchecked Sendable {
    public static let shared = WorkerPool()

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var threads: [pthread_t] = []
    private var generation = 0
    private var job: ((Int) -> Void)? = nil
    private var activeHelpers = 0
    private var pending = 0
    /// Serialises parallel regions.
    private let region = Mutex<Void>(())

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
    }

    /// Creates pool threads until there are at least `count` helpers.
    public func reserve(helpers count: Int) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while threads.count < count {
            let index = threads.count + 1
            let context = Unmanaged.passRetained(HelperContext(pool: self, worker: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<HelperContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.helperLoop(worker: context.worker)
                return nil
            }, context)
            precondition(status == 0, "could not create worker thread \(index): error \(status)")
            threads.append(thread)
        }
    }

    func run(participants: Int, _ body: @escaping (Int) -> Void) {
        region.withLock { _ in
            let helpers = participants - 1
            reserve(helpers: helpers)
            pthread_mutex_lock(mutex)
            job = body
            activeHelpers = helpers
            pending = helpers
            generation += 1
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)

            body(0)

            pthread_mutex_lock(mutex)
            while pending > 0 { pthread_cond_wait(finished, mutex) }
            job = nil
            pthread_mutex_unlock(mutex)
        }
    }

    private func helperLoop(worker: Int) {
        var seen = 0
        pthread_mutex_lock(mutex)
        while true {
            while generation == seen { pthread_cond_wait(wake, mutex) }
            seen = generation
            guard worker <= activeHelpers, let body = job else { continue }
            pthread_mutex_unlock(mutex)
            body(worker)
            pthread_mutex_lock(mutex)
            pending -= 1
            if pending == 0 { pthread_cond_signal(finished) }
        }
    }

    private final class HelperContext {
        let pool: WorkerPool
        let worker: Int
        init(pool: WorkerPool, worker: Int) { self.pool = pool; self.worker = worker }
    }
}
