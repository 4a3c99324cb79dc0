import AttentionKernels

/// From a configuration and what its worker returned to a result row: every derived figure
/// (GFLOP/s, rooflines, bandwidth) and the verdict on correctness are decided here, once.
extension ResultRow {
    /// The columns of a timed configuration, before anything is measured.
    public init(configuration c: SweepConfiguration, policy: RepetitionPolicy, seed: UInt64) {
        self.init(setting: c.setting, kind: .time, policy: policy, seed: seed)
        self[value: .seqLenQ] = .integer(c.queryLength)
        self[value: .seqLenKV] = .integer(c.keyLength)
        self[value: .keyLengths] = c.keyLengths.lengths(batch: c.batch, keyLength: c.keyLength).map(
            ResultValue.integers)
        self[value: .minimumRepetitions] = .integer(policy.minimumRepetitions)
        self[value: .minimumTime] = .number(policy.minimumSeconds, .seconds)
        if let work = c.layerWork {
            self[.layerDType] = "f32"
            self[value: .layerGemmFlops] = .integer(Int(work.flops))
            self[value: .layerWeightBytes] = .integer(work.weightBytes)
        }
        guard let problem = try? c.problem() else { return }
        if let run = (try? c.kernel())?.blockSizesRun(on: problem) {
            self[value: .blockQ] = .integer(run.query)
            self[value: .blockKV] = .integer(run.key)
        }
        if c.variant == .naive {
            let (innerProblem, innerThreads) = WideningAttention.innerCall(problem, threadCount: c.threads)
            let used = NaiveAttention(strategy: c.naiveStrategy).resolvedStrategy(
                innerProblem, threadCount: innerThreads
            )
            .rawValue
            self[.naiveStrategy] = c.naiveStrategy == nil ? "auto:\(used)" : used
        }
    }

    /// The columns of a maximum-length search, before it runs: the lengths are the search's,
    /// the query length fixed or empty; the budget is part of its resume key.
    public init(search: MaxLengthConfiguration, budget: MaxLengthBudget, policy: RepetitionPolicy, seed: UInt64) {
        self.init(setting: search.setting, kind: .maxlen, policy: policy, seed: seed)
        self[value: .seqLenQ] = search.fixedQueryLength.map(ResultValue.integer)
        if case .ragged = search.keyLengths { self[.keyLengths] = "ragged" }
        if search.variant == .naive, let strategy = search.naiveStrategy { self[.naiveStrategy] = strategy.rawValue }
        self[value: .memoryBudget] = .integer(budget.memoryBytes)
        self[value: .timeBudget] = .number(budget.timeSeconds, .seconds)
    }

    /// The columns every row of a setting has.
    init(setting c: KernelSetting, kind: RowKind, policy: RepetitionPolicy, seed: UInt64) {
        self.init()
        self.kind = kind
        self[.variant] = c.variant.rawValue
        self[.model] = c.model ?? ""
        self[value: .batch] = .integer(c.batch)
        self[value: .heads] = .integer(c.heads)
        self[value: .keyValueHeads] = .integer(c.keyValueHeads)
        self[value: .headDim] = .integer(c.headDimension)
        self[value: .window] = c.window.map(ResultValue.integer)
        if let blocks = c.blocks {
            self[value: .blockQ] = .integer(blocks.sizes.query)
            self[value: .blockKV] = .integer(blocks.sizes.key)
            self[value: .blockAuto] = .boolean(blocks.automatic)
        }
        self[value: .causal] = .boolean(c.causal)
        self[.elementType] = c.elementType.rawValue
        self[.keyValueElementType] = c.keyValueElementType.rawValue
        self[value: .threads] = .integer(c.threads)
        self[.blasCoreRequested] = c.blasCore.name
        self[value: .warmup] = .integer(policy.warmupRepetitions)
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
            "needs about \(neededBytes) bytes (inputs, output, workspace, the roofline probe"
            + (c.layerWork == nil ? "" : ", the layer's weights and activations") + "); this machine has "
            + "\(availableBytes) available; not run"
        if let problem = try? c.problem(), let kernel = try? c.kernel() {
            self[value: .workspace] = .integer(kernel.workspaceBytes(problem, threadCount: c.threads))
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
                if let work = configuration.layerWork {
                    recordLayer(
                        samples: m.layerWallTimesSeconds,
                        outputHeadSeconds: TimingStatistics.median(
                            m.outputHeadWallTimesSeconds), layers: work.outputHead == nil ? nil : work.layers)
                }
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
            bfloat16DotPeak: m.bfloat16DotPeakGigaflopsSamples.max(),
            sgemmPeak: m.sgemmPeakGigaflopsSamples.max(),
            gemmRoofline: TimingStatistics.median(m.gemmRooflineGigaflopsSamples),
            keyValueBytes: AttentionTraffic.keyValueBytes(problem), medianSeconds: stats.medianSeconds,
            memoryRead: TimingStatistics.median(m.memoryReadGigabytesPerSecondSamples))
        self[value: .cpuVectorBits] = m.vectorBits.map(ResultValue.integer)
        self[value: .kernelTile] = m.kernelTile.map(ResultValue.text)
        self[value: .peakMemory] = m.peakMemoryBytes.map(ResultValue.integer)
        self[value: .workspace] = .integer(m.workspaceBytes)
        self[value: .maxAbsError] = .number(m.maxAbsError, .error)
        self[value: .errorRowsChecked] = .integer(m.errorRowsChecked)
        let tolerance = CorrectnessTolerance.of(problem, productsInBFloat16: m.productsInBFloat16)
        if !m.outputsFinite || m.maxAbsError > tolerance {
            status = .incorrect
            self[.message] =
                "max_abs_error \(m.maxAbsError) exceeds "
                + "\(tolerance)\(m.outputsFinite ? "" : " (non-finite outputs)")"
        } else {
            status = .ok
        }
    }

