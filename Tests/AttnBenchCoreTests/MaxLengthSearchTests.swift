import AttnBenchCore
import XCTest

final class MaxLengthSearchTests: XCTestCase {
    /// A fake kernel whose memory is 4·N² bytes (naive's score matrix) under a 512 MiB budget.
    func testFindsTheQuadraticLimitWithinOneStep() {
        let budget = 512 * 1024 * 1024
        let trueLimit = Int((Double(budget) / 4).squareRoot())  // 11585
        var calls = 0
        let result = MaxLengthSearch(start: 256, relativeResolution: 1.0 / 32, minimumStep: 16).run { n in
            calls += 1
            return 4 * n * n <= budget ? .fits(seconds: 0.01) : .exceedsMemory
        }
        XCTAssertEqual(result.bound, .memory)
        XCTAssertLessThanOrEqual(result.maxLength, trueLimit)
        XCTAssertGreaterThan(result.firstFailingLength!, trueLimit)
        XCTAssertLessThanOrEqual(trueLimit - result.maxLength, result.resolution)
        XCTAssertLessThanOrEqual(result.resolution, max(16, result.maxLength / 32))
        XCTAssertEqual(calls, result.attempts.count)
        XCTAssertLessThan(calls, 20)
    }

    /// Linear memory, but time quadratic: the time budget binds first and is reported.
    func testReportsTimeBound() {
        let result = MaxLengthSearch(start: 100).run { n in
            let seconds = Double(n) * Double(n) * 1e-9
            if seconds > 5 { return .exceedsTime }
            return n * 1000 <= 1 << 40 ? .fits(seconds: seconds) : .exceedsMemory
        }
        XCTAssertEqual(result.bound, .time)
        let limit = Int((5e9).squareRoot())
        XCTAssertLessThanOrEqual(result.maxLength, limit)
        XCTAssertGreaterThan(result.firstFailingLength!, limit)
    }

    func testStartTooLargeBisectsDownAndUpperLimitStops() {
        let down = MaxLengthSearch(start: 256, minimumStep: 1).run { n in n <= 37 ? .fits(seconds: 0) : .exceedsMemory }
        XCTAssertEqual(down.maxLength, 37)
        let tiny = MaxLengthSearch(start: 256).run { n in n <= 7 ? .fits(seconds: 0) : .exceedsMemory }
        XCTAssertEqual(tiny.maxLength, 7, "small limits are bisected to single tokens")
        let nothing = MaxLengthSearch(start: 4, minimumStep: 1).run { _ in .exceedsMemory }
        XCTAssertEqual(nothing.maxLength, 0)
        let capped = MaxLengthSearch(start: 256, upperLimit: 4096).run { _ in .fits(seconds: 0) }
        XCTAssertEqual(capped.maxLength, 4096)
        XCTAssertEqual(capped.bound, .limit)
        let broken = MaxLengthSearch(start: 256).run { n in n < 1000 ? .fits(seconds: 0) : .failed("kernel error") }
        XCTAssertEqual(broken.bound, .error)
    }
}
