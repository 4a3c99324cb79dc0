import AttnBenchCore
import XCTest

/// Hand-made rows: known medians, raw samples and memory, so every verdict is predictable.
final class ResultComparisonTests: XCTestCase {
    static func row(
        variant: String = "flash2", seq: Int = 1024, samples: [Double]?, median: Double? = nil,
        peak: Int = 1 << 20, cpu: String = "AMD EPYC", core: String = "Haswell"
    ) -> ResultRow {
        var r = ResultRow()
        r[.kind] = "time"
        r[.variant] = variant
        r[.batch] = "1"
        r[.heads] = "8"
        r[.seqLenQ] = "\(seq)"
        r[.seqLenKV] = "\(seq)"
        r[.headDim] = "64"
        r[.blockQ] = "64"
        r[.blockKV] = "256"
        r[.causal] = "false"
        r[.threads] = "2"
        r[.blasCoreRequested] = "env"
        r[.status] = "ok"
        r[.cpuModel] = cpu
        r[.cpuCores] = "2"
        r[.openblasCore] = core
        r[.peakMemory] = "\(peak)"
        if let samples {
            r[.wallTimes] = samples.map { "\($0)" }.joined(separator: " ")
            r[.wallTimeMedian] = "\(TimingStatistics(samplesSeconds: samples)!.medianSeconds)"
        } else if let median {
            r[.wallTimeMedian] = "\(median)"
        }
        return r
    }

