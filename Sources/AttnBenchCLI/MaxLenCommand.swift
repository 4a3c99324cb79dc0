import ArgumentParser
import AttentionKernels
import AttnBenchCore
import Foundation

struct MaxLenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maxlen",
        abstract: "Find the longest sequence each variant runs to completion under a memory budget.",
        discussion: """
            For each variant and shape, lengths are doubled from --start-len until an attempt fails, then \
            bisected. Every attempt is a child process whose address space is capped (RLIMIT_AS, set after \
            OpenBLAS has initialised) at its start-up size plus --memory-budget, and which is killed after \
            --time-budget seconds. max_seq_len_bound says whether memory or time stopped the search.
            """)

    @OptionGroup var shape: ShapeOptions
    @OptionGroup var budget: BudgetOptions

    @Option(name: .customLong("query-len"), parsing: .unconditional, help: "'seq' (queries as long as the keys) or a fixed query length such as 1 (decode).")
    var queryLength: String = "seq"

    @Option(parsing: .unconditional, help: "Seed of the random inputs.")
    var seed: UInt64 = 0x5EED

    @Option(name: .shortAndLong, parsing: .unconditional, help: "CSV output file (default: stdout).")
    var output: String?

    @OptionGroup var sharding: ShardOptions

    func run() throws {
        let resolved = try ResolvedShape(shape, defaults: Preset(heads: "1"))
        let queryChoice = try SweepCommand.parseQueryLengths(queryLength)
        guard queryChoice.count == 1 else { throw UserError("--query-len: invalid value '\(queryLength)'; expected one value ('seq' or an integer)") }
        let settings = try budget.resolve(fixedQueryLength: queryChoice[0])
        // Blocks for `auto` are chosen at a nominal length; the search sets the lengths itself.
        let nominal = 4096
        if case .explicit = resolved.keyLengths {
            throw UserError("--key-lengths: maxlen varies the sequence length, so fixed lengths cannot apply; use 'full' or 'ragged'")
        }
        let shard = try sharding.resolve()
        let grid = try resolved.configurations(shapes: [(query: queryChoice[0] ?? nominal, key: nominal)], seed: seed).map {
            $0.with(queryLength: 0, keyLength: 0)
        }
        // Every search costs about the same: the shards get equal numbers of them.
        let items = grid.map { (kind: RowKind.maxlen, configuration: $0, seconds: SweepShards.perConfigurationSeconds * 10) }
        let selected = ShardOptions.select(items, work: \.seconds, shard: shard)
        if sharding.dryRun { return printPlan(selected, shard: shard) }
        let configurations = selected.map(\.configuration)
        let writer = try CSVFileWriter(path: output, append: false)
        defer { writer.close() }
        let runner = SweepRunner(policy: RepetitionPolicy(), seed: seed, context: ContextProbe.make(seed: seed),
                                 writer: writer, configurationTimeoutSeconds: nil)
        printError("attnbench maxlen: \(configurations.count) searches, memory budget \(settings.budget.memoryBytes) bytes, time budget \(settings.budget.timeSeconds) s per attempt")
        try runner.maximumLengths(configurations, settings: settings, skip: [], progress: Progress(total: configurations.count))
        if runner.failures > 0 {
            printError("attnbench maxlen: \(runner.failures) search(es) ended in an error; see the status and message columns (exit status \(ExitStatus.unfinishedRows.rawValue))")
            throw ExitStatus.unfinishedRows.exitCode
        }
    }
}
