import ArgumentParser
import AttnBenchCore
import Foundation

/// `--shard I/N`, or Slurm's job-array variables when it is not given.
struct ShardOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Run only shard I of N of the grid (1-based), balanced by estimated work; the N shards together hold "
                + "every configuration once. Default: from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (and "
                + "SLURM_ARRAY_TASK_MIN) when set, else the whole grid.")
    )
    var shard: String?

    @Flag(
        name: .customLong("dry-run"),
        help: ArgumentHelp(
            "Print the configurations this run (or shard) would measure, with their estimated seconds, and exit "
                + "without measuring.")
    )
    var dryRun = false

    /// The selected shard, or nil for the whole grid.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSelection? {
        if let shard {
            do { return try ShardSelection(parsing: shard) } catch {
                throw UserError("--shard: invalid value '\(shard)'; expected I/N with 1 ≤ I ≤ N, e.g. 1/4")
            }
        }
        guard let idText = environment["SLURM_ARRAY_TASK_ID"], let countText = environment["SLURM_ARRAY_TASK_COUNT"]
        else {
            return nil
        }
        let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
        guard let id = Int(idText), let count = Int(countText),
            let selection = try? ShardSelection(index: id - minimum + 1, count: count)
        else {
            throw UserError(
                "SLURM_ARRAY_TASK_ID: invalid value '\(idText)' with SLURM_ARRAY_TASK_COUNT '\(countText)' and "
                    + "SLURM_ARRAY_TASK_MIN '\(minimum)'; expected a task of a contiguous array, or pass --shard I/N"
            )
        }
        return selection
    }
}

/// What a dry run prints: one line per configuration or search, then the total.
func printPlan(_ plan: SweepPlan) {
    var lines = ["kind\testimated_s\tconfiguration"]
    for (item, seconds) in plan.items {
        let label: String
        switch item {
        case .time(let configuration): label = configuration.progressLabel
        case .search(let search): label = "maxlen " + search.progressLabel
        }
        lines.append("\(item.kind.rawValue)\t\(String(format: "%.2f", seconds))\t\(label)")
    }
    FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    let shard = plan.shard.map { " in shard \($0.index)/\($0.count)" } ?? ""
    printError(
        "attnbench: \(plan.items.count) configurations\(shard), about \(Int(plan.estimatedSeconds.rounded())) s of "
            + "estimated work (not measured: --dry-run)")
}