    /// Seeded jitter of ±2% around `center`.
    static func samples(_ center: Double, count: Int = 9, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) * 0x1.0p-53
            return center * (0.98 + 0.04 * u)
        }
    }

    func testTwentyPercentSlowdownWithSamplesIsARegression() {
        let c = ResultComparison(
            baseline: [Self.row(samples: Self.samples(0.010, seed: 1))],
            current: [Self.row(samples: Self.samples(0.012, seed: 2))])
        XCTAssertEqual(c.entries.map(\.verdict), [.regression])
        XCTAssertEqual(c.entries[0].timeRatio!, 1.2, accuracy: 0.03)
        XCTAssertLessThan(c.entries[0].pValue!, 0.01)
        XCTAssertEqual(c.regressions, 1)
    }

    /// A peer row (another runtime's call, measured by scripts/peers) is compared as a timed row,
    /// and only with the same peer.
    func testPeerRowsAreComparedByTheirSamples() {
        func peer(_ samples: [Double]) -> ResultRow {
            var r = Self.row(variant: "openvino-sdpa-f32", samples: samples)
            r.kind = .peer
            return r
        }
        let c = ResultComparison(
            baseline: [peer(Self.samples(0.010, seed: 1)), Self.row(samples: Self.samples(0.010, seed: 3))],
            current: [peer(Self.samples(0.013, seed: 2)), Self.row(samples: Self.samples(0.010, seed: 4))])
        XCTAssertEqual(c.entries.map(\.verdict), [.regression, .unchanged])
        XCTAssertTrue(c.entries[0].label.hasPrefix("openvino-sdpa-f32"))
    }

    func testPureNoiseIsNotARegression() {
        let c = ResultComparison(
            baseline: [Self.row(samples: Self.samples(0.010, seed: 3))],
            current: [Self.row(samples: Self.samples(0.010, seed: 4))])
        XCTAssertEqual(c.entries.map(\.verdict), [.unchanged])
        // A big median change with overlapping, widely spread samples is 'noisy', not a regression.
        let wideBase = [0.010, 0.030, 0.011, 0.029, 0.012]
        let wideNow = [0.031, 0.010, 0.028, 0.013, 0.030]
        let noisy = ResultComparison(baseline: [Self.row(samples: wideBase)], current: [Self.row(samples: wideNow)])
        XCTAssertEqual(noisy.entries.map(\.verdict), [.noisy])
        XCTAssertGreaterThan(noisy.entries[0].pValue!, 0.05)
    }

    func testWithoutSamplesTheThresholdDecidesAndSaysSo() {
        let c = ResultComparison(
            baseline: [Self.row(samples: nil, median: 0.010)], current: [Self.row(samples: nil, median: 0.0125)])
        XCTAssertEqual(c.entries[0].verdict, .regression)
        XCTAssertTrue(c.entries[0].notes.joined().contains("threshold only"))
        let faster = ResultComparison(
            baseline: [Self.row(samples: nil, median: 0.010)], current: [Self.row(samples: nil, median: 0.008)])
        XCTAssertEqual(faster.entries[0].verdict, .improvement)
    }

    func testMemoryRegressionWithUnchangedTime() {
        let same = Self.samples(0.010, seed: 5)
        let c = ResultComparison(
            baseline: [Self.row(samples: same, peak: 4 << 20)], current: [Self.row(samples: same, peak: 5 << 20)])
        XCTAssertEqual(c.entries[0].verdict, .regression)
        XCTAssertEqual(c.entries[0].peakMemoryChangeBytes, 1 << 20)
        // A few pages of jitter is not a regression.
        let jitter = ResultComparison(
            baseline: [Self.row(samples: same, peak: 4 << 20)],
            current: [Self.row(samples: same, peak: (4 << 20) + 8192)])
        XCTAssertEqual(jitter.entries[0].verdict, .unchanged)
    }

    func testMaxSeqLenRegressionBeyondResolution() {
        func maxlen(_ n: Int) -> ResultRow {
            var r = Self.row(samples: nil)
            r[.kind] = "maxlen"
            r[.seqLenQ] = ""
            r[.seqLenKV] = ""
            r[.wallTimeMedian] = ""
            r[.peakMemory] = ""
            r[.memoryBudget] = "536870912"
            r[.maxSeqLen] = "\(n)"
            r[.maxSeqLenResolution] = "256"
            r[.maxSeqLenBound] = "memory"
            return r
        }
        XCTAssertEqual(
            ResultComparison(baseline: [maxlen(11264)], current: [maxlen(8192)]).entries[0].verdict, .regression)
        XCTAssertEqual(
            ResultComparison(baseline: [maxlen(11264)], current: [maxlen(11008)]).entries[0].verdict, .unchanged)
    }

    func testMatchingNewMissingAndOtherMachines() {
        let base = [
            Self.row(seq: 512, samples: Self.samples(0.01, seed: 6)),
            Self.row(seq: 1024, samples: Self.samples(0.02, seed: 7)),
        ]
        let now = [
            Self.row(seq: 1024, samples: Self.samples(0.02, seed: 8)),
            Self.row(seq: 2048, samples: Self.samples(0.04, seed: 9)),
        ]
        let c = ResultComparison(baseline: base, current: now)
        XCTAssertEqual(c.entries.map(\.verdict), [.missing, .unchanged, .new])
        let other = ResultComparison(
            baseline: [Self.row(samples: Self.samples(0.01, seed: 1), core: "Haswell")],
            current: [Self.row(samples: Self.samples(0.01, seed: 2), core: "Zen")])
        XCTAssertEqual(other.entries[0].verdict, .refused)
        XCTAssertTrue(other.entries[0].notes.joined().contains("openblas_core 'Haswell' → 'Zen'"))
        XCTAssertEqual(other.comparableCount, 0)
        var allow = ResultComparison.Options()
        allow.allowDifferentMachine = true
        let allowed = ResultComparison(
            baseline: [Self.row(samples: Self.samples(0.01, seed: 1), core: "Haswell")],
            current: [Self.row(samples: Self.samples(0.01, seed: 2), core: "Zen")], options: allow)
        XCTAssertEqual(allowed.entries[0].verdict, .unchanged)
    }

    /// Exact p-values against scipy.stats.mannwhitneyu(method="exact"), and with ties against
    /// a brute-force enumeration of every split of the pooled mid-ranks.
    func testMannWhitneyExactSmallSamples() {
        XCTAssertEqual(MannWhitneyU.pValue([1, 2, 3], [4, 5, 6])!, 0.1, accuracy: 1e-12)
        XCTAssertEqual(MannWhitneyU.pValue([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])!, 0.007936507936507936, accuracy: 1e-12)
        XCTAssertEqual(
            MannWhitneyU.pValue([1.0, 2.5, 3.1, 7, 8], [2, 4, 6, 9, 10, 11])!, 0.24675324675324672, accuracy: 1e-12)
        XCTAssertEqual(MannWhitneyU.pValue([1, 2, 2, 3], [2, 3, 3, 4, 5])!, 0.1111111111111111, accuracy: 1e-12)
        XCTAssertEqual(MannWhitneyU.pValue([1, 1, 1], [1, 1, 1]), 1)
        XCTAssertNil(MannWhitneyU.pValue([1], [3, 4, 5]))
        XCTAssertEqual(MannWhitneyU.smallestPValue(3, 3), 0.1, accuracy: 1e-12)
        XCTAssertEqual(MannWhitneyU.smallestPValue(5, 5), 2.0 / 252, accuracy: 1e-12)
        XCTAssertEqual(MannWhitneyU.smallestPValue(2, 2), 1.0 / 3, accuracy: 1e-12)
    }

    /// Beyond the exact limit, the normal approximation with continuity correction.
    func testMannWhitneyLargeSamplesUseTheNormalApproximation() {
        let x = (0..<40).map { Double($0) }
        let y = (0..<40).map { Double($0) + 5.5 }
        let p = MannWhitneyU.pValue(x, y)!
        // scipy.stats.mannwhitneyu(x, y, method="asymptotic").pvalue
        XCTAssertEqual(p, 0.049090804709638, accuracy: 1e-9)
    }

    /// Worker processes of one build that differ by 30% make a 25% change between builds noise,
    /// however many repetitions each process ran; a 60% change is still a regression.
    func testAChangeWithinTheSpreadBetweenProcessesIsNoise() {
        func row(_ medians: [Double]) -> ResultRow {
            var r = Self.row(samples: medians.flatMap { m in (0..<30).map { m * (1 + 0.001 * Double($0 % 5)) } })
            r[.processMedians] = medians.map { "\($0)" }.joined(separator: " ")
            return r
        }
        let base = row([0.010, 0.013, 0.0105])
        let within = ResultComparison(baseline: [base], current: [row([0.0125, 0.0128, 0.0131])])
        XCTAssertEqual(within.entries[0].verdict, .noisy, "\(within.entries[0].notes)")
        XCTAssertTrue(within.entries[0].notes.joined().contains("spread between its worker processes"))
        let beyond = ResultComparison(baseline: [base], current: [row([0.0170, 0.0175, 0.0172])])
        XCTAssertEqual(beyond.entries[0].verdict, .regression)
    }

    func testPoolingProcessesKeepsEveryRepetitionAndEachMedian() {
        func part(_ times: [Double], error: Double, peak: Int) -> KernelMeasurementResult {
            KernelMeasurementResult(
                wallTimesSeconds: times, peakMemoryBytes: peak, workspaceBytes: 10, maxAbsError: error,
                errorRowsChecked: 4, outputsFinite: true, residentBeforeBytes: nil)
        }
        let pooled = KernelMeasurementResult.pooling([
            part([1, 2, 3], error: 1e-7, peak: 100), part([5, 6, 7], error: 3e-7, peak: 90),
        ])!
        XCTAssertEqual(pooled.wallTimesSeconds, [1, 2, 3, 5, 6, 7])
        XCTAssertEqual(pooled.processMediansSeconds, [2, 6])
        XCTAssertEqual(pooled.maxAbsError, 3e-7)
        XCTAssertEqual(pooled.peakMemoryBytes, 100)
        XCTAssertNil(KernelMeasurementResult.pooling([]))
    }

    /// Two runs of one configuration pooled: every repetition kept, each run's median recorded,
    /// the figures derived from the pooled median and the row's own configuration (its FLOPs
    /// and K/V bytes, not the runs' rounded rates), the best ceiling kept.
    func testPoolingRowsOfSeparateRuns() throws {
        func run(_ times: [Double], fma: Double) -> ResultRow {
            var r = Self.row(samples: times)
            r[.gflops] = "999"
            r[.fmaPeakGflops] = "\(fma)"
            r[.keyValueBytes] = "1"
            r[.processMedians] = ""
            return r
        }
        let pooled = try XCTUnwrap(ResultRow.pooling([run([1, 2, 3], fma: 100), run([4, 5, 6], fma: 120)]))
        XCTAssertEqual(pooled.rawWallTimesSeconds, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(pooled.processMediansSeconds, [2, 5])
        XCTAssertEqual(pooled.double(.wallTimeMedian), 3.5)
        // B1 H8 N1024 d64, not causal: 4 · 8 · 64 · 1024² FLOPs, K and V of 8 heads × 1024 × 64 floats.
        let gigaflop = 4.0 * 8 * 64 * 1024 * 1024 / 1e9
        XCTAssertEqual(pooled.double(.gflops)!, gigaflop / 3.5, accuracy: 1e-3)
        XCTAssertEqual(pooled.integer(.keyValueBytes), 2 * 4 * 8 * 64 * 1024)
        XCTAssertEqual(pooled.double(.fmaPeakGflops), 120)
        XCTAssertEqual(pooled.double(.peakEfficiency)!, gigaflop / 3.5 / 120, accuracy: 1e-4)
        XCTAssertEqual(pooled.integer(.repetitions), 6)
        var failed = run([1], fma: 1)
        failed.status = .oom
        XCTAssertEqual(ResultRow.pooling([run([1, 2], fma: 1), failed])?.status, .oom, "a run that failed is the row")
    }
}
