import AttentionKernels

/// Named sweep grids. Flags given on the command line replace their axes.
///
/// Every preset runs enough timed repetitions per configuration for `compare`'s exact
/// Mann–Whitney test to call a real slowdown between two runs a regression: 5 against 5 can
/// reach p = 0.008 (3 against 3 cannot go below 0.1), and the quick and ci presets run more,
/// after more warm-up, so that the slower first repetitions of short rows do not hide a change.
public enum SweepPreset: String, CaseIterable, Sendable {
    case `default`, quick, ci, full, compute

    public var grid: SweepGrid {
        let cores = [SweepGrid.processorCount]
        switch self {
        case .default:
            return SweepGrid(
                threads: cores,
                timing: RepetitionPolicy(
                    warmupRepetitions: 1, minimumRepetitions: 5,
                    minimumSeconds: 0.2))
        case .quick:
            // About a minute: every variant, causal on and off, and a decode shape.
            return SweepGrid(
                sequenceLengths: [256, 1024], queryLengths: [.sequence, .fixed(1)],
                causal: .model(fallback: [false, true]), threads: cores,
                timing: RepetitionPolicy(warmupRepetitions: 3, minimumRepetitions: 20, minimumSeconds: 0.2))
        case .ci:
            // A gate: three worker processes per configuration, so that compare sees how much a
            // configuration moves between processes of the same build.
            return SweepGrid(
                sequenceLengths: [512, 1024, 2048], queryLengths: [.sequence, .fixed(1)],
                causal: .model(fallback: [false, true]), threads: cores,
                timing: RepetitionPolicy(warmupRepetitions: 3, minimumRepetitions: 9, minimumSeconds: 0.1), processes: 3
            )
        case .full:
            return SweepGrid(
                sequenceLengths: [512, 1024, 2048, 4096, 8192], queryLengths: [.sequence, .fixed(1)],
                causal: .model(fallback: [false, true]), threads: [1, 2],
                timing: RepetitionPolicy(warmupRepetitions: 1, minimumRepetitions: 5, minimumSeconds: 0.1))
        case .compute:
            // The compute-bound shapes: flash2 against naive and the ceilings, causal and not,
            // at head_dim 64 and 128, on 1 and 2 threads.
            return SweepGrid(
                variants: [.naive, .flash2], sequenceLengths: [2048, 4096],
                headDimensions: .model(fallback: [64, 128]),
                causal: .model(fallback: [false, true]), threads: [1, 2],
                timing: RepetitionPolicy(warmupRepetitions: 1, minimumRepetitions: 9, minimumSeconds: 0))
        }
    }
}

extension SweepGrid {
    /// Processors this process may run on (at least 1): the default thread count.
    public static var processorCount: Int { max(1, BLAS.processorCount) }
}
