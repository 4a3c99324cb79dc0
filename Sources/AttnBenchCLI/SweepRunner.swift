import AttentionKernels
import AttnBenchCore
import Foundation

/// Settings of the maximum-length search.
struct MaxLengthSettings {
    var budget: MaxLengthBudget
    var search: MaxLengthSearch
}

/// Drives a sweep: one child process per configuration, one CSV row per configuration written
/// and flushed as it finishes. Rows are assembled by the engine (`ResultRow`); failures become
/// rows with a status and the sweep continues.
final class SweepRunner {
    let policy: RepetitionPolicy
    let seed: UInt64
    let context: RunContext
    let writer: CSVFileWriter
    let configurationTimeoutSeconds: Double?
    /// Worker processes per configuration; their repetitions are pooled into one row.
    let processes: Int
    var failures = 0

    init(
        policy: RepetitionPolicy, seed: UInt64, context: RunContext, writer: CSVFileWriter,
        configurationTimeoutSeconds: Double?, processes: Int = 1
    ) {
        self.processes = max(1, processes)
        self.policy = policy
        self.seed = seed
        self.context = context
        self.writer = writer
        self.configurationTimeoutSeconds = configurationTimeoutSeconds
    }

    convenience init(grid: SweepGrid, context: RunContext, writer: CSVFileWriter, configurationTimeoutSeconds: Double?)
    {
        self.init(
            policy: grid.timing, seed: grid.seed, context: context, writer: writer,
            configurationTimeoutSeconds: configurationTimeoutSeconds, processes: grid.processes)
    }

    /// Measures the plan's configurations, then runs its searches; rows whose resume key is
    /// in `skip` are not measured again.
    func run(_ plan: SweepPlan, searchSettings: MaxLengthSettings, skip: Set<String>) throws {
        let progress = Progress(total: plan.items.count)
        try measure(plan.configurations, skip: skip, progress: progress)
        try maximumLengths(plan.searches, settings: searchSettings, skip: skip, progress: progress)
    }

    /// Throws the exit status for rows that did not end `ok`, after saying so on stderr.
    func exitStatus(command: String) throws {
        guard failures > 0 else { return }
        printError(
            "attnbench \(command): \(failures) row(s) did not end with status ok; see the status and message columns "
                + "(exit status \(ExitStatus.unfinishedRows.rawValue))")
        throw ExitStatus.unfinishedRows.exitCode
    }

    /// Measures every configuration, skipping those whose resume key is in `skip`.
    func measure(_ configurations: [SweepConfiguration], skip: Set<String>, progress: Progress) throws {
        for configuration in configurations {
            var row = ResultRow(configuration: configuration, policy: policy, seed: seed)
            if skip.contains(row.resumeKey) {
                progress.finished(configuration.progressLabel, summary: "already in the CSV, skipped")
                continue
            }
            progress.starting(configuration.progressLabel)
            var blas: BLASIdentity? = nil
            if let needed = configuration.estimatedBytes, let available = ProcessMemory.availableBytes(),
                needed > available
            {
                row.recordNotStarted(configuration: configuration, neededBytes: needed, availableBytes: available)
                // No worker ran; with the inherited core it would have found this process's
                // OpenBLAS, so the row still names the machine it belongs to.
                if configuration.blasCore == .inherited { blas = BLASIdentity.current() }
            } else {
                let request = WorkerRequest(
                    mode: .measure, configuration: configuration, policy: policy, seed: seed,
                    roofline: configuration.rooflineSampling)
                let outcome = measureInProcesses(request)
                if case .response(let response) = outcome { blas = response.blas }
                row.record(outcome, configuration: configuration)
            }
            try finish(&row, blas: blas, label: configuration.progressLabel, summary: summary(row), progress: progress)
        }
    }

    /// Finds the maximum sequence length of each search.
    func maximumLengths(
        _ searches: [MaxLengthConfiguration], settings: MaxLengthSettings, skip: Set<String>, progress: Progress
    ) throws {
        let budget = settings.budget
        for search in searches {
            var row = ResultRow(search: search, budget: budget, policy: policy, seed: seed)
            let label = "maxlen " + search.progressLabel
            if skip.contains(row.resumeKey) {
                progress.finished(label, summary: "already in the CSV, skipped")
                continue
            }
            progress.starting(label)
            var blas: BLASIdentity? = nil
            let result = settings.search.run { length in
                let request = WorkerRequest(
                    mode: .attempt, configuration: search.attempt(keyLength: length), seed: seed,
                    memoryLimitBytes: budget.memoryBytes)
                switch ChildProcess.run(request, timeoutSeconds: budget.timeSeconds) {
                case .response(let response):
                    blas = response.blas
                    if let error = response.error { return .failed(error) }
                    return .fits(seconds: response.attemptSeconds ?? 0)
                case .outOfMemory: return .exceedsMemory
                case .timedOut: return .exceedsTime
                case .crashed(let message): return .failed(message)
                }
            }
            row.record(search: result, configuration: search)
            let summary =
                "max_seq_len \(result.maxLength) (\(result.bound.rawValue)-bound, \(result.attempts.count) attempts)"
            try finish(&row, blas: blas, label: label, summary: summary, progress: progress)
        }
    }

    /// Writes a finished row with the run's context and counts it when it is not `ok`.
    func finish(_ row: inout ResultRow, blas: BLASIdentity?, label: String, summary: String, progress: Progress) throws
    {
        context.annotate(&row, blas: blas)
        try writer.write(row)
        if row.status != .ok { failures += 1 }
        progress.finished(label, summary: summary)
    }

    /// Runs the request in `processes` worker processes one after another and pools their
    /// measurements; the first outcome that is not a measurement ends it and is the row's.
    func measureInProcesses(_ request: WorkerRequest) -> WorkerOutcome {
        var parts: [KernelMeasurementResult] = []
        var last: WorkerResponse? = nil
        for _ in 0..<processes {
            let outcome = ChildProcess.run(request, timeoutSeconds: configurationTimeoutSeconds)
            guard case .response(let response) = outcome, response.error == nil, let measurement = response.measurement
            else {
                return outcome
            }
            parts.append(measurement)
            last = response
        }
        guard var response = last else { return .crashed("no worker process ran") }
        response.measurement = KernelMeasurementResult.pooling(parts)
        return .response(response)
    }

    func summary(_ row: ResultRow) -> String {
        if row.status != .ok { return "\(row[.status]) \(row[.message])" }
        return "median \(row[.wallTimeMedian]) s, \(row[.gflops]) GFLOP/s, peak \(row[.peakMemory]) B, "
            + "error \(row[.maxAbsError])"
    }
}
