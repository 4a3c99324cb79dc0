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
    /// Ceiling samples interleaved with the repetitions (empty when not requested).
    public var fmaPeakGigaflopsSamples: [Double] = []
    public var sgemmPeakGigaflopsSamples: [Double] = []
    public var gemmRooflineGigaflopsSamples: [Double] = []
    public var memoryReadGigabytesPerSecondSamples: [Double] = []
    /// bf16 dot-product peak samples, for a kernel whose products run in bf16 on this CPU.
    public var bfloat16DotPeakGigaflopsSamples: [Double] = []
    /// Whether the kernel's products took bf16 operands (`AttentionKernel.productsInBFloat16`).
    public var productsInBFloat16 = false
    /// Vector width of the FMA-peak loop, in bits (nil without ceiling samples).
    public var vectorBits: Int?
    /// The kernel's `tileDescription` for the problem (nil for BLAS-composed kernels).
    public var kernelTile: String?
    /// The median of each worker process whose repetitions are pooled here.
    public var processMediansSeconds: [Double] = []
    /// `--layer`: every timed pass of the layer's products, and of the output head (decode).
    public var layerWallTimesSeconds: [Double] = []
    public var outputHeadWallTimesSeconds: [Double] = []

    public init(
        wallTimesSeconds: [Double], peakMemoryBytes: Int?, workspaceBytes: Int, maxAbsError: Double,
        errorRowsChecked: Int, outputsFinite: Bool, residentBeforeBytes: Int?,
        fmaPeakGigaflopsSamples: [Double] = [], sgemmPeakGigaflopsSamples: [Double] = [],
        gemmRooflineGigaflopsSamples: [Double] = [], memoryReadGigabytesPerSecondSamples: [Double] = [],
        vectorBits: Int? = nil, kernelTile: String? = nil
    ) {
        self.wallTimesSeconds = wallTimesSeconds
        self.peakMemoryBytes = peakMemoryBytes
        self.workspaceBytes = workspaceBytes
        self.maxAbsError = maxAbsError
        self.errorRowsChecked = errorRowsChecked
        self.outputsFinite = outputsFinite
        self.residentBeforeBytes = residentBeforeBytes
        self.fmaPeakGigaflopsSamples = fmaPeakGigaflopsSamples
        self.sgemmPeakGigaflopsSamples = sgemmPeakGigaflopsSamples
        self.gemmRooflineGigaflopsSamples = gemmRooflineGigaflopsSamples
        self.memoryReadGigabytesPerSecondSamples = memoryReadGigabytesPerSecondSamples
        self.vectorBits = vectorBits
        self.kernelTile = kernelTile
    }

    /// The measurements of one configuration in several worker processes, as one: repetitions
    /// and ceiling samples pooled, the worst error and the largest peak kept, each process's
    /// median recorded. Per-process effects (memory placement, which core, the neighbours of
    /// a VM) shift every repetition of a process alike; the spread of the process medians shows
    /// how large they are.
    public static func pooling(_ parts: [KernelMeasurementResult]) -> KernelMeasurementResult? {
        guard var pooled = parts.first else { return nil }
        pooled.processMediansSeconds = parts.compactMap { TimingStatistics.median($0.wallTimesSeconds) }
        for part in parts.dropFirst() {
            pooled.wallTimesSeconds += part.wallTimesSeconds
            pooled.peakMemoryBytes = [pooled.peakMemoryBytes, part.peakMemoryBytes].compactMap { $0 }.max()
            pooled.maxAbsError = max(pooled.maxAbsError, part.maxAbsError)
            pooled.errorRowsChecked = max(pooled.errorRowsChecked, part.errorRowsChecked)
            pooled.outputsFinite = pooled.outputsFinite && part.outputsFinite
            pooled.fmaPeakGigaflopsSamples += part.fmaPeakGigaflopsSamples
            pooled.sgemmPeakGigaflopsSamples += part.sgemmPeakGigaflopsSamples
            pooled.gemmRooflineGigaflopsSamples += part.gemmRooflineGigaflopsSamples
            pooled.memoryReadGigabytesPerSecondSamples += part.memoryReadGigabytesPerSecondSamples
            pooled.bfloat16DotPeakGigaflopsSamples += part.bfloat16DotPeakGigaflopsSamples
            pooled.layerWallTimesSeconds += part.layerWallTimesSeconds
            pooled.outputHeadWallTimesSeconds += part.outputHeadWallTimesSeconds
        }
        return pooled
    }
}

