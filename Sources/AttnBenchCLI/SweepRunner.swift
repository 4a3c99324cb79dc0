import AttentionKernels
import AttnBenchCore
import Foundation

/// Settings of the maximum-length search.
struct MaxLengthSettings {
    var memoryBudgetBytes: Int
    var timeBudgetSeconds: Double
    var search: MaxLengthSearch
    /// nil: query length equals the sequence length; otherwise a fixed query length (decode).
    var fixedQueryLength: Int?
}

/// Drives a sweep: one child process per configuration, one CSV row per configuration written
/// and flushed as it finishes. Failures become rows with a status; the sweep continues.
final class SweepRunner {
    /// Rows whose error against the float64 reference exceeds this are marked `incorrect`
    /// (unit-scale inputs; fp32 kernels land near 1e-6).
    static let correctnessTolerance = 1e-4

    let policy: RepetitionPolicy
    let seed: UInt64
    let context: RunContext
    let writer: CSVFileWriter
    let configurationTimeoutSeconds: Double?
    var failures = 0

    init(policy: RepetitionPolicy, seed: UInt64, context: RunContext, writer: CSVFileWriter, configurationTimeoutSeconds: Double?) {
        self.policy = policy
        self.seed = seed
        self.context = context
        self.writer = writer
        self.configurationTimeoutSeconds = configurationTimeoutSeconds
    }

    /// Measures every configuration, skipping those whose resume key is in `skip`.
    func measure(_ configurations: [SweepConfiguration], skip: Set<String>, progress: Progress) throws {
        for configuration in configurations {
            var row = baseRow(configuration, kind: "time")
            if skip.contains(Self.resumeKey(row)) {
                progress.finished(configuration.label, summary: "already in the CSV, skipped")
                continue
            }
            progress.starting(configuration.label)
            if let needed = Self.estimatedBytes(configuration), let available = Self.availableMemoryBytes(), needed > available {
                row[.status] = "oom"
                row[.message] = "needs about \(needed) bytes (inputs, output, workspace and the roofline probe); this machine has \(available) available; not run"
                row[.workspace] = String(configuration.kernel().workspaceBytes(try! configuration.problem(), threadCount: configuration.threads))
                context.annotate(&row, blas: nil)
                try writer.write(row)
                failures += 1
                progress.finished(configuration.label, summary: summary(row))
                continue
            }
            let request = WorkerRequest(mode: .measure, configuration: configuration, policy: policy, seed: seed,
                                        roofline: Self.rooflineSampling(configuration))
            let outcome = ChildProcess.run(request, timeoutSeconds: configurationTimeoutSeconds)
            fill(&row, configuration: configuration, outcome: outcome)
            try writer.write(row)
            if row[.status] != "ok" { failures += 1 }
            progress.finished(configuration.label, summary: summary(row))
        }
    }

