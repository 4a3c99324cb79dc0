import AttentionKernels

/// From a configuration and what its worker returned to a result row: every derived figure
/// (GFLOP/s, rooflines, bandwidth) and the verdict on correctness are decided here, once.
extension ResultRow {
    /// Rows whose error against the float64 reference exceeds this are `incorrect`.
    public static let correctnessTolerance = AttnBenchConstants.correctnessTolerance

    /// The columns of a timed configuration, before anything is measured.
    public init(configuration c: SweepConfiguration, policy: RepetitionPolicy, seed: UInt64) {
        self.init(setting: c.setting, kind: .time, policy: policy, seed: seed)
        self[.seqLenQ] = String(c.queryLength)
        self[.seqLenKV] = String(c.keyLength)
        self[.keyLengths] =
            c.keyLengths.lengths(batch: c.batch, keyLength: c.keyLength)?
            .map(String.init).joined(separator: " ") ?? ""
        self[.minimumRepetitions] = String(policy.minimumRepetitions)
        self[.minimumTime] = CSVNumber.seconds(policy.minimumSeconds)
        if c.variant == .naive, let problem = try? c.problem() {
            let used = NaiveAttention(strategy: c.naiveStrategy).resolvedStrategy(problem, threadCount: c.threads)
                .rawValue
            self[.naiveStrategy] = c.naiveStrategy == nil ? "auto:\(used)" : used
        }
    }

    /// The columns of a maximum-length search, before it runs: the lengths are the search's,
    /// the query length fixed or empty; the budget is part of its resume key.
    public init(search: MaxLengthConfiguration, budget: MaxLengthBudget, policy: RepetitionPolicy, seed: UInt64) {
        self.init(setting: search.setting, kind: .maxlen, policy: policy, seed: seed)
        self[.seqLenQ] = search.fixedQueryLength.map(String.init) ?? ""
        if case .ragged = search.keyLengths { self[.keyLengths] = "ragged" }
        if search.variant == .naive, let strategy = search.naiveStrategy { self[.naiveStrategy] = strategy.rawValue }
        self[.memoryBudget] = String(budget.memoryBytes)
        self[.timeBudget] = CSVNumber.seconds(budget.timeSeconds)
    }

    /// The columns every row of a setting has.
    init(setting c: KernelSetting, kind: RowKind, policy: RepetitionPolicy, seed: UInt64) {
        self.init()
        self.kind = kind
        self[.variant] = c.variant.rawValue
        self[.model] = c.model ?? ""
        self[.batch] = String(c.batch)
        self[.heads] = String(c.heads)
        self[.keyValueHeads] = String(c.keyValueHeads)
        self[.headDim] = String(c.headDimension)
        self[.window] = c.window.map(String.init) ?? ""
        if let blocks = c.blocks {
            self[.blockQ] = String(blocks.sizes.query)
            self[.blockKV] = String(blocks.sizes.key)
            self[.blockAuto] = String(blocks.automatic)
        }
        self[.causal] = String(c.causal)
        self[.threads] = String(c.threads)
        self[.blasCoreRequested] = c.blasCore.name
        self[.warmup] = String(policy.warmupRepetitions)
        self[.seed] = String(seed)
    }

    /// Configuration identity plus the settings that change a measurement (resuming a sweep).
    public var resumeKey: String {
        configurationKey + ";warmup=\(self[.warmup]);reps=\(self[.minimumRepetitions]);time=\(self[.minimumTime])"
            + ";seed=\(self[.seed]);budget=\(self[.memoryBudget])"
    }

    /// A configuration not started because the memory it needs is not available.
    public mutating func recordNotStarted(configuration c: SweepConfiguration, neededBytes: Int, availableBytes: Int) {
        status = .oom
        self[.message] =
            "needs about \(neededBytes) bytes (inputs, output, workspace and the roofline probe); this machine has "
            + "\(availableBytes) available; not run"
        if let problem = try? c.problem(), let kernel = try? c.kernel() {
            self[.workspace] = String(kernel.workspaceBytes(problem, threadCount: c.threads))
        }
    }

    /// Fills the measured columns and the status from a worker's outcome.
    public mutating func record(_ outcome: WorkerOutcome, configuration: SweepConfiguration) {
        switch outcome {
        case .response(let response):
            if let error = response.error {
                status = .error
                self[.message] = error
            } else if let m = response.measurement, let stats = TimingStatistics(samplesSeconds: m.wallTimesSeconds),
                let problem = try? configuration.problem()
            {
                record(m, statistics: stats, problem: problem)
            } else {
                status = .error
                self[.message] = "the worker returned no measurement"
            }
        case .outOfMemory:
            status = .oom
            self[.message] = "out of memory"
        case .timedOut(let limit):
            status = .timeout
            self[.message] = "exceeded the configuration time limit of \(CSVNumber.seconds(limit)) s"
        case .crashed(let message):
            status = .crashed
            self[.message] = message
        }
    }

