import AttentionKernels
import Dispatch

/// The ceilings a row is compared against, as workloads that can be timed one sample at a time,
/// so that `KernelMeasurement` can interleave them with the kernel's own repetitions in the
/// same process and report median against median. On a shared machine a ceiling measured
/// once, minutes away from the row, drifts with the neighbours (the same two-thread sgemm has
/// been seen to read anywhere from 78 to 148 GFLOP/s within an afternoon on a shared VM), and
/// a ratio of two numbers taken at different times measures the neighbours as much as the
/// kernel.
///
/// - FMA peak (`FMAPeak`): register-resident FMAs at the widest vector width on the row's
///   threads. Nothing can exceed it: `peak_efficiency` ≤ 1.
/// - bf16 dot-product peak (`BFloat16DotPeak`), for rows whose products run in bf16: the same
///   for `vdpbf16ps`, twice the FMA peak; such rows' `peak_efficiency` is against it.
/// - sgemm peak: one large square cblas_sgemm (`squareSize`³) with the row's OpenBLAS core, its
///   rows shared among the row's threads, each a single-threaded call: what the BLAS reaches on
///   its best shape. Not OpenBLAS's own threads, whose idle threads spin (yielding the core
///   thousands of times a second) for a while after each call and would slow the kernel's
///   next repetition.
/// - GEMM roofline: cblas_sgemm at attention's own shapes, the two whole-slice products of a
///   non-causal problem (S = Q·Kᵀ, then O = S·V), `slices` slices of `sequenceLength` rows,
///   run with the kernels' threading (slice-parallel with one OpenBLAS thread each when there
///   are enough slices, otherwise multi-threaded OpenBLAS). What composition from these two
///   calls can reach; a kernel can beat it (other shapes pack better), so it is not a ceiling.
/// - memory read: `threadCount` workers each sum their share of a buffer far larger than the
///   caches with SIMD loads. Decode shapes must stream K and V once, so this is their roofline.
///
/// Samples that run on the worker pool park its helpers when they end, so a sample never
/// shares the cores with helpers still polling for work.
public final class RooflineProbe {
    public static let sequenceLength = 1024
    public static let slices = 8
    public static let readBufferBytes = 256 << 20
    public static let squareSize = 1024
    /// FMA-loop iterations per worker and sample: 2·12·16·2^21 ≈ 0.8 GFLOP at AVX-512.
    public static let fmaIterations = 1 << 21
    /// bf16 dot-loop iterations per worker and sample: 1024·2^19 ≈ 0.5 GFLOP.
    public static let bfloat16DotIterations = 1 << 19

    public let headDimension: Int
    public let threadCount: Int
    /// Useful floating-point operations in one GEMM-roofline sample.
    public let gemmRooflineFlops: Double
    /// Floating-point operations in one sgemm-peak sample.
    public let sgemmPeakFlops: Double
    /// Floating-point operations in one FMA-peak sample (all workers).
    public let fmaPeakFlops: Double
    /// Floating-point operations in one bf16 dot-product-peak sample; nil when not sampled.
    public let bfloat16DotPeakFlops: Double?
    public let vectorBits: Int
    /// Bytes read in one memory-read sample (0 without a read buffer).
    public let readBytes: Double

    let q, k, s, o: UnsafeMutablePointer<Float>
    /// The square matrices of the sgemm peak: A, B and C, each squareSize².
    let square: UnsafeMutablePointer<Float>
    /// The read buffer and one 16-float partial sum per chunk; nil without `memoryRead`.
    let read: (buffer: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>)?
    let readChunks: Int
    let floatsPerChunk: Int

    /// Bytes the probe allocates (for memory pre-checks).
    public static func bytes(headDimension d: Int, memoryRead: Bool) -> Int {
        4 * slices * sequenceLength * (3 * d + sequenceLength) + 4 * 3 * squareSize * squareSize
            + (memoryRead ? readBufferBytes : 0)
    }

    /// `memoryRead`: also allocate the 256 MiB read buffer (only decode shapes need it);
    /// `bfloat16Dots`: also sample the bf16 dot-product peak (where the CPU has it).
    public init(headDimension d: Int, threadCount: Int, memoryRead: Bool, bfloat16Dots: Bool = false) {
        headDimension = d
        self.threadCount = max(1, threadCount)
        let n = Self.sequenceLength
        let slices = Self.slices
        q = AlignedMemory.allocateFloats(slices * n * d)
        k = AlignedMemory.allocateFloats(slices * n * d)
        s = AlignedMemory.allocateFloats(slices * n * n)
        o = AlignedMemory.allocateFloats(slices * n * d)
        var generator = SplitMix64(seed: 7)
        for i in 0..<(slices * n * d) {
            q[i] = Float(generator.nextUnitDouble()) - 0.5
            k[i] = Float(generator.nextUnitDouble()) - 0.5
        }
        o.initialize(repeating: 0, count: slices * n * d)
        for i in 0..<(slices * n * n) { s[i] = Float(generator.nextUnitDouble()) }
        gemmRooflineFlops = 4 * Double(slices) * Double(n) * Double(n) * Double(d)
        let m = Self.squareSize
        square = AlignedMemory.allocateFloats(3 * m * m)
        for i in 0..<(2 * m * m) { square[i] = Float(generator.nextUnitDouble()) - 0.5 }
        (square + 2 * m * m).initialize(repeating: 0, count: m * m)
        sgemmPeakFlops = 2 * Double(m) * Double(m) * Double(m)
        vectorBits = VectorWidth.hostBits
        fmaPeakFlops = Double(self.threadCount) * FMAPeak.flops(iterations: Self.fmaIterations, vectorBits: vectorBits)
        bfloat16DotPeakFlops =
            bfloat16Dots && BFloat16DotPeak.isAvailable
            ? BFloat16DotPeak.flops(iterations: Self.bfloat16DotIterations, threadCount: self.threadCount) : nil

        readChunks = self.threadCount * 8
        if memoryRead {
            let count = Self.readBufferBytes / 4
            let buffer = AlignedMemory.allocateFloats(count)
            buffer.initialize(repeating: 1, count: count)
            read = (buffer, AlignedMemory.allocateFloats(readChunks * 16))
            floatsPerChunk = (count / readChunks) / 64 * 64
            readBytes = Double(readChunks * floatsPerChunk * 4)
        } else {
            read = nil
            floatsPerChunk = 0
            readBytes = 0
        }
    }

