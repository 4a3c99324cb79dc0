import ArgumentParser
import AttentionKernels
import AttnBenchCore
import Foundation
import Glibc

/// Hidden: the child-process side of a sweep or maximum-length search. Reads one JSON request
/// from its argument, answers one JSON line on stdout.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_worker", abstract: "Internal: measure one configuration in this process.",
        shouldDisplay: false)

    @Argument var request: String

    func run() throws {
        guard let decoded = try? JSONDecoder().decode(WorkerRequest.self, from: Data(request.utf8)) else {
            throw UserError("_worker: the request is not valid JSON for this attnbench version")
        }
        let response = Self.handle(decoded)
        let data = try JSONEncoder().encode(response)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func handle(_ request: WorkerRequest) -> WorkerResponse {
        ProcessMemory.configureAllocatorForMeasurement()
        // An allocation that fails (here, or under the maxlen cap) ends the child with a status
        // the parent reads as out of memory: an `oom` row, not a crash.
        AlignedMemory.allocationFailureHandler = { _ in Glibc._exit(WorkerResponse.outOfMemoryExitCode) }
        let configuration = request.configuration
        let threads = configuration.threads
        warmUpRuntime(threads: threads, headDimension: configuration.headDimension)
        BLAS.setThreadCount(threads)
        let blas = BLASIdentity.current()

        switch request.mode {
        case .measure, .attempt:
            let problem: AttentionProblem
            do { problem = try configuration.problem() } catch {
                return WorkerResponse(blas: blas, error: "\(error)")
            }
            let kernel = configuration.kernel()
            if request.mode == .attempt {
                if let limit = request.memoryLimitBytes {
                    // The budget is enforced where attnbench allocates: inputs, output and every
                    // kernel workspace together may not exceed it. RLIMIT_AS backs it up for the
                    // whole process, with slack for OpenBLAS, which reserves 128 MiB buffers per
                    // calling thread and spins instead of failing when it cannot.
                    AlignedMemory.limitBytes = AlignedMemory.outstandingBytes + limit
                    let baseline = ProcessMemory.snapshot()?.virtualBytes ?? 0
                    if !ProcessMemory.limitAddressSpace(bytes: baseline + limit + Self.addressSpaceSlackBytes) {
                        return WorkerResponse(blas: blas, error: "setrlimit(RLIMIT_AS) refused")
                    }
                }
                let seconds = KernelMeasurement.attemptOnce(kernel: kernel, problem: problem, threadCount: threads,
                                                            seed: request.seed)
                return WorkerResponse(attemptSeconds: seconds, blas: blas)
            }
            let result = KernelMeasurement.measure(kernel: kernel, problem: problem, threadCount: threads,
                                                   policy: request.policy, seed: request.seed,
                                                   errorCheckBudget: request.errorCheckBudget, roofline: request.roofline)
            return WorkerResponse(measurement: result, blas: blas)
        }
    }

    /// Address space above the budget left for OpenBLAS buffers and thread stacks.
    static let addressSpaceSlackBytes = 1 << 30

    /// Brings OpenBLAS's buffers and the worker threads into existence before anything is
    /// measured or capped: a multi-threaded sgemm, then one single-threaded sgemm on every
    /// worker thread (OpenBLAS allocates a buffer per calling thread on first use).
    static func warmUpRuntime(threads: Int, headDimension: Int) {
        let n = 256
        let a = AlignedMemory.allocateFloats(n * n), c = AlignedMemory.allocateFloats(n * n)
        defer { AlignedMemory.free(a); AlignedMemory.free(c) }
        a.initialize(repeating: 0.5, count: n * n)
        BLAS.withThreadCount(threads) {
            BLAS.sgemm(.none, .transpose, m: n, n: n, k: n, alpha: 1, a: a, lda: n, b: a, ldb: n, beta: 0, c: c, ldc: n)
        }
        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: max(1, threads) * 4, threadCount: threads) { _, _ in
                let scratch = AlignedMemory.allocateFloats(64 * 64)
                scratch.initialize(repeating: 0.25, count: 64 * 64)
                BLAS.sgemm(.none, .none, m: 64, n: 64, k: 64, alpha: 1, a: a, lda: n, b: a, ldb: n, beta: 0, c: scratch, ldc: 64)
                AlignedMemory.free(scratch)
            }
        }
    }
}