/// Measures one kernel on one problem, honestly:
/// 1. inputs and output are allocated and filled (seeded) before anything is timed;
/// 2. the resident high-water mark is reset, the kernel runs once, and its own peak is the
///    high-water mark minus the resident size just before (inputs already counted out);
/// 3. the output of that first call is checked against the float64 reference;
/// 4. warm-up calls, then timed repetitions under `policy`; the output is kept alive;
/// 5. with `roofline`, samples of the ceilings (FMA peak, sgemm peak, GEMM roofline and, for
///    decode shapes, memory read) are taken between the repetitions, in this process, after the
///    peak was read (the probe's buffers are not the kernel's memory), so each row's
///    efficiencies compare medians taken in the same minutes.
public enum KernelMeasurement {
    public static func measure(
        kernel: any AttentionKernel, problem: AttentionProblem, threadCount: Int,
        policy: RepetitionPolicy, seed: UInt64,
        errorCheckBudget: Int = 50_000_000,
        roofline: RooflineSampling? = nil
    ) -> KernelMeasurementResult {
        let (q, k, v, o) = makeTensors(problem, seed: seed)

        let before = ProcessMemory.snapshot()
        let canReset = ProcessMemory.resetPeak()
        kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
        let after = ProcessMemory.snapshot()
        var peak: Int? = nil
        if canReset, let before, let after {
            peak = max(0, after.peakResidentBytes - before.residentBytes)
        }

        let report = ReferenceAttention.compare(
            problem, query: q, key: k, value: v, output: o,
            rows: ReferenceAttention.rowsToCheck(
                problem, budgetMultiplyAdds: errorCheckBudget,
                seed: seed))
        let finite = o.allFinite

        // From here on the kernel's freed workspace is kept for its next call (the first call
        // above, whose peak is read, allocated it fresh), as a runtime keeps its allocations.
        let (times, ceilings, vectorBits) = AlignedMemory.reusingFreedBlocks {
            timedCalls(
                kernel: kernel, problem: problem, tensors: (q, k, v, o), threadCount: threadCount, policy: policy,
                roofline: roofline)
        }
        keepAlive(o)
        var result = KernelMeasurementResult(
            wallTimesSeconds: times, peakMemoryBytes: peak,
            workspaceBytes: kernel.workspaceBytes(problem, threadCount: threadCount),
            maxAbsError: report.maxAbsError, errorRowsChecked: report.rowsChecked, outputsFinite: finite,
            residentBeforeBytes: before?.residentBytes,
            fmaPeakGigaflopsSamples: ceilings.fmaGigaflops, sgemmPeakGigaflopsSamples: ceilings.sgemmGigaflops,
            gemmRooflineGigaflopsSamples: ceilings.gemmRooflineGigaflops,
            memoryReadGigabytesPerSecondSamples: ceilings.memoryReadGigabytesPerSecond,
            vectorBits: vectorBits, kernelTile: kernel.tileDescription(problem, threadCount: threadCount))
        result.bfloat16DotPeakGigaflopsSamples = ceilings.bfloat16DotGigaflops
        result.productsInBFloat16 = kernel.productsInBFloat16(problem)
        return result
    }

