/// Summary statistics of per-repetition wall times (seconds).
///
/// Quantiles use linear interpolation between order statistics (NumPy's default, "type 7").
/// A measurement is `noisy` when IQR/median exceeds `noiseThreshold` (10%), the
/// "system fluctuation" warning of torch.utils.benchmark.
public struct TimingStatistics: Sendable, Equatable {
    public static let noiseThreshold = 0.10

    public let samplesSeconds: [Double]
    public let minimumSeconds: Double
    public let medianSeconds: Double
    public let p90Seconds: Double
    public let maximumSeconds: Double
    public let meanSeconds: Double
    public let interquartileRangeSeconds: Double

    public init?(samplesSeconds: [Double]) {
        guard !samplesSeconds.isEmpty else { return nil }
        self.samplesSeconds = samplesSeconds
        let sorted = samplesSeconds.sorted()
        minimumSeconds = sorted.first!
        maximumSeconds = sorted.last!
        medianSeconds = Self.quantile(sorted, 0.5)
        p90Seconds = Self.quantile(sorted, 0.9)
        meanSeconds = sorted.reduce(0, +) / Double(sorted.count)
        interquartileRangeSeconds = Self.quantile(sorted, 0.75) - Self.quantile(sorted, 0.25)
    }

    /// IQR / median: the dispersion measure reported in the CSV.
    public var relativeInterquartileRange: Double {
        medianSeconds > 0 ? interquartileRangeSeconds / medianSeconds : 0
    }

    public var isNoisy: Bool { relativeInterquartileRange > Self.noiseThreshold }

    /// Median of unsorted values; nil for none.
    public static func median(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : quantile(values.sorted(), 0.5)
    }

    /// Quantile q ∈ [0, 1] of sorted values, linear interpolation.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty, "quantile of an empty sample")
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}

/// When to stop repeating: after `warmupRepetitions` untimed calls, repeat until at least
/// `minimumRepetitions` are timed *and* at least `minimumSeconds` have been spent timing, but
/// never more than `maximumRepetitions`.
public struct RepetitionPolicy: Sendable, Equatable, Codable {
    public var warmupRepetitions: Int
    public var minimumRepetitions: Int
    public var minimumSeconds: Double
    public var maximumRepetitions: Int

    public init(
        warmupRepetitions: Int = 1, minimumRepetitions: Int = 5, minimumSeconds: Double = 0.2,
        maximumRepetitions: Int = 1000
    ) {
        self.warmupRepetitions = warmupRepetitions
        self.minimumRepetitions = minimumRepetitions
        self.minimumSeconds = minimumSeconds
        self.maximumRepetitions = max(minimumRepetitions, maximumRepetitions)
    }

    public func shouldContinue(completed: Int, elapsedSeconds: Double) -> Bool {
        if completed >= maximumRepetitions { return false }
        return completed < minimumRepetitions || elapsedSeconds < minimumSeconds
    }
}
