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

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Preset grid: default, quick (about a minute), ci (a few minutes), full (README figures) or compute "
                + "(naive and flash2 at N 2k/4k, head_dim 64/128, 1 and 2 threads, causal both). Explicit flags "
                + "override it."
        ))
    var preset: SweepPreset = .default

    @OptionGroup var shape: ShapeOptions

    @Option(
        name: .customLong("seq-len"), parsing: .unconditional, help: "Key/value sequence lengths, e.g. 512,1k,4k.",
        transform: { try ArgumentValues.counts($0) })
    var sequenceLength: [Int]?

    @Option(
        name: .customLong("query-len"), parsing: .unconditional,
        help: "Query lengths: 'seq' (as long as the keys) or lengths, e.g. seq,1. 1 gives decode shapes.",
        transform: ArgumentValues.queryLengths)
    var queryLength: [QueryLength]?

    @Option(
        name: .customLong("naive-strategy"), parsing: .unconditional,
        help: ArgumentHelp(
            "naive's parallel strategy, a list of: auto (slices when B·H ≥ 2·threads, else blas), slices ((batch, "
                + "head) slices in parallel, single-threaded OpenBLAS), blas (multi-threaded OpenBLAS GEMMs)."),
        transform: ArgumentValues.naiveStrategies)
    var naiveStrategy: [NaiveAttention.Strategy?]?

    @Option(
        parsing: .unconditional, help: "Untimed warm-up calls per configuration.",
        transform: { try ArgumentValues.integer($0, minimum: 0) })
    var warmup: Int?

    @Option(
        parsing: .unconditional, help: "Minimum timed repetitions per configuration.",
        transform: { try ArgumentValues.integer($0, minimum: 1) })
    var repetitions: Int?

    @Option(
        name: .customLong("min-time"), parsing: .unconditional,
        help: "Minimum seconds of timed repetitions per configuration.", transform: { try ArgumentValues.seconds($0) })
    var minimumTime: Double?

    @Option(
        name: .customLong("max-repetitions"), parsing: .unconditional, help: "Upper bound on timed repetitions.",
        transform: { try ArgumentValues.integer($0, minimum: 1) })
    var maximumRepetitions: Int = 1000

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Worker processes per configuration, one after another; their repetitions are pooled and each "
                + "process's median recorded (process_medians_s), so compare can tell a change from per-process "
                + "effects. "
                + "Default: 3 for the ci preset, else 1."),
        transform: { try ArgumentValues.integer($0, minimum: 1) })
    var processes: Int?

    @Option(parsing: .unconditional, help: "Seed of the random inputs (recorded in every row).")
    var seed: UInt64 = 0x5EED

    @Option(
        name: .customLong("config-timeout"), parsing: .unconditional,
        help: "Seconds after which one configuration is stopped and recorded as 'timeout'.",
        transform: { try ArgumentValues.seconds($0, positive: true) })
    var configurationTimeout: Double = 900

    @Option(name: .shortAndLong, parsing: .unconditional, help: "CSV output file (default: stdout).")
    var output: String?

    @Flag(
        help: ArgumentHelp(
            "Continue a sweep into an existing --output CSV, skipping configurations already measured with the "
                + "same settings."))
    var resume = false

    @Flag(
        help: ArgumentHelp(
            "With --model: also time the layer's other matrix products (Q/K/V and output projections, the MLP; the "
                + "output head on decode rows) at each row's tokens, in the same worker (layer_* columns, "
                + "attention_share, token_time_s)."))
    var layer = false

    @Flag(
        name: .customLong("max-seq-len"),
        help: "Also find each variant's maximum sequence length under --memory-budget (adds rows of kind 'maxlen').")
    var maximumSequenceLength = false

    @OptionGroup var budget: BudgetOptions

    @OptionGroup var sharding: ShardOptions

    func validate() throws {
        if resume && output == nil { throw UserError("--resume: needs --output FILE (the CSV to continue)") }
        if maximumSequenceLength, let queryLength, !queryLength.contains(.sequence) {
            throw UserError(
                "--max-seq-len: needs 'seq' among --query-len (the searches run prefill shapes); add seq or use "
                    + "attnbench maxlen --query-len N")
        }
        let reps = repetitions ?? preset.grid.timing.minimumRepetitions
        if maximumRepetitions < reps {
            throw UserError(
                "--max-repetitions: invalid value '\(maximumRepetitions)'; expected at least --repetitions (\(reps))")
        }
    }

    func run() throws {
        let grid = try parsingInput { try makeGrid() }
        let plan = try parsingInput { try makePlan(grid) }
        if sharding.dryRun { return printPlan(plan) }
        let resumed = try resume ? ResumedSweep(path: output) : ResumedSweep()
        let writer = try CSVFileWriter(path: output, append: resumed.appends)
        defer { writer.close() }
        let runner = SweepRunner(
            grid: grid, context: ContextProbe.make(seed: seed), writer: writer,
            configurationTimeoutSeconds: configurationTimeout)
        printError("attnbench sweep: \(plan.summary), \(output.map { "writing \($0)" } ?? "CSV on stdout")")
        try runner.run(plan, searchSettings: budget.settings(fixedQueryLength: nil), skip: resumed.measuredKeys)
        try runner.exitStatus(command: "sweep")
    }

    /// The preset's grid with every flag given replaced.
    func makeGrid() throws(InputError) -> SweepGrid {
        var grid = preset.grid
        shape.apply(to: &grid)
        if let sequenceLength { grid.sequenceLengths = sequenceLength }
        if let queryLength { grid.queryLengths = queryLength }
        if let naiveStrategy { grid.naiveStrategies = naiveStrategy }
        grid.measuresLayer = layer
        grid.timing = RepetitionPolicy(
            warmupRepetitions: warmup ?? grid.timing.warmupRepetitions,
            minimumRepetitions: repetitions ?? grid.timing.minimumRepetitions,
            minimumSeconds: minimumTime ?? grid.timing.minimumSeconds, maximumRepetitions: maximumRepetitions)
        if let processes { grid.processes = processes }
        grid.seed = seed
        try grid.validate()
        return grid
    }

    /// The grid's points and, with --max-seq-len, its searches, for this shard.
    func makePlan(_ grid: SweepGrid) throws -> SweepPlan {
        let searches =
            maximumSequenceLength && grid.queryLengths.contains(.sequence)
            ? try grid.maximumLengthConfigurations(fixedQueryLength: nil) : []
        return SweepPlan(
            configurations: try grid.configurations(), searches: searches, timing: grid.timing,
            processes: grid.processes, shard: try sharding.resolve())
    }
}

/// Runs a parsing closure, turning InputError into a UserError.
func parsingInput<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as InputError { throw UserError(error.description) }
}

extension SweepPreset: ExpressibleByArgument {}
