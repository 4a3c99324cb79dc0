import AttentionKernels
import AttnBenchCore
import XCTest

/// Peak memory is the kernel's own, per configuration, and tracks the workspace formula.
final class MemoryMeasurementTests: XCTestCase {
    static let policy = RepetitionPolicy(
        warmupRepetitions: 0, minimumRepetitions: 1, minimumSeconds: 0, maximumRepetitions: 1)
    /// Allowance for allocator rounding, page granularity and thread stacks touched by a call.
    static let slackBytes = 3 << 20

    override func setUp() {
        ProcessMemory.configureAllocatorForMeasurement()
    }

    func measure(_ variant: AttentionVariant, heads: Int, length: Int) throws -> KernelMeasurementResult {
        let problem = try AttentionProblem(
            batch: 1, heads: heads, queryLength: length, keyLength: length, headDimension: 64)
        let kernel = try variant.makeKernel(blockSizes: variant.isBlocked ? try BlockSizes(query: 64, key: 128) : nil)
        return KernelMeasurement.measure(
            kernel: kernel, problem: problem, threadCount: 1, policy: Self.policy, seed: 1,
            errorCheckBudget: 1_000_000)
    }

    func testLargeThenSmallReportsTheSmallOnesOwnPeak() throws {
        guard ProcessMemory.resetPeak() else { throw XCTSkip("no /proc/self/clear_refs on this system") }
        let large = try measure(.naive, heads: 4, length: 2048)  // 64 MiB of scores
        let small = try measure(.naive, heads: 1, length: 256)  // 256 KiB of scores
        XCTAssertGreaterThan(large.peakMemoryBytes!, 60 << 20)
        XCTAssertLessThan(
            small.peakMemoryBytes!, small.workspaceBytes + Self.slackBytes,
            "small configuration reported \(small.peakMemoryBytes!) bytes after a large one")
    }

    func testNaivePeakTracksQuadraticFormulaAndFlashStaysFlat() throws {
        guard ProcessMemory.resetPeak() else { throw XCTSkip("no /proc/self/clear_refs on this system") }
        for length in [1024, 2048] {
            let naive = try measure(.naive, heads: 4, length: length)
            XCTAssertEqual(naive.workspaceBytes, 4 * 4 * length * length)
            let measured = Double(naive.peakMemoryBytes!)
            XCTAssertEqual(
                measured, Double(naive.workspaceBytes),
                accuracy: 0.05 * Double(naive.workspaceBytes) + Double(Self.slackBytes),
                "naive at N=\(length): measured \(measured) vs formula \(naive.workspaceBytes)")
        }
        let flashShort = try measure(.flash2, heads: 4, length: 1024)
        let flashLong = try measure(.flash2, heads: 4, length: 4096)
        XCTAssertEqual(flashShort.workspaceBytes, flashLong.workspaceBytes, "flash2 workspace is independent of N")
        XCTAssertLessThan(flashLong.peakMemoryBytes!, flashLong.workspaceBytes + Self.slackBytes)
        // Naive at 4096 would need 256 MiB; flash2 stays within a few MiB.
        XCTAssertLessThan(flashLong.peakMemoryBytes!, 8 << 20)
    }

    func testChunkedWorkspaceGrowsLinearlyWithKeys() throws {
        guard ProcessMemory.resetPeak() else { throw XCTSkip("no /proc/self/clear_refs on this system") }
        _ = try measure(.chunked, heads: 1, length: 1024)  // first-touch of OpenBLAS's buffers, not counted below
        let short = try measure(.chunked, heads: 1, length: 4096)
        let long = try measure(.chunked, heads: 1, length: 16384)
        // Stored summaries: ⌈N/Bk⌉ · Bq · (d + 2) floats per worker, plus one score block.
        XCTAssertEqual(short.workspaceBytes, 4 * (64 * 128 + 32 * 64 * 66))
        XCTAssertEqual(long.workspaceBytes, 4 * (64 * 128 + 128 * 64 * 66))
        // The measured peak grows by what the formula adds (about 1.6 MiB), not by N² or nothing.
        let measuredGrowth = Double(long.peakMemoryBytes! - short.peakMemoryBytes!)
        let formulaGrowth = Double(long.workspaceBytes - short.workspaceBytes)
        XCTAssertEqual(
            measuredGrowth, formulaGrowth, accuracy: 0.35 * formulaGrowth,
            "peak grew by \(measuredGrowth) bytes from N=4096 to N=16384; the formula says \(formulaGrowth)")
    }

    func testAllocationBudgetIsEnforcedAndCounted() throws {
        let before = AlignedMemory.outstandingBytes
        AlignedMemory.setLimit(bytes: before + 4096)
        defer { AlignedMemory.setLimit(bytes: nil) }
        let inside = try AlignedMemory.tryAllocateFloats(1000).get()
        XCTAssertEqual(AlignedMemory.outstandingBytes - before, 4000)
        XCTAssertEqual(
            AlignedMemory.tryAllocateFloats(100).map { _ in 0 }, .failure(.init(bytes: 400)),
            "4000 + 400 bytes exceed a 4096-byte budget")
        XCTAssertEqual(AlignedMemory.outstandingBytes - before, 4000, "a refused allocation is not counted")
        AlignedMemory.free(inside)
        XCTAssertEqual(AlignedMemory.outstandingBytes, before)
        let afterFree = try AlignedMemory.tryAllocateFloats(1000).get()
        AlignedMemory.free(afterFree)
    }

    func testFreedBlocksAreReusedOnlyInsideTheScopeAndAllReturnedAfter() throws {
        let outsideFirst = AlignedMemory.allocateFloats(1 << 18)
        AlignedMemory.free(outsideFirst)
        let before = AlignedMemory.outstandingBytes
        let (reusedSameSize, otherSizeFresh, outstandingInside) = AlignedMemory.reusingFreedBlocks {
            let first = AlignedMemory.allocateFloats(1 << 18)
            first[0] = 42
            AlignedMemory.free(first)
            let again = AlignedMemory.allocateFloats(1 << 18)
            let reused = again == first && again[0] == 42
            let other = AlignedMemory.allocateFloats((1 << 18) + 16)
            let fresh = other != first
            let inside = AlignedMemory.outstandingBytes - before
            AlignedMemory.free(again)
            AlignedMemory.free(other)
            return (reused, fresh, inside)
        }
        XCTAssertTrue(reusedSameSize, "a block of the same size freed in the scope is handed out again")
        XCTAssertTrue(otherSizeFresh, "a block of another size is not")
        XCTAssertEqual(outstandingInside, 4 * ((1 << 18) + (1 << 18) + 16), "both live blocks are counted")
        XCTAssertEqual(AlignedMemory.outstandingBytes, before, "parked blocks are not outstanding")
        // After the scope, frees go back to the system again and nothing stays parked: a block
        // freed now is not handed out by a later scope.
        let afterScope = AlignedMemory.allocateFloats(1 << 18)
        afterScope[0] = 7
        AlignedMemory.free(afterScope)
        let later = AlignedMemory.reusingFreedBlocks { () -> Bool in
            let block = AlignedMemory.allocateFloats(1 << 18)
            defer { AlignedMemory.free(block) }
            return block == afterScope && block[0] == 7
        }
        XCTAssertFalse(later, "a block freed outside a scope was kept")
    }
}
