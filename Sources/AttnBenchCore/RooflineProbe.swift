import AttentionKernels
import Dispatch

/// The two rooflines a row is compared against, as workloads that can be timed one sample at
/// a time, so that `KernelMeasurement` can interleave them with the kernel's own repetitions
/// in the same process and report median against median. On a shared machine a ceiling
/// measured once, minutes away from the row, drifts with the neighbours (here: 78 to 148
/// GFLOP/s for the same two-thread sgemm in one afternoon), and a ratio of two numbers taken
/// at different times measures the neighbours as much as the kernel.
///
/// - sgemm: cblas_sgemm at attention's own shapes, the two whole-slice products of a
///   non-causal problem (S = Q·Kᵀ, then O = S·V), `slices` slices of `sequenceLength` rows,
///   run with the kernels' threading (slice-parallel with one OpenBLAS thread each when there
///   are enough slices, otherwise multi-threaded OpenBLAS). Attention's useful FLOPs are all
///   matrix products, so this is the compute roofline.
/// - memory read: `threadCount` workers each sum their share of a buffer far larger than the
///   caches with SIMD loads. Decode shapes must stream K and V once, so this is their roofline.
public final class RooflineProbe {
    public static let sequenceLength = 1024
    public static let slices = 8
    public static let readBufferBytes = 256 << 20

    public let headDimension: Int
    public let threadCount: Int
    /// Useful floating-point operations in one sgemm sample.
    public let sgemmFlops: Double
    /// Bytes read in one memory-read sample (0 without a read buffer).
    public let readBytes: Double

    let q, k, s, o: UnsafeMutablePointer<Float>
    /// The read buffer and one 16-float partial sum per chunk; nil without `memoryRead`.
    let read: (buffer: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>)?
    let readChunks: Int
    let floatsPerChunk: Int

    /// Bytes the probe allocates (for memory pre-checks).
    public static func bytes(headDimension d: Int, memoryRead: Bool) -> Int {
        4 * slices * sequenceLength * (3 * d + sequenceLength) + (memoryRead ? readBufferBytes : 0)
    }

    /// `memoryRead`: also allocate the 256 MiB read buffer (only decode shapes need it).
    public init(headDimension d: Int, threadCount: Int, memoryRead: Bool) {
        headDimension = d
        self.threadCount = max(1, threadCount)
        let n = Self.sequenceLength, slices = Self.slices
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
        sgemmFlops = 4 * Double(slices) * Double(n) * Double(n) * Double(d)

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
        AlignedMemory.free(q); AlignedMemory.free(k); AlignedMemory.free(s); AlignedMemory.free(o)
        if let read { AlignedMemory.free(read.buffer); AlignedMemory.free(read.sums) }
    }

    /// Seconds of one pass of the attention-shaped products.
    public func sgemmSampleSeconds() -> Double {
        let n = Self.sequenceLength, d = headDimension, slices = Self.slices
        let (q, k, s, o) = (self.q, self.k, self.s, self.o)
        func slice(_ i: Int) {
            BLAS.sgemm(.none, .transpose, m: n, n: n, k: d, alpha: 1, a: q + i * n * d, lda: d, b: k + i * n * d, ldb: d,
                       beta: 0, c: s + i * n * n, ldc: n)
            BLAS.sgemm(.none, .none, m: n, n: d, k: n, alpha: 1, a: s + i * n * n, lda: n, b: k + i * n * d, ldb: d,
                       beta: 0, c: o + i * n * d, ldc: d)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        if slices >= threadCount {
            BLAS.withThreadCount(1) { ParallelFor.run(taskCount: slices, threadCount: threadCount) { i, _ in slice(i) } }
        } else {
            BLAS.withThreadCount(threadCount) { for i in 0..<slices { slice(i) } }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Seconds of one read of the whole buffer; nil without a read buffer.
    public func memoryReadSampleSeconds() -> Double? {
        guard let (buffer, sums) = read else { return nil }
        let perChunk = floatsPerChunk
        let start = DispatchTime.now().uptimeNanoseconds
        ParallelFor.run(taskCount: readChunks, threadCount: threadCount) { chunk, _ in
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
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
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