    deinit {
        AlignedMemory.free(q)
        AlignedMemory.free(k)
        AlignedMemory.free(s)
        AlignedMemory.free(o)
        AlignedMemory.free(square)
        if let read {
            AlignedMemory.free(read.buffer)
            AlignedMemory.free(read.sums)
        }
    }

    /// Seconds of one FMA-peak sample.
    public func fmaPeakSampleSeconds() -> Double {
        FMAPeak.sampleSeconds(threadCount: threadCount, iterations: Self.fmaIterations, vectorBits: vectorBits)
    }

    /// Seconds of one bf16 dot-product-peak sample; nil when the probe does not sample it.
    public func bfloat16DotPeakSampleSeconds() -> Double? {
        guard bfloat16DotPeakFlops != nil else { return nil }
        return BFloat16DotPeak.sampleSeconds(threadCount: threadCount, iterations: Self.bfloat16DotIterations)
    }

    /// Seconds of one square sgemm, its rows shared among the row's threads.
    public func sgemmPeakSampleSeconds() -> Double {
        let m = Self.squareSize
        let a = square
        let b = square + m * m
        let c = square + 2 * m * m
        let workers = threadCount
        let start = DispatchTime.now().uptimeNanoseconds
        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: workers, threadCount: workers) { worker, _ in
                let first = m * worker / workers
                let rows = m * (worker + 1) / workers - first
                BLAS.sgemm(
                    .none, .none, m: rows, n: m, k: m, alpha: 1, a: a + first * m, lda: m, b: b, ldb: m, beta: 0,
                    c: c + first * m, ldc: m)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        WorkerPool.shared.park()
        return seconds
    }

    /// Seconds of one pass of the attention-shaped products.
    public func gemmRooflineSampleSeconds() -> Double {
        let n = Self.sequenceLength
        let d = headDimension
        let slices = Self.slices
        let (q, k, s, o) = (self.q, self.k, self.s, self.o)
        func slice(_ i: Int) {
            BLAS.sgemm(
                .none, .transpose, m: n, n: n, k: d, alpha: 1, a: q + i * n * d, lda: d, b: k + i * n * d, ldb: d,
                beta: 0, c: s + i * n * n, ldc: n)
            BLAS.sgemm(
                .none, .none, m: n, n: d, k: n, alpha: 1, a: s + i * n * n, lda: n, b: k + i * n * d, ldb: d,
                beta: 0, c: o + i * n * d, ldc: d)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        if slices >= threadCount {
            BLAS.withThreadCount(1) {
                ParallelFor.run(taskCount: slices, threadCount: threadCount) { i, _ in slice(i) }
            }
        } else {
            BLAS.withThreadCount(threadCount) { for i in 0..<slices { slice(i) } }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        WorkerPool.shared.park()
        return seconds
    }

    /// Seconds of one read of the whole buffer; nil without a read buffer.
    public func memoryReadSampleSeconds() -> Double? {
        guard let (buffer, sums) = read else { return nil }
        let perChunk = floatsPerChunk
        let start = DispatchTime.now().uptimeNanoseconds
        ParallelFor.run(taskCount: readChunks, threadCount: threadCount) { chunk, _ in
            var a = SIMD16<Float>()
            var b = SIMD16<Float>()
            var c = SIMD16<Float>()
            var d = SIMD16<Float>()
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
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        WorkerPool.shared.park()
        return seconds
    }
}

/// How many roofline samples a measurement interleaves with its repetitions: at least
/// `minimumSamples`, at most `maximumSamples`, and beyond the minimum only while the probe has
/// taken less time than the kernel (so a row costs at most about twice its own repetitions).
public struct RooflineSampling: Sendable, Equatable, Codable {
    public var minimumSamples: Int
    public var maximumSamples: Int
    /// Also sample the memory-read roofline (decode shapes).
    public var memoryRead: Bool

    public init(minimumSamples: Int = 3, maximumSamples: Int = 15, memoryRead: Bool) {
        self.minimumSamples = max(1, minimumSamples)
        self.maximumSamples = max(self.minimumSamples, maximumSamples)
        self.memoryRead = memoryRead
    }

    /// Whether to take another sample after a kernel repetition.
    public func wantsSample(taken: Int, probeSeconds: Double, kernelSeconds: Double) -> Bool {
        taken < minimumSamples || (taken < maximumSamples && probeSeconds < kernelSeconds)
    }
}
