import AttentionKernels
import Dispatch

/// What one measured configuration produced.
public struct KernelMeasurementResult: Sendable, Codable, Equatable {
    public var wallTimesSeconds: [Double]
    public var peakMemoryBytes: Int?
    public var workspaceBytes: Int
    public var maxAbsError: Double
    public var errorRowsChecked: Int
    public var outputsFinite: Bool
    /// Resident bytes before the kernel's first call (inputs and output allocated).
    public var residentBeforeBytes: Int?
}

/// Measures one kernel on one problem, honestly:
/// 1. inputs and output are allocated and filled (seeded) before anything is timed;
/// 2. the resident high-water mark is reset, the kernel runs once, and its own peak is the
///    high-water mark minus the resident size just before (inputs already counted out);
/// 3. the output of that first call is checked against the float64 reference;
/// 4. warm-up calls, then timed repetitions under `policy`; the output is kept alive.
public enum KernelMeasurement {
    public static func measure(kernel: any AttentionKernel, problem: AttentionProblem, threadCount: Int,
                               policy: RepetitionPolicy, seed: UInt64,
                               errorCheckBudget: Int = 50_000_000) -> KernelMeasurementResult {
        let (q, k, v, o) = makeTensors(problem, seed: seed)

        let before = ProcessMemory.snapshot()
        let canReset = ProcessMemory.resetPeak()
        kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
        let after = ProcessMemory.snapshot()
        var peak: Int? = nil
        if canReset, let before, let after {
            peak = max(0, after.peakResidentBytes - before.residentBytes)
        }

        let report = ReferenceAttention.compare(problem, query: q, key: k, value: v, output: o,
                                                rows: ReferenceAttention.rowsToCheck(problem, budgetMultiplyAdds: errorCheckBudget,
                                                                                     seed: seed))
        var finite = true
        for x in o.storage where !x.isFinite { finite = false; break }

        for _ in 0..<policy.warmupRepetitions {
            kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
        }
        var times: [Double] = []
        var elapsed = 0.0
        while policy.shouldContinue(completed: times.count, elapsedSeconds: elapsed) {
            let start = DispatchTime.now().uptimeNanoseconds
            kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            times.append(seconds)
            elapsed += seconds
        }
        keepAlive(o)
        return KernelMeasurementResult(
            wallTimesSeconds: times, peakMemoryBytes: peak,
            workspaceBytes: kernel.workspaceBytes(problem, threadCount: threadCount),
            maxAbsError: report.maxAbsError, errorRowsChecked: report.rowsChecked, outputsFinite: finite,
            residentBeforeBytes: before?.residentBytes)
    }

    /// Runs the kernel once on a fresh problem and reports whether it completed. Used by the
    /// maximum-length search inside a memory-capped child process.
    public static func attemptOnce(kernel: any AttentionKernel, problem: AttentionProblem, threadCount: Int,
                                   seed: UInt64) -> Double {
        let (q, k, v, o) = makeTensors(problem, seed: seed)
        let start = DispatchTime.now().uptimeNanoseconds
        kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        keepAlive(o)
        return seconds
    }

    /// Q, K, V filled with seeded uniform values in [-1, 1) and O filled with NaN (so an element
    /// a kernel fails to write shows up as non-finite), all resident before anything is measured.
    static func makeTensors(_ problem: AttentionProblem, seed: UInt64)
        -> (AttentionTensor, AttentionTensor, AttentionTensor, AttentionTensor) {
        func tensor(_ length: Int) -> AttentionTensor {
            AttentionTensor(batch: problem.batch, heads: problem.heads, sequenceLength: length,
                            headDimension: problem.headDimension)
        }
        let q = tensor(problem.queryLength), k = tensor(problem.keyLength)
        let v = tensor(problem.keyLength), o = tensor(problem.queryLength)
        q.fillRandom(seed: seed)
        k.fillRandom(seed: seed &+ 1)
        v.fillRandom(seed: seed &+ 2)
        o.fill(.nan)
        return (q, k, v, o)
    }