    /// Finds the maximum sequence length of each configuration (its own lengths are ignored).
    func maximumLengths(_ configurations: [SweepConfiguration], settings: MaxLengthSettings, skip: Set<String>,
                        progress: Progress) throws {
        for configuration in configurations {
            var row = baseRow(configuration, kind: "maxlen")
            row[.seqLenQ] = ""
            row[.seqLenKV] = ""
            row[.memoryBudget] = String(settings.memoryBudgetBytes)
            row[.timeBudget] = CSVNumber.seconds(settings.timeBudgetSeconds)
            if let fixed = settings.fixedQueryLength { row[.seqLenQ] = String(fixed) }
            if skip.contains(Self.resumeKey(row)) {
                progress.finished(configuration.label, summary: "already in the CSV, skipped")
                continue
            }
            progress.starting("maxlen " + configuration.label)
            var blas: BLASIdentity? = nil
            let result = settings.search.run { length in
                var attempt = configuration
                attempt.keyLength = length
                attempt.queryLength = settings.fixedQueryLength ?? length
                let request = WorkerRequest(mode: .attempt, configuration: attempt, seed: seed,
                                            memoryLimitBytes: settings.memoryBudgetBytes)
                switch ChildProcess.run(request, timeoutSeconds: settings.timeBudgetSeconds) {
                case .response(let response):
                    blas = response.blas
                    if let error = response.error { return .failed(error) }
                    return .fits(seconds: response.attemptSeconds ?? 0)
                case .outOfMemory: return .exceedsMemory
                case .timedOut: return .exceedsTime
                case .crashed(let message): return .failed(message)
                }
            }
            row[.maxSeqLen] = String(result.maxLength)
            row[.maxSeqLenBound] = result.bound.rawValue
            row[.maxSeqLenResolution] = String(result.resolution)
            let probe = try? AttentionProblem(batch: configuration.batch, heads: configuration.heads,
                                              queryLength: settings.fixedQueryLength ?? max(1, result.maxLength),
                                              keyLength: max(1, result.maxLength), headDimension: configuration.headDimension,
                                              causal: configuration.causal)
            if let probe { row[.workspace] = String(configuration.kernel().workspaceBytes(probe, threadCount: configuration.threads)) }
            row[.status] = result.bound == .error ? "error" : "ok"
            if case .failed(let message)? = result.attempts.last(where: { !$0.outcome.fits })?.outcome {
                row[.message] = message
            } else {
                row[.message] = "attempts: " + result.attempts.map { "\($0.length)\($0.outcome.fits ? "" : "x")" }.joined(separator: " ")
            }
            context.annotate(&row, blas: blas)
            try writer.write(row)
            progress.finished("maxlen " + configuration.label,
                              summary: "max_seq_len \(result.maxLength) (\(result.bound.rawValue)-bound, \(result.attempts.count) attempts)")
        }
    }

    /// Inputs, output and the kernel's workspace, in bytes (nil on overflow: certainly too big).
    static func estimatedBytes(_ c: SweepConfiguration) -> Int? {
        guard let problem = try? c.problem() else { return nil }
        let tensors = 4.0 * Double(c.batch * c.heads) * Double(c.headDimension) * Double(2 * c.queryLength + 2 * c.keyLength)
        let probe = Double(RooflineProbe.bytes(headDimension: c.headDimension, memoryRead: rooflineSampling(c).memoryRead))
        let total = tensors + Double(c.kernel().workspaceBytes(problem, threadCount: c.threads)) + probe
        return total < 9e18 ? Int(total) : Int.max
    }

