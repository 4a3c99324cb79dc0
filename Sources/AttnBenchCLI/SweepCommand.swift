import ArgumentParser
import AttentionKernels
import AttnBenchCore
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of variants and shapes; write one CSV row per (variant, configuration).",
        discussion: """
            Every list flag takes comma-separated values with k suffixes (512,1k,4k). Each configuration \
            runs in its own child process; its row is written and flushed as soon as it finishes. \
            Progress goes to stderr, CSV to --output or stdout.
            """)

    @Option(parsing: .unconditional, help: "Preset grid: default, quick (< 1 min), ci (a few minutes), full (README figures) or compute (naive and flash2 at N 2k/4k, head_dim 64/128, 1 and 2 threads, causal both). Explicit flags override it.")
    var preset: PresetName = .default

    @OptionGroup var shape: ShapeOptions

    @Option(name: .customLong("seq-len"), parsing: .unconditional, help: "Key/value sequence lengths, e.g. 512,1k,4k.")
    var sequenceLength: String?

    @Option(name: .customLong("query-len"), parsing: .unconditional, help: "Query lengths: integers, or 'seq' for equal to the sequence length. 1 gives decode shapes.")
    var queryLength: String?

    @Option(name: .customLong("naive-strategy"), parsing: .unconditional, help: "naive's parallel strategy, a list of: auto (slices when B·H ≥ 2·threads, else blas), slices ((batch, head) slices in parallel, single-threaded OpenBLAS), blas (multi-threaded OpenBLAS GEMMs).")
    var naiveStrategy: String = "auto"

    @Option(parsing: .unconditional, help: "Untimed warm-up calls per configuration.")
    var warmup: Int?

    @Option(parsing: .unconditional, help: "Minimum timed repetitions per configuration.")
    var repetitions: Int?

    @Option(name: .customLong("min-time"), parsing: .unconditional, help: "Minimum seconds of timed repetitions per configuration.")
    var minimumTime: Double?

    @Option(name: .customLong("max-repetitions"), parsing: .unconditional, help: "Upper bound on timed repetitions.")
    var maximumRepetitions: Int = 1000

    @Option(parsing: .unconditional, help: "Worker processes per configuration, one after another; their repetitions are pooled and each process's median recorded (process_medians_s), so compare can tell a change from per-process effects. Default: 3 for the ci preset, else 1.")
    var processes: Int?

    @Option(parsing: .unconditional, help: "Seed of the random inputs (recorded in every row).")
    var seed: UInt64 = 0x5EED

    @Option(name: .customLong("config-timeout"), parsing: .unconditional, help: "Seconds after which one configuration is stopped and recorded as 'timeout'.")
    var configurationTimeout: Double = 900

    @Option(name: .shortAndLong, parsing: .unconditional, help: "CSV output file (default: stdout).")
    var output: String?

    @Flag(help: "Continue a sweep into an existing --output CSV, skipping configurations already measured with the same settings.")
    var resume = false

    @Flag(name: .customLong("max-seq-len"), help: "Also find each variant's maximum sequence length under --memory-budget (adds rows of kind 'maxlen').")
    var maximumSequenceLength = false

    @OptionGroup var budget: BudgetOptions

    @OptionGroup var sharding: ShardOptions

    func run() throws {
        let presetValues = Preset.named(preset)
        let resolved = try ResolvedShape(shape, defaults: presetValues)
        let lengths = try parsingInput { try ListParsing.integers(sequenceLength ?? presetValues.seqLen, flag: "--seq-len") }
        let queryChoices = try Self.parseQueryLengths(queryLength ?? presetValues.queryLen)
        let policy = try resolvePolicy(presetValues)
        let processCount = processes ?? presetValues.processes
        if !(1...20).contains(processCount) {
            throw UserError("--processes: invalid value '\(processCount)'; expected 1 to 20 worker processes per configuration")
        }
        let strategies: [NaiveAttention.Strategy?] = try parsingInput {
            try ListParsing.names(naiveStrategy, flag: "--naive-strategy", allowed: ["auto", "slices", "blas"])
                .map { $0 == "auto" ? nil : NaiveAttention.Strategy(rawValue: $0)! }
        }
        if resume && output == nil { throw UserError("--resume: needs --output FILE (the CSV to continue)") }

        let shard = try sharding.resolve()
        let shapes = lengths.flatMap { n in queryChoices.map { (query: $0 ?? n, key: n) } }
        let grid = try resolved.configurations(shapes: shapes, naiveStrategies: strategies, seed: seed)
        var maxlenGrid: [SweepConfiguration] = []
        if maximumSequenceLength {
            for c in grid where c.queryLength == c.keyLength {
                let m = c.with(queryLength: 0, keyLength: 0)
                if !maxlenGrid.contains(m) { maxlenGrid.append(m) }
            }
        }
        // Time and maxlen configurations are sharded together, each by its estimated work.
        let items = grid.map { (kind: RowKind.time, configuration: $0, seconds: SweepShards.estimatedWorkSeconds($0, policy: policy) * Double(processCount)) }
            + maxlenGrid.map { (kind: RowKind.maxlen, configuration: $0, seconds: SweepShards.perConfigurationSeconds * 10) }
        let selected = ShardOptions.select(items, work: \.seconds, shard: shard)
        if sharding.dryRun { return printPlan(selected, shard: shard) }
        let configurations = selected.filter { $0.kind == .time }.map(\.configuration)
        let maxlenConfigurations = selected.filter { $0.kind == .maxlen }.map(\.configuration)

        var skip = Set<String>()
        var append = false
        if resume, let output, FileManager.default.fileExists(atPath: output) {
            guard let text = try? String(contentsOfFile: output, encoding: .utf8) else {
                throw UserError("--resume: cannot read '\(output)'")
            }
            if !text.isEmpty {
                let document = try parsingInput {
                    try CSVCodec.parseDocument(text, source: "--resume: '\(output)'", droppingIncompleteLastRow: true)
                }
                if document.header != ResultColumn.allCases.map(\.rawValue) {
                    throw UserError("--resume: '\(output)' has other columns or another column order than this attnbench writes; continue into a new --output file")
                }
                if let dropped = document.droppedIncompleteLastRow {
                    printError("attnbench sweep: the last row of '\(output)' was cut off (\(dropped.utf8.count) bytes without a final newline); it is removed and its configuration measured again")
                }
                skip = Set(document.rows.filter { $0.status == .ok }.map(\.resumeKey))
                append = true
            }
        }
        let resolvedBudget = try budget.resolve(fixedQueryLength: nil)
        let maxlenSettings = maximumSequenceLength ? resolvedBudget : nil

        let writer = try CSVFileWriter(path: output, append: append)
        defer { writer.close() }
        let context = ContextProbe.make(seed: seed)
        let runner = SweepRunner(policy: policy, seed: seed, context: context, writer: writer,
                                 configurationTimeoutSeconds: configurationTimeout, processes: processCount)
        printError("attnbench sweep: \(configurations.count) configurations\(shard.map { " (shard \($0.index)/\($0.count) of \(items.count))" } ?? "")\(maxlenConfigurations.isEmpty ? "" : " + \(maxlenConfigurations.count) maximum-length searches"), \(output.map { "writing \($0)" } ?? "CSV on stdout")")
        let progress = Progress(total: configurations.count + maxlenConfigurations.count)
        try runner.measure(configurations, skip: skip, progress: progress)
        if let maxlenSettings {
            try runner.maximumLengths(maxlenConfigurations, settings: maxlenSettings, skip: skip, progress: progress)
        }
        if runner.failures > 0 {
            printError("attnbench sweep: \(runner.failures) configuration(s) did not finish with status ok; see the status and message columns (exit status \(ExitStatus.unfinishedRows.rawValue))")
            throw ExitStatus.unfinishedRows.exitCode
        }
    }

    func resolvePolicy(_ preset: Preset) throws -> RepetitionPolicy {
        let warm = warmup ?? preset.warmup
        let reps = repetitions ?? preset.minimumRepetitions
        let time = minimumTime ?? preset.minimumSeconds
        if warm < 0 { throw UserError("--warmup: invalid value '\(warm)'; expected 0 or more warm-up calls") }
        if reps < 1 { throw UserError("--repetitions: invalid value '\(reps)'; expected at least 1 timed repetition") }
        if !(time >= 0) || !time.isFinite { throw UserError("--min-time: invalid value '\(time)'; expected seconds ≥ 0") }
        if maximumRepetitions < reps {
            throw UserError("--max-repetitions: invalid value '\(maximumRepetitions)'; expected at least --repetitions (\(reps))")
        }
        if !(configurationTimeout > 0) { throw UserError("--config-timeout: invalid value '\(configurationTimeout)'; expected seconds > 0") }
        return RepetitionPolicy(warmupRepetitions: warm, minimumRepetitions: reps, minimumSeconds: time,
                                maximumRepetitions: maximumRepetitions)
    }

    /// "seq,1" → [nil, 1]; nil means equal to the sequence length.
    static func parseQueryLengths(_ text: String) throws -> [Int?] {
        var result: [Int?] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item == "seq" || item == "same" { result.append(nil); continue }
            guard let value = Int(item.lowercased().replacingOccurrences(of: "k", with: "")).map({ item.lowercased().hasSuffix("k") ? $0 * 1024 : $0 }),
                  value >= 1, item.allSatisfy({ $0.isNumber || $0 == "k" || $0 == "K" }) else {
                throw UserError("--query-len: invalid value '\(item)'; expected 'seq' (equal to the sequence length) or integers ≥ 1, e.g. seq,1")
            }
            result.append(value)
        }
        return result
    }
}