    mutating func record(_ m: KernelMeasurementResult, statistics stats: TimingStatistics, problem: AttentionProblem) {
        recordTimes(
            m.wallTimesSeconds, statistics: stats,
            processMedians: m.processMediansSeconds.isEmpty ? [stats.medianSeconds] : m.processMediansSeconds)
        let gflops = AttentionFLOPs.gigaflopsPerSecond(problem, seconds: stats.medianSeconds)
        // The two ceilings are the best of their interleaved samples (interference only ever
        // slows a ceiling down); the GEMM roofline, a like-for-like reference, is the median.
        recordRates(
            gigaflopsPerSecond: gflops, fmaPeak: m.fmaPeakGigaflopsSamples.max(),
            sgemmPeak: m.sgemmPeakGigaflopsSamples.max(),
            gemmRoofline: TimingStatistics.median(m.gemmRooflineGigaflopsSamples),
            keyValueBytes: AttentionTraffic.keyValueBytes(problem), medianSeconds: stats.medianSeconds,
            memoryRead: TimingStatistics.median(m.memoryReadGigabytesPerSecondSamples))
        self[.cpuVectorBits] = m.vectorBits.map(String.init) ?? ""
        self[.peakMemory] = m.peakMemoryBytes.map(String.init) ?? ""
        self[.workspace] = String(m.workspaceBytes)
        self[.maxAbsError] = CSVNumber.error(m.maxAbsError)
        self[.errorRowsChecked] = String(m.errorRowsChecked)
        if !m.outputsFinite || m.maxAbsError > Self.correctnessTolerance {
            status = .incorrect
            self[.message] =
                "max_abs_error \(m.maxAbsError) exceeds "
                + "\(Self.correctnessTolerance)\(m.outputsFinite ? "" : " (non-finite outputs)")"
        } else {
            status = .ok
        }
    }

    /// The time columns of `samples`: statistics, every sample, each worker process's median.
    mutating func recordTimes(_ samples: [Double], statistics stats: TimingStatistics, processMedians: [Double]) {
        self[.repetitions] = String(samples.count)
        self[.wallTimeMedian] = CSVNumber.seconds(stats.medianSeconds)
        self[.wallTimeMin] = CSVNumber.seconds(stats.minimumSeconds)
        self[.wallTimeP90] = CSVNumber.seconds(stats.p90Seconds)
        self[.wallTimeMax] = CSVNumber.seconds(stats.maximumSeconds)
        self[.wallTimeMean] = CSVNumber.seconds(stats.meanSeconds)
        self[.wallTimeIQR] = CSVNumber.seconds(stats.interquartileRangeSeconds)
        self[.wallTimeRelativeIQR] = CSVNumber.ratio(stats.relativeInterquartileRange)
        self[.noisy] = String(stats.isNoisy)
        self[.wallTimes] = samples.map(CSVNumber.seconds).joined(separator: " ")
        self[.processMedians] = processMedians.map(CSVNumber.seconds).joined(separator: " ")
    }

    /// GFLOP/s against each ceiling, and the K/V read rate against the memory bandwidth.
    mutating func recordRates(
        gigaflopsPerSecond gflops: Double, fmaPeak: Double?, sgemmPeak: Double?, gemmRoofline: Double?,
        keyValueBytes bytes: Double, medianSeconds: Double, memoryRead: Double?
    ) {
        self[.gflops] = CSVNumber.ratio(gflops)
        for (value, ceiling, efficiency) in [
            (fmaPeak, ResultColumn.fmaPeakGflops, ResultColumn.peakEfficiency),
            (sgemmPeak, .sgemmPeakGflops, .sgemmEfficiency),
            (gemmRoofline, .gemmRooflineGflops, .gemmRooflineEfficiency),
        ] {
            if let value, value > 0 {
                self[ceiling] = CSVNumber.ratio(value)
                self[efficiency] = CSVNumber.ratio(gflops / value)
            }
        }
        let rate = bytes / medianSeconds / 1e9
        self[.keyValueBytes] = String(Int(bytes))
        self[.keyValueReadRate] = CSVNumber.ratio(rate)
        if let memoryRead, memoryRead > 0 {
            self[.memoryReadRate] = CSVNumber.ratio(memoryRead)
            self[.bandwidthEfficiency] = CSVNumber.ratio(rate / memoryRead)
        }
    }

    /// The result columns of a maximum-length search: the length found and what bound it.
    public mutating func record(search result: MaxLengthResult, configuration search: MaxLengthConfiguration) {
        self[.maxSeqLen] = String(result.maxLength)
        self[.maxSeqLenBound] = result.bound.rawValue
        self[.maxSeqLenResolution] = String(result.resolution)
        let length = max(1, result.maxLength)
        let attempt = search.attempt(keyLength: length)
        if let problem = try? attempt.problem(), let kernel = try? attempt.kernel() {
            self[.workspace] = String(kernel.workspaceBytes(problem, threadCount: search.threads))
        }
        status = result.bound == .error ? .error : .ok
        if case .failed(let message)? = result.attempts.last(where: { !$0.outcome.fits })?.outcome {
            self[.message] = message
        } else {
            self[.message] =
                "attempts: "
                + result.attempts.map { "\($0.length)\($0.outcome.fits ? "" : "x")" }.joined(separator: " ")
        }
    }
}

/// The budgets of one maximum-length search.
public struct MaxLengthBudget: Sendable, Equatable {
    public var memoryBytes: Int
    public var timeSeconds: Double
    /// nil: the query is as long as the keys; otherwise a fixed query length (decode).
    public var fixedQueryLength: Int?

    public init(memoryBytes: Int, timeSeconds: Double, fixedQueryLength: Int?) {
        self.memoryBytes = memoryBytes
        self.timeSeconds = timeSeconds
        self.fixedQueryLength = fixedQueryLength
    }
}