    /// MemAvailable from /proc/meminfo.
    static func availableMemoryBytes() -> Int? {
        guard let text = ProcessMemory.readFile("/proc/meminfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let digits = line.filter { $0.isNumber }
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }

    func baseRow(_ c: SweepConfiguration, kind: String) -> ResultRow {
        var row = ResultRow()
        row[.kind] = kind
        row[.variant] = c.variant.rawValue
        row[.batch] = String(c.batch)
        row[.heads] = String(c.heads)
        row[.seqLenQ] = String(c.queryLength)
        row[.seqLenKV] = String(c.keyLength)
        row[.headDim] = String(c.headDimension)
        row[.blockQ] = c.queryBlockSize.map(String.init) ?? ""
        row[.blockKV] = c.keyBlockSize.map(String.init) ?? ""
        row[.blockAuto] = c.variant.isBlocked ? String(c.blocksAutomatic) : ""
        row[.causal] = String(c.causal)
        row[.threads] = String(c.threads)
        row[.blasCoreRequested] = c.blasCore
        if c.variant == .naive, let problem = try? c.problem() {
            let used = NaiveAttention(strategy: c.naiveStrategy).resolvedStrategy(problem, threadCount: c.threads).rawValue
            row[.naiveStrategy] = c.naiveStrategy == nil ? "auto:\(used)" : used
        }
        row[.warmup] = String(policy.warmupRepetitions)
        if kind == "time" {
            row[.minimumRepetitions] = String(policy.minimumRepetitions)
            row[.minimumTime] = CSVNumber.seconds(policy.minimumSeconds)
        }
        row[.seed] = String(seed)
        return row
    }

    /// Configuration identity plus the settings that change a measurement.
    static func resumeKey(_ row: ResultRow) -> String {
        row.configurationKey + ";warmup=\(row[.warmup]);reps=\(row[.minimumRepetitions]);time=\(row[.minimumTime])"
            + ";seed=\(row[.seed]);budget=\(row[.memoryBudget])"
    }

    /// Every row samples the sgemm roofline; decode shapes (query length ≤ 16, where K and V
    /// are streamed once and memory bandwidth is the bound) also sample the memory-read one.
    static func rooflineSampling(_ c: SweepConfiguration) -> RooflineSampling {
        RooflineSampling(memoryRead: c.queryLength <= SweepConfiguration.decodeMaximumQueryLength)
    }

    func fill(_ row: inout ResultRow, configuration: SweepConfiguration, outcome: ChildProcess.Outcome) {
        var blas: BLASIdentity? = nil
        switch outcome {
        case .response(let response):
            blas = response.blas
            if let error = response.error {
                row[.status] = "error"
                row[.message] = error
            } else if let m = response.measurement, let stats = TimingStatistics(samplesSeconds: m.wallTimesSeconds) {
                let problem = try! configuration.problem()
                row[.repetitions] = String(m.wallTimesSeconds.count)
                row[.wallTimeMedian] = CSVNumber.seconds(stats.medianSeconds)
                row[.wallTimeMin] = CSVNumber.seconds(stats.minimumSeconds)
                row[.wallTimeP90] = CSVNumber.seconds(stats.p90Seconds)
                row[.wallTimeMax] = CSVNumber.seconds(stats.maximumSeconds)
                row[.wallTimeMean] = CSVNumber.seconds(stats.meanSeconds)
                row[.wallTimeIQR] = CSVNumber.seconds(stats.interquartileRangeSeconds)
                row[.wallTimeRelativeIQR] = CSVNumber.ratio(stats.relativeInterquartileRange)
                row[.noisy] = String(stats.isNoisy)
                row[.wallTimes] = m.wallTimesSeconds.map(CSVNumber.seconds).joined(separator: " ")
                let gflops = AttentionFLOPs.gigaflopsPerSecond(problem, seconds: stats.medianSeconds)
                row[.gflops] = CSVNumber.ratio(gflops)
                if let sgemm = TimingStatistics.median(m.sgemmGigaflopsSamples), sgemm > 0 {
                    row[.sgemmGflops] = CSVNumber.ratio(sgemm)
                    row[.efficiency] = CSVNumber.ratio(gflops / sgemm)
                }
                let bytes = AttentionTraffic.keyValueBytes(problem)
                let rate = bytes / stats.medianSeconds / 1e9
                row[.keyValueBytes] = String(Int(bytes))
                row[.keyValueReadRate] = CSVNumber.ratio(rate)
                if let bandwidth = TimingStatistics.median(m.memoryReadGigabytesPerSecondSamples), bandwidth > 0 {
                    row[.memoryReadRate] = CSVNumber.ratio(bandwidth)
                    row[.bandwidthEfficiency] = CSVNumber.ratio(rate / bandwidth)
                }
                row[.peakMemory] = m.peakMemoryBytes.map(String.init) ?? ""
                row[.workspace] = String(m.workspaceBytes)
                row[.maxAbsError] = CSVNumber.error(m.maxAbsError)
                row[.errorRowsChecked] = String(m.errorRowsChecked)
                if !m.outputsFinite || m.maxAbsError > Self.correctnessTolerance {
                    row[.status] = "incorrect"
                    row[.message] = "max_abs_error \(m.maxAbsError) exceeds \(Self.correctnessTolerance)\(m.outputsFinite ? "" : " (non-finite outputs)")"
                } else {
                    row[.status] = "ok"
                }
            } else {
                row[.status] = "error"
                row[.message] = "the worker returned no measurement"
            }
        case .outOfMemory:
            row[.status] = "oom"
            row[.message] = "out of memory"
        case .timedOut:
            row[.status] = "timeout"
            row[.message] = "exceeded --config-timeout \(configurationTimeoutSeconds ?? 0)s"
        case .crashed(let message):
            row[.status] = "crashed"
            row[.message] = message
        }
        context.annotate(&row, blas: blas)
    }

    func summary(_ row: ResultRow) -> String {
        if row[.status] != "ok" { return "\(row[.status]) \(row[.message])" }
        return "median \(row[.wallTimeMedian]) s, \(row[.gflops]) GFLOP/s, peak \(row[.peakMemory]) B, error \(row[.maxAbsError])"
    }
}
