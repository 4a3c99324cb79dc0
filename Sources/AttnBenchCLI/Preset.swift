import ArgumentParser
import AttentionKernels

/// Named sweep grids. Explicit flags override any field.
enum PresetName: String, ExpressibleByArgument, CaseIterable {
    case `default`, quick, ci, full, targets
}

struct Preset {
    var variants: [AttentionVariant]? = nil
    var seqLen = "512,1k,2k,4k"
    var queryLen = "seq"
    var batch = "1"
    var heads = "8"
    var headDimension = "64"
    var causal: CausalChoice = .off
    var threads: String? = nil
    var warmup = 1
    var minimumRepetitions = 5
    var minimumSeconds = 0.2

    static func named(_ name: PresetName) -> Preset {
        switch name {
        case .default:
            return Preset()
        case .quick:
            // Under a minute: every variant, causal on and off, and a decode shape.
            return Preset(seqLen: "256,1k", queryLen: "seq,1", causal: .both, warmup: 1, minimumRepetitions: 3,
                          minimumSeconds: 0.02)
        case .ci:
            return Preset(seqLen: "512,1k,2k", queryLen: "seq,1", causal: .both, warmup: 1, minimumRepetitions: 9,
                          minimumSeconds: 0.1)
        case .full:
            return Preset(seqLen: "512,1k,2k,4k,8k", queryLen: "seq,1", causal: .both,
                          threads: "1,2", warmup: 1, minimumRepetitions: 5, minimumSeconds: 0.1)
        case .targets:
            // The performance targets of the compute-bound shapes (README, "Performance against
            // the targets"): flash2 against its sgemm roofline and naive, causal and not, at 1
            // and 2 threads. The decode targets have their own command there.
            return Preset(variants: [.naive, .flash2], seqLen: "2k,4k", headDimension: "64,128", causal: .both,
                          threads: "1,2", warmup: 1, minimumRepetitions: 9, minimumSeconds: 0)
        }
    }
}