    /// GFLOP/s of cblas_sgemm at attention's own shapes: the two whole-slice products of a
    /// non-causal problem (S = Q·Kᵀ, then O = P·V), `slices` slices of length `sequenceLength`,
    /// run with the same threading as the kernels (slice-parallel, one OpenBLAS thread each,
    /// when there are enough slices; otherwise multi-threaded OpenBLAS). The fastest of
    /// `repetitions` after one warm-up: a ceiling is what sgemm can reach, and on a shared
    /// machine the median of a few runs drifts with the neighbours. This is the roofline every
    /// row's `efficiency` uses.
    public static func sgemmCeiling(headDimension d: Int, sequenceLength n: Int, slices: Int, threadCount: Int,
                                    repetitions: Int = 11) -> Double {
        let q = AlignedMemory.allocateFloats(slices * n * d)
        let k = AlignedMemory.allocateFloats(slices * n * d)
        let s = AlignedMemory.allocateFloats(slices * n * n)
        let o = AlignedMemory.allocateFloats(slices * n * d)
        defer { AlignedMemory.free(q); AlignedMemory.free(k); AlignedMemory.free(s); AlignedMemory.free(o) }
        var generator = SplitMix64(seed: 7)
        for i in 0..<(slices * n * d) { q[i] = Float(generator.nextUnitDouble()) - 0.5; k[i] = Float(generator.nextUnitDouble()) - 0.5 }
        for i in 0..<(slices * n * n) { s[i] = Float(generator.nextUnitDouble()) }
        func slice(_ i: Int) {
            BLAS.sgemm(.none, .transpose, m: n, n: n, k: d, alpha: 1, a: q + i * n * d, lda: d, b: k + i * n * d, ldb: d,
                       beta: 0, c: s + i * n * n, ldc: n)
            BLAS.sgemm(.none, .none, m: n, n: d, k: n, alpha: 1, a: s + i * n * n, lda: n, b: k + i * n * d, ldb: d,
                       beta: 0, c: o + i * n * d, ldc: d)
        }
        func once() {
            if slices >= threadCount {
                BLAS.withThreadCount(1) { ParallelFor.run(taskCount: slices, threadCount: threadCount) { i, _ in slice(i) } }
            } else {
                BLAS.withThreadCount(threadCount) { for i in 0..<slices { slice(i) } }
            }
        }
        once()
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            once()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let fastest = TimingStatistics(samplesSeconds: times)!.minimumSeconds
        return 4 * Double(slices) * Double(n) * Double(n) * Double(d) / fastest / 1e9
    }

    /// Memory-read bandwidth in GB/s (10⁹ bytes per second): `threadCount` workers each sum
    /// their share of a `bytes` buffer (far larger than the caches) with SIMD loads; the best of
    /// `repetitions` passes after one warm-up pass. This is the roofline of the decode shapes,
    /// which must stream K and V once.
    public static func memoryReadBandwidth(bytes: Int = 512 << 20, threadCount: Int, repetitions: Int = 5) -> Double {
        let count = bytes / 4
        let buffer = AlignedMemory.allocateFloats(count)
        defer { AlignedMemory.free(buffer) }
        buffer.initialize(repeating: 1, count: count)
        let chunks = max(1, threadCount) * 8
        let perChunk = (count / chunks) / 64 * 64
        let sums = AlignedMemory.allocateFloats(chunks * 16)
        defer { AlignedMemory.free(sums) }
        func pass() {
            ParallelFor.run(taskCount: chunks, threadCount: threadCount) { chunk, _ in
                var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
                var p = UnsafeRawPointer(buffer + chunk * perChunk)
                let end = p + perChunk * 4
                while p < end {
                    a += p.load(as: SIMD16<Float>.self)
                    b += p.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                    c += p.load(fromByteOffset: 128, as: SIMD16<Float>.self)
                    d += p.load(fromByteOffset: 192, as: SIMD16<Float>.self)
                    p += 256
                }
                sums[chunk * 16] = (a + b + c + d).sum()
            }
        }
        pass()
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            pass()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Double(chunks * perChunk * 4) / best / 1e9
    }

    @inline(never)
    static func keepAlive(_ tensor: AttentionTensor) {
        withExtendedLifetime(tensor) {}
    }
}
