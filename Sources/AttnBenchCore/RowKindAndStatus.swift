/// What a row records (`kind`): a timed configuration, a maximum-length search, or a timed call
/// of a peer implementation (another runtime's attention, measured by scripts/peers in the same
/// columns, its name in `variant`).
public enum RowKind: String, Sendable, CaseIterable {
    case time
    case maxlen
    case peer

    /// Whether the row carries timed repetitions (compare tests their times).
    public var isTimed: Bool { self != .maxlen }
}

/// How a configuration ended (`status`). Only `ok` rows carry a trustworthy measurement.
public enum RowStatus: String, Sendable, CaseIterable {
    /// Measured, and the output matched the float64 reference.
    case ok
    /// Measured, but the output was wrong or not finite.
    case incorrect
    /// Did not fit in memory (or was not started because it could not).
    case oom
    /// Stopped after the configuration's time limit.
    case timeout
    /// The worker process died.
    case crashed
    /// The configuration could not run (an invalid shape, a refused limit).
    case error
}

extension ResultRow {
    public var kind: RowKind? {
        get { RowKind(rawValue: self[.kind]) }
        set { self[.kind] = newValue?.rawValue ?? "" }
    }

    public var status: RowStatus? {
        get { RowStatus(rawValue: self[.status]) }
        set { self[.status] = newValue?.rawValue ?? "" }
    }
}
