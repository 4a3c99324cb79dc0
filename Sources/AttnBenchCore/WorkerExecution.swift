import AttentionKernels
#if canImport(Glibc)
    import Glibc
#endif

/// The measuring side of a sweep, run inside a child process: one request in, one response
/// out. Sets up the process (allocator, OpenBLAS threads and buffers, the memory cap of a
/// maximum-length attempt) before anything is measured or capped.
public enum WorkerExecution {
    /// Address space above the budget left for OpenBLAS buffers and thread stacks.
    public static let addressSpaceSlackBytes = 1 << 30

    public static func handle(_ request: WorkerRequest) -> WorkerResponse {
        if let parent = request.parentProcessIdentifier { ParentWatch.dieWithParent(parent) }
        ProcessMemory.configureAllocatorForMeasurement()
        // An allocation that fails (here, or under the maxlen cap) ends the child with a status
        // the parent reads as out of memory: an `oom` row, not a crash.
        AlignedMemory.setAllocationFailureHandler { _ in _exit(WorkerResponse.outOfMemoryExitCode) }
        let configuration = request.configuration
        let threads = configuration.threads
        warmUpRuntime(threads: threads)
        BLAS.setThreadCount(threads)
        let blas = BLASIdentity.current()

        let problem: AttentionProblem
        let kernel: any AttentionKernel
        do {
            problem = try configuration.problem()
            kernel = try configuration.kernel()
        } catch {
            return WorkerResponse(blas: blas, error: "\(error)")
        }
        switch request.mode {
        case .attempt:
            if let limit = request.memoryLimitBytes {
                // The budget is enforced where attnbench allocates: inputs, output and every
                // kernel workspace together may not exceed it. RLIMIT_AS backs it up for the
                // whole process, with slack for OpenBLAS, which reserves 128 MiB buffers per
                // calling thread and spins instead of failing when it cannot.
                AlignedMemory.setLimit(bytes: AlignedMemory.outstandingBytes + limit)
                let baseline = ProcessMemory.snapshot()?.virtualBytes ?? 0
                if !ProcessMemory.limitAddressSpace(bytes: baseline + limit + addressSpaceSlackBytes) {
                    return WorkerResponse(blas: blas, error: "setrlimit(RLIMIT_AS) refused")
                }
            }
            let seconds = KernelMeasurement.attemptOnce(
                kernel: kernel, problem: problem, threadCount: threads,
                seed: request.seed)
            return WorkerResponse(attemptSeconds: seconds, blas: blas)
        case .measure:
            var result = KernelMeasurement.measure(
                kernel: kernel, problem: problem, threadCount: threads,
                policy: request.policy, seed: request.seed,
                errorCheckBudget: request.errorCheckBudget, roofline: request.roofline)
            if let work = configuration.layerWork {
                // After the attention's tensors are freed: the layer's weights are not its memory.
                let layer = LayerProducts(
                    projections: work.projections, tokens: work.tokens, threads: threads, seed: request.seed)
                result.layerWallTimesSeconds = layer.measure(policy: request.policy)
                if let head = work.outputHead {
                    let products = LayerProducts(
                        projections: [head], tokens: work.tokens, threads: threads, seed: request.seed)
                    result.outputHeadWallTimesSeconds = products.measure(policy: request.policy)
                }
            }
            return WorkerResponse(measurement: result, blas: blas)
        }
    }

    /// Brings OpenBLAS's buffers and the worker threads into existence before anything is
    /// measured or capped: a multi-threaded sgemm, then one single-threaded sgemm on every
    /// worker thread (OpenBLAS allocates a buffer per calling thread on first use).
    static func warmUpRuntime(threads: Int) {
        let n = 256
        let a = AlignedMemory.allocateFloats(n * n)
        let c = AlignedMemory.allocateFloats(n * n)
        defer {
            AlignedMemory.free(a)
            AlignedMemory.free(c)
        }
        a.initialize(repeating: 0.5, count: n * n)
        BLAS.withThreadCount(threads) {
            BLAS.sgemm(.none, .transpose, m: n, n: n, k: n, alpha: 1, a: a, lda: n, b: a, ldb: n, beta: 0, c: c, ldc: n)
        }
        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: max(1, threads) * 4, threadCount: threads) { _, _ in
                let scratch = AlignedMemory.allocateFloats(64 * 64)
                scratch.initialize(repeating: 0.25, count: 64 * 64)
                BLAS.sgemm(
                    .none, .none, m: 64, n: 64, k: 64, alpha: 1, a: a, lda: n, b: a, ldb: n, beta: 0, c: scratch,
                    ldc: 64)
                AlignedMemory.free(scratch)
            }
        }
        WorkerPool.shared.park()
    }
}
