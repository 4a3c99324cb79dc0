/// The outcome of running one sequence length under the caps.
public enum AttemptOutcome: Sendable, Equatable {
    case fits(seconds: Double)
    case exceedsMemory
    case exceedsTime
    case failed(String)

    public var fits: Bool { if case .fits = self { return true } else { return false } }
}

/// What limited the maximum sequence length.
public enum LengthBound: String, Sendable, Codable {
    case memory
    case time
    /// The search reached its upper limit without failing.
    case limit
    /// An attempt failed for another reason (a kernel error).
    case error
}

public struct MaxLengthResult: Sendable, Equatable {
    /// The longest length that ran to completion (0 if none did).
    public var maxLength: Int
    /// The shortest length that did not fit (nil when bound is .limit).
    public var firstFailingLength: Int?
    public var bound: LengthBound
    public var attempts: [(length: Int, outcome: AttemptOutcome)]

    /// The bracket left when the search stopped: the true limit is in maxLength..<firstFailing.
    public var resolution: Int { (firstFailingLength ?? maxLength) - maxLength }

    public static func == (a: MaxLengthResult, b: MaxLengthResult) -> Bool {
        a.maxLength == b.maxLength && a.firstFailingLength == b.firstFailingLength && a.bound == b.bound
            && a.attempts.map(\.length) == b.attempts.map(\.length)
    }
}

/// Doubling, then bisection: from `start`, double while the attempt fits; then bisect between
/// the longest length that fitted and the shortest that did not, until the bracket is at most
/// max(`minimumStep`, `relativeResolution` · lower end). Lengths are rounded to multiples of
/// `minimumStep`. The attempt closure does the real work (a capped child process).
public struct MaxLengthSearch: Sendable {
    public var start: Int
    public var relativeResolution: Double
    public var minimumStep: Int
    public var upperLimit: Int

    public init(
        start: Int = 256, relativeResolution: Double = 1.0 / 32, minimumStep: Int = 16, upperLimit: Int = 1 << 22
    ) {
        self.start = max(1, start)
        self.relativeResolution = relativeResolution
        self.minimumStep = max(1, minimumStep)
        self.upperLimit = upperLimit
    }

    public func run(_ attempt: (Int) -> AttemptOutcome) -> MaxLengthResult {
        var attempts: [(Int, AttemptOutcome)] = []
        var low = 0
        var high: Int? = nil
        var highOutcome: AttemptOutcome = .exceedsMemory
        var length = start
        while true {
            let outcome = attempt(length)
            attempts.append((length, outcome))
            if outcome.fits {
                low = length
                if length >= upperLimit { break }
                length = min(upperLimit, length * 2)
            } else {
                high = length
                highOutcome = outcome
                break
            }
        }
        guard var upper = high else {
            return MaxLengthResult(maxLength: low, firstFailingLength: nil, bound: .limit, attempts: attempts)
        }
        // Below 16 steps of `minimumStep`, bisect to single tokens: a tiny budget still gets an exact answer.
        let step = upper > 16 * minimumStep ? minimumStep : 1
        while upper - low > max(step, Int(Double(low) * relativeResolution)) {
            var middle = (low + upper) / 2
            middle = max(low + 1, middle / step * step)
            if middle <= low || middle >= upper { middle = (low + upper) / 2 }
            if middle <= low || middle >= upper { break }
            let outcome = attempt(middle)
            attempts.append((middle, outcome))
            if outcome.fits {
                low = middle
            } else {
                upper = middle
                highOutcome = outcome
            }
        }
        let bound: LengthBound
        switch highOutcome {
        case .exceedsMemory: bound = .memory
        case .exceedsTime: bound = .time
        case .failed: bound = .error
        case .fits: bound = .limit
        }
        return MaxLengthResult(maxLength: low, firstFailingLength: upper, bound: bound, attempts: attempts)
    }
}
