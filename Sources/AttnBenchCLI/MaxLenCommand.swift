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

    @Option(
        name: .customLong("query-len"), parsing: .unconditional,
        help: "'seq' (queries as long as the keys) or a fixed query length such as 1 (decode).",
        transform: MaxLenCommand.queryLength)
    var queryLength: QueryLength = .sequence

    @Option(parsing: .unconditional, help: "Seed of the random inputs.")
    var seed: UInt64 = 0x5EED

    @Option(name: .shortAndLong, parsing: .unconditional, help: "CSV output file (default: stdout).")
    var output: String?

    @OptionGroup var sharding: ShardOptions

    func run() throws {
        let searches = try parsingInput {
            try makeGrid().maximumLengthConfigurations(fixedQueryLength: fixedQueryLength)
        }
        let plan = SweepPlan(
            configurations: [], searches: searches, timing: RepetitionPolicy(), processes: 1,
            shard: try sharding.resolve())
        if sharding.dryRun { return printPlan(plan) }
        let writer = try CSVFileWriter(path: output, append: false)
        defer { writer.close() }
        let runner = SweepRunner(
            policy: RepetitionPolicy(), seed: seed, context: ContextProbe.make(seed: seed), writer: writer,
            configurationTimeoutSeconds: nil)
        let settings = budget.settings(fixedQueryLength: fixedQueryLength)
        printError(
            "attnbench maxlen: \(plan.summary), memory budget \(settings.budget.memoryBytes) bytes, time budget "
                + "\(settings.budget.timeSeconds) s per attempt")
        try runner.run(plan, searchSettings: settings, skip: [])
        try runner.exitStatus(command: "maxlen")
    }

    var fixedQueryLength: Int? {
        if case .fixed(let length) = queryLength { return length }
        return nil
    }

    /// The default grid (one head unless given) with every flag given replaced.
    func makeGrid() throws(InputError) -> SweepGrid {
        var grid = SweepGrid(heads: .model(fallback: [1]), threads: [SweepGrid.processorCount], seed: seed)
        shape.apply(to: &grid)
        try grid.validate()
        return grid
    }

    static func queryLength(_ text: String) throws -> QueryLength {
        let lengths = try ArgumentValues.queryLengths(text)
        guard lengths.count == 1 else {
            throw ArgumentValueError(expected: "one value: 'seq' or a query length such as 1")
        }
        return lengths[0]
    }
}
