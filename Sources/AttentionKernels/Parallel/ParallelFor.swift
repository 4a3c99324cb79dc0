import CSystemShims
import Dispatch
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
/// Hand-off spins before it sleeps, as OpenMP runtimes do: a helper that took part in the last
/// job polls the job counter for `spinSeconds` before it waits on a condition variable, and
/// the caller polls the count of helpers still busy before it waits in turn. Nobody polls when
/// a job has more participants than the machine has processors (pollers would take the cores
/// the workers need), and helpers left out of a job sleep at once. Waking a sleeping thread costs
/// tens of microseconds on a virtual machine — as long as a whole decode step — so a pool
/// that always sleeps would time the scheduler instead of the kernel. `park()`
/// sends pollers to sleep at once (before work threaded outside the pool).
///
/// `@unchecked Sendable`: `job`, `activeHelpers` and `jobPolls` are written only with `mutex` held and
/// read by a helper only with `mutex` held after it has seen `generation` move; `generation`
/// and `pending` are atomics. The standard library's `Mutex` has no condition variable, so the
/// pool keeps pthread's, allocated once on the heap so their addresses never move.
public final class WorkerPool: @unchecked Sendable {
    public static let shared = WorkerPool()

    /// How long an idle helper, or a caller waiting for its helpers, polls before sleeping.
    public static let spinSeconds = 0.001
    /// The polling time in use, in nanoseconds: `spinSeconds` unless `setPollingNanoseconds`
    /// changed it (tests lengthen it, so that what they observe cannot be the polling ending).
    private static let pollingNanoseconds = Atomic<UInt64>(UInt64(spinSeconds * 1e9))

    public static func setPollingNanoseconds(_ nanoseconds: UInt64) {
        pollingNanoseconds.store(nanoseconds, ordering: .relaxed)
    }
    /// Processors this process may run on: jobs with more participants never poll.
    public static let processors = max(1, Int(attnbench_available_processors()))

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var threads: [pthread_t] = []
    private var job: ((Int) -> Void)? = nil
    private var activeHelpers = 0
    /// Whether the current job's participants poll (participants ≤ processors).
    private var jobPolls = false
    /// Jobs posted so far; moves (with `mutex` held) when a job is posted.
    private let generation = Atomic<Int>(0)
    /// Helpers that have not finished the current job.
    private let pending = Atomic<Int>(0)
    /// The job generation at the last `park()`: a helper whose last job is that one sleeps.
    private let parkedGeneration = Atomic<Int>(-1)
    /// The caller sleeps on `finished` (set with `mutex` held); the last helper signals only then.
    private let callerSleeping = Atomic<Bool>(false)
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
            let status = pthread_create(
                &thread, nil,
                { raw in
                    let context = Unmanaged<HelperContext>.fromOpaque(raw!).takeRetainedValue()
                    context.pool.helperLoop(worker: context.worker)
                    return nil
                }, context)
            precondition(status == 0, "could not create worker thread \(index): error \(status)")
            threads.append(thread)
        }
    }

    /// Sends polling helpers to sleep now instead of after `spinSeconds`: for a caller about to
    /// hand both cores to work outside the pool (a multi-threaded OpenBLAS call) right after a
    /// parallel region. The next job wakes them as usual.
    public func park() {
        parkedGeneration.store(generation.load(ordering: .relaxed), ordering: .releasing)
    }

    func run(participants: Int, _ body: @escaping (Int) -> Void) {
        region.withLock { _ in
            let helpers = participants - 1
            reserve(helpers: helpers)
            pthread_mutex_lock(mutex)
            let polls = participants <= Self.processors
            job = body
            activeHelpers = helpers
            jobPolls = polls
            pending.store(helpers, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)

            body(0)

            if !(polls && Self.spin(until: { pending.load(ordering: .acquiring) == 0 })) {
                pthread_mutex_lock(mutex)
                callerSleeping.store(true, ordering: .sequentiallyConsistent)
                while pending.load(ordering: .sequentiallyConsistent) > 0 { pthread_cond_wait(finished, mutex) }
                callerSleeping.store(false, ordering: .relaxed)
                pthread_mutex_unlock(mutex)
            }
            pthread_mutex_lock(mutex)
            job = nil
            pthread_mutex_unlock(mutex)
        }
    }

    /// Name of pool thread `worker` (as `top -H`, perf and /proc show it).
    public static func threadName(worker: Int) -> String { "attn-pool-\(worker)" }

    private func helperLoop(worker: Int) {
        _ = attnbench_name_this_thread(Self.threadName(worker: worker))
        var seen = 0
        var polls = false
        while true {
            if polls {
                let lastSeen = seen
                _ = Self.spin(until: {
                    generation.load(ordering: .acquiring) != lastSeen
                        || parkedGeneration.load(ordering: .acquiring) == lastSeen
                })
            }
            guard runPostedJob(worker: worker, seen: &seen, polls: &polls) else { continue }
            // Either the caller sees `pending` reach 0 before it sleeps, or this helper sees it
            // sleeping (both sequentially consistent); the signal, sent with `mutex` held,
            // cannot fall between the caller's last check and its wait.
            if pending.subtract(1, ordering: .sequentiallyConsistent).newValue == 0,
                callerSleeping.load(ordering: .sequentiallyConsistent)
            {
                pthread_mutex_lock(mutex)
                pthread_cond_signal(finished)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    /// Waits for the next job and runs it if this helper takes part; false if it does not.
    /// The job's closure is released when this returns, before `pending` tells the caller
    /// that the job is done (the caller's closure may not outlive its parallel region).
    /// `polls`: whether to poll for the job after this one (false when this helper is left out).
    @inline(never)
    private func runPostedJob(worker: Int, seen: inout Int, polls: inout Bool) -> Bool {
        pthread_mutex_lock(mutex)
        while generation.load(ordering: .relaxed) == seen { pthread_cond_wait(wake, mutex) }
        seen = generation.load(ordering: .relaxed)
        let body = worker <= activeHelpers ? job : nil
        polls = body != nil && jobPolls
        pthread_mutex_unlock(mutex)
        guard let body else { return false }
        body(worker)
        return true
    }

    /// Polls `done` with a pause hint until it holds (true) or `spinSeconds` have passed (false).
    @inline(__always)
    private static func spin(until done: () -> Bool) -> Bool {
        var deadline = 0 as UInt64
        var polls = 0
        while !done() {
            attnbench_spin_pause()
            polls &+= 1
            if polls & 255 == 0 {
                let now = DispatchTime.now().uptimeNanoseconds
                if deadline == 0 {
                    deadline = now + pollingNanoseconds.load(ordering: .relaxed)
                } else if now > deadline {
                    return false
                }
            }
        }
        return true
    }

    private final class HelperContext {
        let pool: WorkerPool
        let worker: Int
        init(pool: WorkerPool, worker: Int) {
            self.pool = pool
            self.worker = worker
        }
    }
}
