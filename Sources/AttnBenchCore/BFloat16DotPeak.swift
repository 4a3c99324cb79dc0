import AttentionKernels
import CMicroKernels
import Dispatch

/// The compute ceiling of rows whose products run in bf16: a register-resident loop of
/// AVX512_BF16 `vdpbf16ps` (`attnbench_bf16_dot_peak_loop`, 16 independent chains, more than
/// its latency × the two FMA pipes), on the row's threads. One `vdpbf16ps` on 512 bits adds two
/// bf16 products to each of 16 fp32 lanes: 64 FLOPs, twice an fp32 FMA's 32. Nothing is loaded
/// or stored inside the loop. Only where the CPU has AVX512_BF16.
public enum BFloat16DotPeak {
    /// Whether this CPU executes `vdpbf16ps`.
    public static let isAvailable = attnbench_cpu_has_avx512bf16() != 0

    /// FLOPs of one loop iteration.
    public static let flopsPerIteration = 64.0 * Double(ATTNBENCH_BF16_PEAK_DOTS_PER_ITERATION)

    /// Floating-point operations of `threadCount` workers running `iterations` each.
    public static func flops(iterations: Int, threadCount: Int) -> Double {
        flopsPerIteration * Double(iterations) * Double(max(1, threadCount))
    }

    /// Seconds for `threadCount` workers to run the loop once each, side by side.
    public static func sampleSeconds(threadCount: Int, iterations: Int) -> Double {
        precondition(isAvailable, "vdpbf16ps needs AVX512_BF16")
        let start = DispatchTime.now().uptimeNanoseconds
        ParallelFor.run(taskCount: threadCount, threadCount: threadCount) { _, _ in
            var sink = [Float](repeating: 0.5, count: 16)
            sink.withUnsafeMutableBufferPointer { attnbench_bf16_dot_peak_loop(iterations, $0.baseAddress!) }
            keep(sink)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        WorkerPool.shared.park()
        return seconds
    }

    @inline(never)
    static func keep(_ value: [Float]) { withExtendedLifetime(value) {} }
}