    /// The layer's columns from its products' samples (and the output head's median on a decode
    /// row, with the model's layer count): its median and rate, attention's share of the layer
    /// and the estimated time of one generated token. `layer_gemm_flops` is already set.
    public mutating func recordLayer(samples: [Double], outputHeadSeconds: Double?, layers: Int?) {
        guard let layerSeconds = TimingStatistics.median(samples), layerSeconds > 0 else { return }
        self[value: .layerGemmTime] = .number(layerSeconds, .seconds)
        self[value: .layerGemmTimes] = .numbers(samples, .seconds)
        if let flops = double(.layerGemmFlops) {
            let rate = flops / layerSeconds / 1e9
            self[value: .layerGemmGflops] = .number(rate, .ratio)
            if let peak = double(.sgemmPeakGflops), peak > 0 {
                self[value: .layerSgemmEfficiency] = .number(rate / peak, .ratio)
            }
        }
        guard let attention = double(.wallTimeMedian) else { return }
        self[value: .attentionShare] = .number(attention / (attention + layerSeconds), .ratio)
        if let outputHeadSeconds, let layers {
            self[value: .outputHeadTime] = .number(outputHeadSeconds, .seconds)
            self[value: .tokenTime] = .number(
                Double(layers) * (attention + layerSeconds) + outputHeadSeconds, .seconds)
        }
    }

    /// The time columns of `samples`: statistics, every sample, each worker process's median.
    mutating func recordTimes(_ samples: [Double], statistics stats: TimingStatistics, processMedians: [Double]) {
        self[value: .repetitions] = .integer(samples.count)
        self[value: .wallTimeMedian] = .number(stats.medianSeconds, .seconds)
        self[value: .wallTimeMin] = .number(stats.minimumSeconds, .seconds)
        self[value: .wallTimeP90] = .number(stats.p90Seconds, .seconds)
        self[value: .wallTimeMax] = .number(stats.maximumSeconds, .seconds)
        self[value: .wallTimeMean] = .number(stats.meanSeconds, .seconds)
        self[value: .wallTimeIQR] = .number(stats.interquartileRangeSeconds, .seconds)
        self[value: .wallTimeRelativeIQR] = .number(stats.relativeInterquartileRange, .ratio)
        self[value: .noisy] = .boolean(stats.isNoisy)
        self[value: .wallTimes] = .numbers(samples, .seconds)
        self[value: .processMedians] = .numbers(processMedians, .seconds)
    }

    /// GFLOP/s against each ceiling, and the K/V read rate against the memory bandwidth.
    mutating func recordRates(
        gigaflopsPerSecond gflops: Double, fmaPeak: Double?, bfloat16DotPeak: Double? = nil, sgemmPeak: Double?,
        gemmRoofline: Double?,
        keyValueBytes bytes: Double, medianSeconds: Double, memoryRead: Double?
    ) {
        self[value: .gflops] = .number(gflops, .ratio)
        for (value, ceiling, efficiency) in [
            (fmaPeak, ResultColumn.fmaPeakGflops, ResultColumn.peakEfficiency),
            (sgemmPeak, .sgemmPeakGflops, .sgemmEfficiency),
            (gemmRoofline, .gemmRooflineGflops, .gemmRooflineEfficiency),
        ] {
            if let value, value > 0 {
                self[value: ceiling] = .number(value, .ratio)
                self[value: efficiency] = .number(gflops / value, .ratio)
            }
        }
        // Rows whose products run in bf16 are held to the bf16 dot-product peak.
        if let bfloat16DotPeak, bfloat16DotPeak > 0 {
            self[value: .bfloat16DotPeakGflops] = .number(bfloat16DotPeak, .ratio)
            self[value: .peakEfficiency] = .number(gflops / bfloat16DotPeak, .ratio)
        }
        let rate = bytes / medianSeconds / 1e9
        self[value: .keyValueBytes] = .integer(Int(bytes))
        self[value: .keyValueReadRate] = .number(rate, .ratio)
        if let memoryRead, memoryRead > 0 {
            self[value: .memoryReadRate] = .number(memoryRead, .ratio)
            self[value: .bandwidthEfficiency] = .number(rate / memoryRead, .ratio)
        }
    }

    /// The result columns of a maximum-length search: the length found and what bound it.
    public mutating func record(search result: MaxLengthResult, configuration search: MaxLengthConfiguration) {
        self[value: .maxSeqLen] = .integer(result.maxLength)
        self[.maxSeqLenBound] = result.bound.rawValue
        self[value: .maxSeqLenResolution] = .integer(result.resolution)
        let length = max(1, result.maxLength)
        let attempt = search.attempt(keyLength: length)
        if let problem = try? attempt.problem(), let kernel = try? attempt.kernel() {
            self[value: .workspace] = .integer(kernel.workspaceBytes(problem, threadCount: search.threads))
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
