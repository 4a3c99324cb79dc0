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

    init(policy: RepetitionPolicy, seed: UInt64, context: RunContext, writer: CSVFileWriter, configurationTimeoutSeconds: Double?,
         processes: Int = 1) {
        self.processes = max(1, processes)
        self.policy = policy
        self.seed = seed
        self.context = context
        self.writer = writer
        self.configurationTimeoutSeconds = configurationTimeoutSeconds
    }

    /// Measures every configuration, skipping those whose resume key is in `skip`.
    func measure(_ configurations: [SweepConfiguration], skip: Set<String>, progress: Progress) throws {
        for configuration in configurations {
            var row = ResultRow(configuration: configuration, kind: .time, policy: policy, seed: seed)
            if skip.contains(row.resumeKey) {
                progress.finished(configuration.progressLabel, summary: "already in the CSV, skipped")
                continue
            }
            progress.starting(configuration.progressLabel)
            var blas: BLASIdentity? = nil
            if let needed = configuration.estimatedBytes, let available = ProcessMemory.availableBytes(), needed > available {
                row.recordNotStarted(configuration: configuration, neededBytes: needed, availableBytes: available)
            } else {
                let request = WorkerRequest(mode: .measure, configuration: configuration, policy: policy, seed: seed,
                                            roofline: configuration.rooflineSampling)
                let outcome = measureInProcesses(request)
                if case .response(let response) = outcome { blas = response.blas }
                row.record(outcome, configuration: configuration)
            }
            context.annotate(&row, blas: blas)
            try writer.write(row)
            if row.status != .ok { failures += 1 }
            progress.finished(configuration.progressLabel, summary: summary(row))
        }
    }

    /// Finds the maximum sequence length of each configuration (its own lengths are ignored).
    func maximumLengths(_ configurations: [SweepConfiguration], settings: MaxLengthSettings, skip: Set<String>,
                        progress: Progress) throws {
        let budget = settings.budget
        for configuration in configurations {
            var row = ResultRow(configuration: configuration, kind: .maxlen, policy: policy, seed: seed)
            row.record(budget: budget)
            let label = "maxlen " + configuration.progressLabel
            if skip.contains(row.resumeKey) {
                progress.finished(label, summary: "already in the CSV, skipped")
                continue
            }
            progress.starting(label)
            var blas: BLASIdentity? = nil
            let result = settings.search.run { length in
                let attempt = configuration.with(queryLength: budget.fixedQueryLength ?? length, keyLength: length)
                let request = WorkerRequest(mode: .attempt, configuration: attempt, seed: seed,
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
            row.record(search: result, configuration: configuration, budget: budget)
            context.annotate(&row, blas: blas)
            try writer.write(row)
            if row.status != .ok { failures += 1 }
            progress.finished(label, summary: "max_seq_len \(result.maxLength) (\(result.bound.rawValue)-bound, \(result.attempts.count) attempts)")
        }
    }

    /// Runs the request in `processes` worker processes one after another and pools their
    /// measurements; the first outcome that is not a measurement ends it and is the row's.
    func measureInProcesses(_ request: WorkerRequest) -> WorkerOutcome {
        var parts: [KernelMeasurementResult] = []
        var last: WorkerResponse? = nil
        for _ in 0..<processes {
            let outcome = ChildProcess.run(request, timeoutSeconds: configurationTimeoutSeconds)
            guard case .response(let response) = outcome, response.error == nil, let measurement = response.measurement else {
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
        return "median \(row[.wallTimeMedian]) s, \(row[.gflops]) GFLOP/s, peak \(row[.peakMemory]) B, error \(row[.maxAbsError])"
    }
}

extension SweepConfiguration {
    /// A short human label for progress lines.
    var progressLabel: String {
        var s = variant.rawValue + (model.map { " \($0)" } ?? "") + " B=\(batch) H=\(heads)"
        if keyValueHeads != heads { s += " KV=\(keyValueHeads)" }
        if keyLength > 0 { s += " Sq=\(queryLength) Skv=\(keyLength)" }
        s += " d=\(headDimension)"
        if let window { s += " window=\(window)" }
        switch keyLengths {
        case .full: break
        case .ragged: s += " keys=ragged"
        case .explicit(let values): s += " keys=\(values.map(String.init).joined(separator: ","))"
        }
        if let blocks { s += " blocks=\(blocks.sizes.query)x\(blocks.sizes.key)\(blocks.automatic ? "(auto)" : "")" }
        s += " causal=\(causal ? "on" : "off") threads=\(threads)"
        if blasCore != "env" { s += " core=\(blasCore)" }
        if let naiveStrategy { s += " strategy=\(naiveStrategy.rawValue)" }
        return s
    }
}
