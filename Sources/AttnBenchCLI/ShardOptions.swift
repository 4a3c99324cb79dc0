import ArgumentParser
import AttnBenchCore
import Foundation

/// `--shard I/N`, or Slurm's job-array variables when it is not given.
struct ShardOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Run only shard I of N of the grid (1-based), balanced by estimated work; the N shards together hold every configuration once. Default: from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_MIN) when set, else the whole grid.")
    var shard: String?

    @Flag(name: .customLong("dry-run"), help: "Print the configurations this run (or shard) would measure, with their estimated seconds, and exit without measuring.")
    var dryRun = false

    /// The selected shard, or nil for the whole grid.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSelection? {
        if let shard {
            do { return try ShardSelection(parsing: shard) } catch {
                throw UserError("--shard: invalid value '\(shard)'; expected I/N with 1 ≤ I ≤ N, e.g. 1/4")
            }
        }
        guard let idText = environment["SLURM_ARRAY_TASK_ID"], let countText = environment["SLURM_ARRAY_TASK_COUNT"] else {
            return nil
        }
        let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
        guard let id = Int(idText), let count = Int(countText), let selection = try? ShardSelection(index: id - minimum + 1, count: count) else {
            throw UserError("SLURM_ARRAY_TASK_ID: invalid value '\(idText)' with SLURM_ARRAY_TASK_COUNT '\(countText)' and SLURM_ARRAY_TASK_MIN '\(minimum)'; expected a task of a contiguous array, or pass --shard I/N")
        }
        return selection
    }

    /// The items of `shard` (all of them without one), in grid order.
    static func select<T>(_ items: [T], work: (T) -> Double, shard: ShardSelection?) -> [T] {
        guard let shard else { return items }
        let parts = SweepShards.partition(work: items.map(work), shardCount: shard.count)
        return parts[shard.index - 1].map { items[$0] }
    }
}

/// What a dry run prints: one line per configuration, then the total.
func printPlan(_ items: [(kind: RowKind, configuration: SweepConfiguration, seconds: Double)], shard: ShardSelection?) {
    var lines = ["kind\testimated_s\tconfiguration"]
    for item in items {
        let label = item.kind == .maxlen ? "maxlen " + item.configuration.progressLabel : item.configuration.progressLabel
        lines.append("\(item.kind.rawValue)\t\(String(format: "%.2f", item.seconds))\t\(label)")
    }
    FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    let total = items.reduce(0) { $0 + $1.seconds }
    printError("attnbench: \(items.count) configurations\(shard.map { " in shard \($0.index)/\($0.count)" } ?? ""), about \(Int(total.rounded())) s of estimated work (not measured: --dry-run)")
}
