import ArgumentParser
import AttentionKernels

/// Named sweep grids. Explicit flags override any field.
public enum PresetName: String, ExpressibleByArgument, CaseIterable, Sendable {
    case `default`, quick, ci, full, compute
}

/// Every preset runs at least 5 timed repetitions per configuration: with the exact
/// Mann–Whitney test `compare` uses, 5 against 5 can reach p = 0.008, so a real slowdown
/// between two runs of a preset is called a regression (3 against 3 cannot go below 0.1).
public struct Preset: Sendable {
    var variants: [AttentionVariant]? = nil
    var seqLen = "512,1k,2k,4k"
    var queryLen = "seq"
    var batch = "1"
    var heads = "8"
    var headDimension = "64"
    var causal: CausalChoice = .off
    var threads: String? = nil
    var warmup = 1
    public internal(set) var minimumRepetitions = 5
    var minimumSeconds = 0.2
    /// Worker processes per configuration.
    var processes = 1

    public static func named(_ name: PresetName) -> Preset {
        switch name {
        case .default:
            return Preset()
        case .quick:
            // Under a minute: every variant, causal on and off, and a decode shape.
            return Preset(seqLen: "256,1k", queryLen: "seq,1", causal: .both, warmup: 1, minimumRepetitions: 5,
                          minimumSeconds: 0.02)
        case .ci:
            // A gate: three worker processes per configuration, so that compare sees how much a
            // configuration moves between processes of the same build.
            return Preset(seqLen: "512,1k,2k", queryLen: "seq,1", causal: .both, warmup: 1, minimumRepetitions: 9,
                          minimumSeconds: 0.1, processes: 3)
        case .full:
            return Preset(seqLen: "512,1k,2k,4k,8k", queryLen: "seq,1", causal: .both,
                          threads: "1,2", warmup: 1, minimumRepetitions: 5, minimumSeconds: 0.1)
        case .compute:
            // The compute-bound shapes: flash2 against naive and the ceilings, causal and not,
            // at head_dim 64 and 128, on 1 and 2 threads.
            return Preset(variants: [.naive, .flash2], seqLen: "2k,4k", headDimension: "64,128", causal: .both,
                          threads: "1,2", warmup: 1, minimumRepetitions: 9, minimumSeconds: 0)
        }
    }
}
