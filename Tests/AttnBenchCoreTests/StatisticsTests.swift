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
        let policy = RepetitionPolicy(warmupRepetitions: 1, minimumRepetitions: 3, minimumSeconds: 1, maximumRepetitions: 10)
        XCTAssertTrue(policy.shouldContinue(completed: 2, elapsedSeconds: 5))   // too few repetitions
        XCTAssertTrue(policy.shouldContinue(completed: 5, elapsedSeconds: 0.5)) // too little time
        XCTAssertFalse(policy.shouldContinue(completed: 3, elapsedSeconds: 1))
        XCTAssertFalse(policy.shouldContinue(completed: 10, elapsedSeconds: 0.1)) // the cap wins
    }

    func testUsefulFLOPsCountOnlyVisiblePairs() throws {
        let full = try AttentionProblem(batch: 2, heads: 3, queryLength: 8, keyLength: 8, headDimension: 16)
        XCTAssertEqual(AttentionFLOPs.useful(full), 4 * 2 * 3 * 8 * 8 * 16)
        let causal = try AttentionProblem(batch: 2, heads: 3, queryLength: 8, keyLength: 8, headDimension: 16, causal: true)
        XCTAssertEqual(AttentionFLOPs.useful(causal), 4 * 2 * 3 * 36 * 16) // 8·9/2 pairs
        XCTAssertEqual(AttentionFLOPs.gigaflopsPerSecond(full, seconds: 1e-3), 4 * 2 * 3 * 8 * 8 * 16 / 1e-3 / 1e9, accuracy: 1e-9)
    }
}