/// Memory and time budgets of the maximum-length search.
struct BudgetOptions: ParsableArguments {
    @Option(name: .customLong("memory-budget"), parsing: .unconditional, help: "Memory the inputs, output and workspace may use, e.g. 512MiB, 2GiB.")
    var memoryBudget: String = "512MiB"

    @Option(name: .customLong("time-budget"), parsing: .unconditional, help: "Seconds one attempt may take (child start-up included); longer counts as not fitting.")
    var timeBudget: Double = 5

    @Option(name: .customLong("resolution"), parsing: .unconditional, help: "Bisection stops when the bracket is within this fraction of the length found (and at most 16 tokens finer).")
    var resolution: Double = 1.0 / 32

    @Option(name: .customLong("start-len"), parsing: .unconditional, help: "First length tried; doubled until an attempt fails.")
    var startLength: Int = 256

    func resolve(fixedQueryLength: Int?) throws -> MaxLengthSettings {
        let bytes = try parsingInput { try ListParsing.byteCount(memoryBudget, flag: "--memory-budget") }
        if bytes < 1 << 20 { throw UserError("--memory-budget: invalid value '\(memoryBudget)'; expected at least 1MiB") }
        if !(timeBudget > 0) || !timeBudget.isFinite { throw UserError("--time-budget: invalid value '\(timeBudget)'; expected seconds > 0") }
        if !(resolution > 0 && resolution < 1) { throw UserError("--resolution: invalid value '\(resolution)'; expected a fraction between 0 and 1, e.g. 0.03") }
        if startLength < 1 { throw UserError("--start-len: invalid value '\(startLength)'; expected a length ≥ 1") }
        return MaxLengthSettings(budget: MaxLengthBudget(memoryBytes: bytes, timeSeconds: timeBudget, fixedQueryLength: fixedQueryLength),
                                 search: MaxLengthSearch(start: startLength, relativeResolution: resolution))
    }
}

/// Runs a parsing closure, turning InputError into a UserError.
func parsingInput<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as InputError { throw UserError(error.description) }
}
