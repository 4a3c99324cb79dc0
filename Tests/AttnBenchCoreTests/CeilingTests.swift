import AttentionKernels
import AttnBenchCore
import XCTest

/// The FMA-peak loop does the work its FLOP count claims.
final class CeilingTests: XCTestCase {
    func testFMALoopCountsItsOperations() {
        for bits in [128, 256, 512] where bits <= VectorWidth.hostBits {
            let lanes = bits / 32
            for iterations in [1, 1000, 1 << 20] {
                // a ← a·1 + 1 from 0: every lane ends at `iterations`, exactly (≤ 2^24).
                let total = FMAPeak.run(iterations: iterations, vectorBits: bits)
                XCTAssertEqual(
                    Double(total), Double(FMAPeak.accumulators * lanes * iterations),
                    "\(bits)-bit, \(iterations) iterations")
                // Two FLOPs (one FMA) per lane, accumulator and iteration.
                XCTAssertEqual(FMAPeak.flops(iterations: iterations, vectorBits: bits), Double(total) * 2)
            }
            // a ← a·0.5 + 1 converges to 2: the multiply is really done.
            let halved = FMAPeak.run(iterations: 64, vectorBits: bits, multiplier: 0.5, addend: 1)
            XCTAssertEqual(Double(halved), Double(2 * FMAPeak.accumulators * lanes), accuracy: 1e-3)
        }
    }
}
