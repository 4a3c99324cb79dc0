/// A BLAS-composed kernel run on bf16, fp16 or q8_0 tensors: OpenBLAS has no GEMM for those
/// types, so what the kernel hands to `cblas_sgemm` must be fp32, and the conversion is part of
/// what composing attention from library calls costs.
///
/// Per (batch, K/V head) slice, once: K and V of the slice and the Q rows of its query heads
/// are widened (exactly) into fp32 scratch tensors, the fp32 kernel runs on that sub-problem
/// (batch 1, the group's query heads, one K/V head, the batch element's valid keys, the same
/// mask and scale), and its fp32 output is rounded to O's type (nearest even) — the only
/// rounding the wrapper adds; everything between is the fp32 kernel's own arithmetic. Widening
/// once per slice rather than per block keeps each value's conversion to one pass and lets
/// the unchanged fp32 kernel block as it always does; it costs one fp32 copy of a slice, not
/// of the whole cache.
///
/// Slices run in parallel with single-threaded inner kernels when there are at least as many
/// as threads, one after another with the inner kernel on every thread otherwise.
/// Workspace: per concurrent slice 4·(2·G·Sq + 2·Skv)·d bytes of fp32 copies plus the fp32
/// kernel's own workspace for the sub-problem. With every tensor fp32 it is the fp32 kernel.
public struct WideningAttention: AttentionKernel {
    public let inner: any AttentionKernel

    public init(_ inner: any AttentionKernel) { self.inner = inner }

    public var variant: AttentionVariant { inner.variant }
    public var blockSizes: BlockSizes? { inner.blockSizes }

    public func blockSizesRun(on problem: AttentionProblem) -> BlockSizes? { inner.blockSizesRun(on: problem) }

    public func tileDescription(_ problem: AttentionProblem, threadCount: Int) -> String? {
        inner.tileDescription(problem, threadCount: threadCount)
    }

    /// Slices run at once, and the threads each inner kernel gets.
    static func concurrency(_ problem: AttentionProblem, threadCount: Int) -> (slices: Int, innerThreads: Int) {
        let slices = problem.batch * problem.keyValueHeads
        let threads = max(1, threadCount)
        return slices >= threads ? (threads, 1) : (1, threads)
    }

    /// The problem and thread count the fp32 kernel runs on (the whole problem when it is fp32,
    /// else the first slice's), e.g. for the strategy naive resolves to.
    public static func innerCall(_ problem: AttentionProblem, threadCount: Int) -> (AttentionProblem, Int) {
        if problem.isAllFloat32 { return (problem, threadCount) }
        return (subproblem(problem, batch: 0), concurrency(problem, threadCount: threadCount).innerThreads)
    }

    /// The fp32 problem of one (batch, K/V head) slice.
    static func subproblem(_ problem: AttentionProblem, batch b: Int) -> AttentionProblem {
        do {
            return try AttentionProblem(
                batch: 1, heads: problem.groupSize, queryLength: problem.queryLength, keyLength: problem.keyLength,
                headDimension: problem.headDimension, causal: problem.causal,
                validKeyLengths: problem.validKeyLengths.map { [$0[b]] }, scale: problem.scale, keyValueHeads: 1,
                window: problem.window)
        } catch {
            preconditionFailure("a slice of a valid problem is valid: \(error)")
        }
    }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        if problem.isAllFloat32 { return inner.workspaceBytes(problem, threadCount: threadCount) }
        let (slices, innerThreads) = Self.concurrency(problem, threadCount: threadCount)
        let copies = 4 * (2 * problem.groupSize * problem.queryLength + 2 * problem.keyLength) * problem.headDimension
        return slices * (copies + inner.workspaceBytes(Self.subproblem(problem, batch: 0), threadCount: innerThreads))
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        problem.preconditionShapes(query: query, key: key, value: value, output: output)
        if problem.isAllFloat32 {
            inner.run(problem, query: query, key: key, value: value, output: output, threadCount: threadCount)
            return
        }
        let G = problem.groupSize
        let Nq = problem.queryLength
        let Nk = problem.keyLength
        let d = problem.headDimension
        let (concurrent, innerThreads) = Self.concurrency(problem, threadCount: threadCount)
        let workers = (0..<concurrent).map { _ in
            (
                q: AttentionTensor(batch: 1, heads: G, sequenceLength: Nq, headDimension: d),
                k: AttentionTensor(batch: 1, heads: 1, sequenceLength: Nk, headDimension: d),
                v: AttentionTensor(batch: 1, heads: 1, sequenceLength: Nk, headDimension: d),
                o: AttentionTensor(batch: 1, heads: G, sequenceLength: Nq, headDimension: d)
            )
        }
        func runSlice(_ slice: Int, _ worker: Int, _ threads: Int) {
            let b = slice / problem.keyValueHeads
            let kvHead = slice % problem.keyValueHeads
            let scratch = workers[worker]
            // The group's query heads are consecutive, so their rows are one run of G·Sq rows.
            let firstQueryRow = (b * problem.heads + kvHead * G) * Nq
            ElementConversion.widen(
                UnsafeRawPointer(query.rawBaseAddress + firstQueryRow * query.rowBytes), count: G * Nq * d,
                from: query.elementType, destination: scratch.q.baseAddress)
            ElementConversion.widen(
                UnsafeRawPointer(key.rowPointer(batch: b, head: kvHead, row: 0)), count: Nk * d, from: key.elementType,
                destination: scratch.k.baseAddress)
            ElementConversion.widen(
                UnsafeRawPointer(value.rowPointer(batch: b, head: kvHead, row: 0)), count: Nk * d,
                from: value.elementType, destination: scratch.v.baseAddress)
            inner.run(
                Self.subproblem(problem, batch: b), query: scratch.q, key: scratch.k, value: scratch.v,
                output: scratch.o,
                threadCount: threads)
            ElementConversion.narrow(
                scratch.o.baseAddress, count: G * Nq * d, to: output.elementType,
                destination: output.rawBaseAddress + firstQueryRow * output.rowBytes)
        }
        let slices = problem.batch * problem.keyValueHeads
        if concurrent > 1 {
            BLAS.withThreadCount(1) {
                ParallelFor.run(taskCount: slices, threadCount: concurrent) { slice, worker in
                    runSlice(slice, worker, 1)
                }
            }
        } else {
            for slice in 0..<slices { runSlice(slice, 0, innerThreads) }
        }
    }
}
