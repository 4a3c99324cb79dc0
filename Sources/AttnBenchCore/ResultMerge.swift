/// Rows of several sweep CSVs in one: rows from different machines are all kept (the machine
/// columns tell them apart); the same configuration measured twice on one machine (same
/// configuration key, machine key and host name) is a conflict unless duplicates are kept.
public struct ResultMerge: Sendable {
    public struct Duplicate: Sendable, Equatable {
        public var configuration: String
        public var firstSource: String
        public var secondSource: String
    }

    public private(set) var rows: [ResultRow] = []
    public private(set) var duplicates: [Duplicate] = []
    private var seen: [String: String] = [:]
    /// Row indices per configuration and machine, in order of first appearance.
    private var groups: [(key: String, indices: [Int])] = []
    private var groupIndex: [String: Int] = [:]

    /// One row per configuration and machine, duplicates pooled (`ResultRow.pooling`).
    public var pooledRows: [ResultRow] {
        groups.compactMap { ResultRow.pooling($0.indices.map { rows[$0] }) }
    }

    public init() {}

    /// Adds the rows of one CSV, named `source` in messages.
    public mutating func add(_ newRows: [ResultRow], source: String) {
        for row in newRows {
            let key =
                row.configurationKey + "|" + ResultColumn.machineKey.map { row[$0] }.joined(separator: ";") + "|"
                + row[.hostname]
            if let first = seen[key] {
                duplicates.append(
                    Duplicate(configuration: ResultComparison.label(row), firstSource: first, secondSource: source))
            } else {
                seen[key] = source
            }
            if let group = groupIndex[key] {
                groups[group].indices.append(rows.count)
            } else {
                groupIndex[key] = groups.count
                groups.append((key, [rows.count]))
            }
            rows.append(row)
        }
    }
}
