import AttentionKernels
import AttnBenchCore
import XCTest

final class StatisticsTests: XCTestCase {
    func testQuantilesMatchNumPyLinearInterpolation() {
        // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75, 90]) = [2, 3, 4, 7.6]
        let s = TimingStatistics(samplesSeconds: [4, 1, 10, 3, 2])!
        XCTAssertEqual(s.minimumSeconds, 1)
        XCTAssertEqual(s.medianSeconds, 3)
        XCTAssertEqual(s.p90Seconds, 7.6, accuracy: 1e-12)
        XCTAssertEqual(s.maximumSeconds, 10)
        XCTAssertEqual(s.meanSeconds, 4)
        XCTAssertEqual(s.interquartileRangeSeconds, 2)
        XCTAssertEqual(s.relativeInterquartileRange, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertTrue(s.isNoisy)
        XCTAssertNil(TimingStatistics(samplesSeconds: []))
    }

    func testSteadySamplesAreNotNoisy() {
        let s = TimingStatistics(samplesSeconds: [1.00, 1.01, 0.99, 1.02, 1.00, 0.98])!
        XCTAssertFalse(s.isNoisy)
        XCTAssertEqual(s.medianSeconds, 1.0, accuracy: 1e-12)
    }

    func testRepetitionPolicyNeedsBothCountAndTime() {
        let policy = RepetitionPolicy(
            warmupRepetitions: 1, minimumRepetitions: 3, minimumSeconds: 1, maximumRepetitions: 10)
        XCTAssertTrue(policy.shouldContinue(completed: 2, elapsedSeconds: 5))  // too few repetitions
        XCTAssertTrue(policy.shouldContinue(completed: 5, elapsedSeconds: 0.5))  // too little time
        XCTAssertFalse(policy.shouldContinue(completed: 3, elapsedSeconds: 1))
        XCTAssertFalse(policy.shouldContinue(completed: 10, elapsedSeconds: 0.1))  // the cap wins
    }

    func testUsefulFLOPsCountOnlyVisiblePairs() throws {
        let full = try AttentionProblem(batch: 2, heads: 3, queryLength: 8, keyLength: 8, headDimension: 16)
        XCTAssertEqual(AttentionFLOPs.useful(full), 4 * 2 * 3 * 8 * 8 * 16)
        let causal = try AttentionProblem(
            batch: 2, heads: 3, queryLength: 8, keyLength: 8, headDimension: 16, causal: true)
        XCTAssertEqual(AttentionFLOPs.useful(causal), 4 * 2 * 3 * 36 * 16)  // 8·9/2 pairs
        XCTAssertEqual(
            AttentionFLOPs.gigaflopsPerSecond(full, seconds: 1e-3), 4 * 2 * 3 * 8 * 8 * 16 / 1e-3 / 1e9, accuracy: 1e-9)
    }

    func testRooflineSamplingBounds() {
        let sampling = RooflineSampling(minimumSamples: 3, maximumSamples: 5, memoryRead: false)
        XCTAssertTrue(sampling.wantsSample(taken: 2, probeSeconds: 10, kernelSeconds: 1), "below the minimum: always")
        XCTAssertFalse(
            sampling.wantsSample(taken: 3, probeSeconds: 2, kernelSeconds: 1), "probe already costlier than the kernel")
        XCTAssertTrue(sampling.wantsSample(taken: 3, probeSeconds: 0.5, kernelSeconds: 1))
        XCTAssertFalse(sampling.wantsSample(taken: 5, probeSeconds: 0, kernelSeconds: 1), "at the maximum: never")
        XCTAssertEqual(TimingStatistics.median([3, 1, 2, 10]), 2.5)
        XCTAssertNil(TimingStatistics.median([]))
    }

    func testMeasurementInterleavesRooflineSamples() throws {
        let problem = try AttentionProblem(batch: 1, heads: 2, queryLength: 1, keyLength: 4096, headDimension: 64)
        let kernel = try AttentionVariant.decode.makeKernel(blockSizes: try BlockSizes(query: 1, key: 1024))
        let policy = RepetitionPolicy(
            warmupRepetitions: 0, minimumRepetitions: 40, minimumSeconds: 0, maximumRepetitions: 40)
        let result = KernelMeasurement.measure(
            kernel: kernel, problem: problem, threadCount: 1, policy: policy, seed: 3,
            roofline: RooflineSampling(minimumSamples: 2, maximumSamples: 4, memoryRead: true))
        XCTAssertEqual(result.wallTimesSeconds.count, 40)
        let taken = result.gemmRooflineGigaflopsSamples.count
        XCTAssertTrue((2...4).contains(taken), "\(taken) GEMM roofline samples")
        for samples in [
            result.fmaPeakGigaflopsSamples, result.sgemmPeakGigaflopsSamples,
            result.memoryReadGigabytesPerSecondSamples,
        ] {
            XCTAssertEqual(samples.count, taken, "every ceiling is sampled at the same points")
        }
        for samples in [
            result.fmaPeakGigaflopsSamples, result.sgemmPeakGigaflopsSamples, result.gemmRooflineGigaflopsSamples,
        ] {
            XCTAssertTrue(samples.allSatisfy { $0 > 0.5 && $0 < 100_000 }, "\(samples)")
        }
        XCTAssertEqual(result.vectorBits, VectorWidth.hostBits)
        XCTAssertTrue(result.memoryReadGigabytesPerSecondSamples.allSatisfy { $0 > 0.1 && $0 < 10_000 })
        let plain = KernelMeasurement.measure(kernel: kernel, problem: problem, threadCount: 1, policy: policy, seed: 3)
        XCTAssertTrue(
            plain.gemmRooflineGigaflopsSamples.isEmpty && plain.fmaPeakGigaflopsSamples.isEmpty
                && plain.memoryReadGigabytesPerSecondSamples.isEmpty)
    }
}
