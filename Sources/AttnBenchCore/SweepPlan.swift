/// What one run (or one shard of it) measures: the grid's timed configurations and its
/// maximum-length searches, each with its estimated seconds of work, in grid order.
public struct SweepPlan: Sendable {
    public enum Item: Sendable, Hashable {
        case time(SweepConfiguration)
        case search(MaxLengthConfiguration)

        public var kind: RowKind {
            if case .time = self { return .time }
            return .maxlen
        }
    }

    public let items: [(item: Item, estimatedSeconds: Double)]
    /// Items of the whole grid, before the shard was taken.
    public let gridCount: Int
    public let shard: ShardSelection?

    /// A search costs about the same whatever its setting: ten configurations' fixed cost.
    public static let searchSeconds = SweepShards.perConfigurationSeconds * 10

    /// Time and maxlen items are sharded together, each by its estimated work.
    public init(
        configurations: [SweepConfiguration], searches: [MaxLengthConfiguration], timing: RepetitionPolicy,
        processes: Int, shard: ShardSelection?
    ) {
        let all =
            configurations.map {
                (
                    item: Item.time($0),
                    estimatedSeconds: SweepShards.estimatedWorkSeconds($0, policy: timing) * Double(processes)
                )
            } + searches.map { (item: Item.search($0), estimatedSeconds: Self.searchSeconds) }
        if let shard {
            let parts = SweepShards.partition(work: all.map(\.estimatedSeconds), shardCount: shard.count)
            items = parts[shard.index - 1].map { all[$0] }
        } else {
            items = all
        }
        gridCount = all.count
        self.shard = shard
    }

    public var configurations: [SweepConfiguration] {
        items.compactMap { if case .time(let c) = $0.item { return c } else { return nil } }
    }

    public var searches: [MaxLengthConfiguration] {
        items.compactMap { if case .search(let s) = $0.item { return s } else { return nil } }
    }

    public var estimatedSeconds: Double { items.reduce(0) { $0 + $1.estimatedSeconds } }
}
