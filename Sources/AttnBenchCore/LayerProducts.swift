import AttentionKernels
import Dispatch

/// The matrix products of one transformer layer besides its attention, at a row's token count
/// (batch × query length), as `cblas_sgemm` calls at the model's shapes (`cblas_sgemv` at one
/// token): Q, K, V and output projections, then the MLP (`ModelLayer.projections`). Each
/// product is Y[T][out] = X[T][in] · Wᵀ with W stored [out][in], as PyTorch's `Linear` has
/// it; at one token per sequence (decode) they are matrix–vector products bound by reading the weights. Norms, rotary
/// embedding, the activation and the residual adds are not computed: they are element-wise and
/// small beside the products. Weights and activations are fp32, allocated once and filled
/// before anything is timed (uniform in ±√(3/in), so activations keep their size through the
/// chain of products and never turn subnormal).
public final class LayerProducts {
    public let projections: [ModelLayer.Projection]
    public let tokens: Int
    public let threads: Int
    /// One buffer per weight matrix, in `projections` order.
    private let weights: [UnsafeMutablePointer<Float>]
    /// The layer's input (and the output projection's and the MLP's outputs), [T][hidden].
    private let hidden: UnsafeMutablePointer<Float>
    /// Q, K, V, the gate (or plain up) outputs, [T][widest output].
    private let wide: UnsafeMutablePointer<Float>
    /// A gated MLP's up-projection output, [T][intermediate] (nil for a plain MLP).
    private let up: UnsafeMutablePointer<Float>?

    /// Floats per token of the three activation buffers: the hidden size, the widest output, and a
    /// gated MLP's up-projection output (0 for a plain MLP or a single product).
    static func activationWidths(_ projections: [ModelLayer.Projection]) -> (hidden: Int, wide: Int, up: Int) {
        let gated = projections.contains { $0.name == "gate" }
        return (
            projections.first?.inputs ?? 0, projections.map(\.outputs).max() ?? 0,
            gated ? projections.first { $0.name == "up" }?.outputs ?? 0 : 0
        )
    }

    /// Bytes the products hold: weights plus activations.
    public static func bytes(_ projections: [ModelLayer.Projection], tokens: Int) -> Int {
        let widths = activationWidths(projections)
        return weightBytes(projections) + 4 * tokens * (widths.hidden + widths.wide + widths.up)
    }

    /// FLOPs of one pass: 2 · T · in · out per product.
    public static func flops(_ projections: [ModelLayer.Projection], tokens: Int) -> Double {
        projections.reduce(0) { $0 + 2 * Double(tokens) * Double($1.inputs) * Double($1.outputs) }
    }

    /// Bytes of the weights alone.
    public static func weightBytes(_ projections: [ModelLayer.Projection]) -> Int {
        4 * projections.reduce(0) { $0 + $1.weightCount }
    }

    /// `projections` (which start with one whose input is the hidden size) at `tokens` tokens.
    public init(projections: [ModelLayer.Projection], tokens: Int, threads: Int, seed: UInt64) {
        precondition(!projections.isEmpty && tokens > 0, "layer products need matrices and tokens")
        self.projections = projections
        self.tokens = tokens
        self.threads = threads
        let widths = Self.activationWidths(projections)
        var generator = SplitMix64(seed: seed)
        func filled(_ count: Int, amplitude: Float) -> UnsafeMutablePointer<Float> {
            let p = AlignedMemory.allocateFloats(count)
            for i in 0..<count { p[i] = (Float(generator.nextUnitDouble()) * 2 - 1) * amplitude }
            return p
        }
        weights = projections.map { filled($0.weightCount, amplitude: (3 / Float($0.inputs)).squareRoot()) }
        hidden = filled(tokens * widths.hidden, amplitude: 1)
        wide = filled(tokens * widths.wide, amplitude: 1)
        up = widths.up > 0 ? filled(tokens * widths.up, amplitude: 1) : nil
    }

    deinit {
        weights.forEach(AlignedMemory.free)
        AlignedMemory.free(hidden)
        AlignedMemory.free(wide)
        if let up { AlignedMemory.free(up) }
    }

    /// One pass over every product, in the layer's order.
    public func run() {
        BLAS.withThreadCount(threads) {
            for (projection, weight) in zip(projections, weights) {
                // Where each product reads and writes: a layer's data flow, buffers reused.
                let (input, output): (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
                switch projection.name {
                case "o", "down": (input, output) = (wide, hidden)
                case "up" where up != nil: (input, output) = (hidden, up!)
                default: (input, output) = (hidden, wide)
                }
                if tokens == 1 {  // one token: y = W·x, each weight read once (sgemm would pack W first)
                    BLAS.sgemv(
                        .none, rows: projection.outputs, columns: projection.inputs, alpha: 1, a: weight,
                        lda: projection.inputs, x: input, beta: 0, y: output)
                } else {
                    BLAS.sgemm(
                        .none, .transpose, m: tokens, n: projection.outputs, k: projection.inputs, alpha: 1,
                        a: input, lda: projection.inputs, b: weight, ldb: projection.inputs, beta: 0, c: output,
                        ldc: projection.outputs)
                }
            }
        }
    }

    /// Wall time of each timed pass under `policy`, after its warm-up passes.
    public func measure(policy: RepetitionPolicy) -> [Double] {
        for _ in 0..<policy.warmupRepetitions { run() }
        var times: [Double] = []
        var elapsed = 0.0
        while policy.shouldContinue(completed: times.count, elapsedSeconds: elapsed) {
            let start = DispatchTime.now().uptimeNanoseconds
            run()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            times.append(seconds)
            elapsed += seconds
        }
        return times
    }
}
