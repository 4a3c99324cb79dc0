import AttentionKernels
import Dispatch

/// The physical compute ceiling: a loop of fused multiply-adds on registers only, at the widest
/// float vector this CPU executes (AVX-512: 16 lanes, AVX2/FMA: 8, SSE or NEON: 4), with
/// `accumulators` independent chains — more than FMA latency × FMA units on current x86 and
/// Arm cores, so the FMA units never wait. Nothing is loaded or stored inside the loop.
///
/// Each iteration updates every accumulator as a ← a·m + c: 2 FLOPs per lane. With m = 1 and
/// c = 1 each lane counts its iterations, so the result also checks the FLOP count:
/// `run` returns accumulators · lanes · iterations (exact while iterations ≤ 2^24).
public enum FMAPeak {
    public static let accumulators = 12

    /// Floating-point operations of `run` with these arguments.
    public static func flops(iterations: Int, vectorBits: Int) -> Double {
        2 * Double(accumulators) * Double(vectorBits / 32) * Double(iterations)
    }

    /// Runs the loop on this thread; returns the sum of every accumulator lane.
    public static func run(iterations: Int, vectorBits: Int, multiplier: Float = 1, addend: Float = 1) -> Float {
        switch vectorBits {
        case 512: return loop(SIMD16<Float>.self, iterations: iterations, multiplier: multiplier, addend: addend)
        case 256: return loop(SIMD8<Float>.self, iterations: iterations, multiplier: multiplier, addend: addend)
        default: return loop(SIMD4<Float>.self, iterations: iterations, multiplier: multiplier, addend: addend)
        }
    }

    /// Twelve accumulators written out, so that each is its own register.
    @inline(never)
    static func loop<V: SIMD>(_: V.Type, iterations: Int, multiplier: Float, addend: Float) -> Float
    where V.Scalar == Float {
        let m = V(repeating: multiplier)
        let c = V(repeating: addend)
        var a0 = V()
        var a1 = V()
        var a2 = V()
        var a3 = V()
        var a4 = V()
        var a5 = V()
        var a6 = V()
        var a7 = V()
        var a8 = V()
        var a9 = V()
        var a10 = V()
        var a11 = V()
        for _ in 0..<iterations {
            a0 = c.addingProduct(a0, m)
            a1 = c.addingProduct(a1, m)
            a2 = c.addingProduct(a2, m)
            a3 = c.addingProduct(a3, m)
            a4 = c.addingProduct(a4, m)
            a5 = c.addingProduct(a5, m)
            a6 = c.addingProduct(a6, m)
            a7 = c.addingProduct(a7, m)
            a8 = c.addingProduct(a8, m)
            a9 = c.addingProduct(a9, m)
            a10 = c.addingProduct(a10, m)
            a11 = c.addingProduct(a11, m)
        }
        return (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))).sum()
    }

    /// Seconds for `threadCount` workers to run the loop once each, side by side.
    public static func sampleSeconds(threadCount: Int, iterations: Int, vectorBits: Int) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        ParallelFor.run(taskCount: threadCount, threadCount: threadCount) { _, _ in
            keep(run(iterations: iterations, vectorBits: vectorBits))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        WorkerPool.shared.park()  // the next sample may be a multi-threaded OpenBLAS call
        return seconds
    }

    @inline(never)
    static func keep(_ value: Float) { withExtendedLifetime(value) {} }
}
