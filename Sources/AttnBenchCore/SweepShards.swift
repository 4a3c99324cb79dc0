import AttentionKernels

/// One part of a sweep grid: shard `index` (1-based) of `count`.
public struct ShardSelection: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(InputError) {
        if count < 1 || index < 1 || index > count {
            throw InputError(source: "shard", value: "\(index)/\(count)", expected: "I/N with 1 ≤ I ≤ N, e.g. 1/4")
        }
        self.index = index
        self.count = count
    }

    /// "2/4" → shard 2 of 4.
    public init(parsing text: String) throws(InputError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0].trimmingSpaces()), let count = Int(parts[1].trimmingSpaces())
        else {
            throw InputError(source: "shard", value: text, expected: "I/N with 1 ≤ I ≤ N, e.g. 1/4")
        }
        try self.init(index: index, count: count)
    }
}

/// A deterministic partition of a grid into shards of about equal estimated work.
///
/// Work is estimated in seconds from each configuration's own counts, not its position: a
/// fixed cost per configuration (a worker process, warm-up, the ceiling samples), plus the
/// timed repetitions, each taking the larger of its FLOPs at `assumedGigaflops` and its K/V
/// bytes at `assumedGigabytesPerSecond`, and at least the policy's minimum time. The grid is
/// split by the longest-processing-time rule: configurations in decreasing order of work
/// (ties by grid position), each to the shard with the least work so far (ties to the lowest
/// shard). Every configuration lands in exactly one shard, and each shard keeps grid order.
public enum SweepShards {
    public static let perConfigurationSeconds = 0.5
    public static let assumedGigaflops = 50.0
    public static let assumedGigabytesPerSecond = 10.0

    public static func estimatedWorkSeconds(_ c: SweepConfiguration, policy: RepetitionPolicy) -> Double {
        guard let problem = try? c.problem() else { return perConfigurationSeconds }
        let compute = AttentionFLOPs.useful(problem) / (assumedGigaflops * 1e9)
        let memory = AttentionTraffic.keyValueBytes(problem) / (assumedGigabytesPerSecond * 1e9)
        let call = max(compute, memory)
        let repetitions = Double(policy.warmupRepetitions + policy.minimumRepetitions) * call
        return perConfigurationSeconds + max(repetitions, policy.minimumSeconds)
    }

    /// Indices of `work` assigned to each of `shardCount` shards, each list ascending.
    public static func partition(work: [Double], shardCount: Int) -> [[Int]] {
        precondition(shardCount >= 1, "shard count \(shardCount) must be at least 1")
        let order = work.indices.sorted { work[$0] != work[$1] ? work[$0] > work[$1] : $0 < $1 }
        var totals = [Double](repeating: 0, count: shardCount)
        var shards = [[Int]](repeating: [], count: shardCount)
        for i in order {
            var target = 0
            for s in 1..<shardCount where totals[s] < totals[target] { target = s }
            totals[target] += work[i]
            shards[target].append(i)
        }
        return shards.map { $0.sorted() }
    }
}