    /// Steps 4 and 5: the warm-up calls, then the timed repetitions with the ceiling samples.
    private static func timedCalls(
        kernel: any AttentionKernel, problem: AttentionProblem,
        tensors: (AttentionTensor, AttentionTensor, AttentionTensor, AttentionTensor), threadCount: Int,
        policy: RepetitionPolicy, roofline: RooflineSampling?
    ) -> (times: [Double], ceilings: CeilingSamples, vectorBits: Int?) {
        let (q, k, v, o) = tensors
        for _ in 0..<policy.warmupRepetitions {
            kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
        }
        let probe = roofline.map {
            RooflineProbe(
                headDimension: problem.headDimension, threadCount: threadCount, memoryRead: $0.memoryRead,
                bfloat16Dots: kernel.productsInBFloat16(problem))
        }
        var ceilings = CeilingSamples()
        var probeElapsed = 0.0
        func sampleRoofline() {
            guard let probe else { return }
            let samples: [(seconds: Double, flops: Double, into: WritableKeyPath<CeilingSamples, [Double]>)] = [
                (probe.fmaPeakSampleSeconds(), probe.fmaPeakFlops, \.fmaGigaflops),
                (probe.sgemmPeakSampleSeconds(), probe.sgemmPeakFlops, \.sgemmGigaflops),
                (probe.gemmRooflineSampleSeconds(), probe.gemmRooflineFlops, \.gemmRooflineGigaflops),
            ]
            for sample in samples {
                ceilings[keyPath: sample.into].append(sample.flops / sample.seconds / 1e9)
                probeElapsed += sample.seconds
            }
            if let seconds = probe.bfloat16DotPeakSampleSeconds(), let flops = probe.bfloat16DotPeakFlops {
                ceilings.bfloat16DotGigaflops.append(flops / seconds / 1e9)
                probeElapsed += seconds
            }
            if let read = probe.memoryReadSampleSeconds() {
                ceilings.memoryReadGigabytesPerSecond.append(probe.readBytes / read / 1e9)
                probeElapsed += read
            }
        }
        if let probe {  // warm the probe's pages, OpenBLAS buffers and the FMA loop, untimed
            _ = probe.fmaPeakSampleSeconds()
            _ = probe.sgemmPeakSampleSeconds()
            _ = probe.gemmRooflineSampleSeconds()
            _ = probe.memoryReadSampleSeconds()
            _ = probe.bfloat16DotPeakSampleSeconds()
        }

        var times: [Double] = []
        var elapsed = 0.0
        while policy.shouldContinue(completed: times.count, elapsedSeconds: elapsed) {
            let start = DispatchTime.now().uptimeNanoseconds
            kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            times.append(seconds)
            elapsed += seconds
            if let roofline,
                roofline.wantsSample(
                    taken: ceilings.gemmRooflineGigaflops.count, probeSeconds: probeElapsed, kernelSeconds: elapsed)
            {
                sampleRoofline()
            }
        }
        while let roofline, ceilings.gemmRooflineGigaflops.count < roofline.minimumSamples { sampleRoofline() }
        return (times, ceilings, probe?.vectorBits)
    }

    /// Runs the kernel once on a fresh problem and reports whether it completed. Used by the
    /// maximum-length search inside a memory-capped child process.
    public static func attemptOnce(
        kernel: any AttentionKernel, problem: AttentionProblem, threadCount: Int,
        seed: UInt64
    ) -> Double {
        let (q, k, v, o) = makeTensors(problem, seed: seed)
        let start = DispatchTime.now().uptimeNanoseconds
        kernel.run(problem, query: q, key: k, value: v, output: o, threadCount: threadCount)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        keepAlive(o)
        return seconds
    }

    /// Q, K, V filled with seeded uniform values in [-1, 1), rounded to the problem's element
    /// types (Q and O in `elementType`, K and V in `keyValueElementType`), and O filled with NaN
    /// (so an element a kernel fails to write shows up as non-finite), all resident before
    /// anything is measured.
    static func makeTensors(_ problem: AttentionProblem, seed: UInt64)
        -> (AttentionTensor, AttentionTensor, AttentionTensor, AttentionTensor)
    {
        func tensor(_ heads: Int, _ length: Int, _ type: ElementType) -> AttentionTensor {
            AttentionTensor(
                batch: problem.batch, heads: heads, sequenceLength: length, headDimension: problem.headDimension,
                elementType: type)
        }
        let q = tensor(problem.heads, problem.queryLength, problem.elementType)
        let k = tensor(problem.keyValueHeads, problem.keyLength, problem.keyValueElementType)
        let v = tensor(problem.keyValueHeads, problem.keyLength, problem.keyValueElementType)
        let o = tensor(problem.heads, problem.queryLength, problem.elementType)
        q.fillRandom(seed: seed)
        k.fillRandom(seed: seed &+ 1)
        v.fillRandom(seed: seed &+ 2)
        o.fill(.nan)
        return (q, k, v, o)
    }

    @inline(never)
    static func keepAlive(_ tensor: AttentionTensor) {
        withExtendedLifetime(tensor) {}
    }
}

/// The ceiling samples one measurement takes between its repetitions.
private struct CeilingSamples {
    var fmaGigaflops: [Double] = []
    var sgemmGigaflops: [Double] = []
    var gemmRooflineGigaflops: [Double] = []
    var memoryReadGigabytesPerSecond: [Double] = []
    var bfloat16DotGigaflops: [Double] = []
}
