/// One attention algorithm with its block sizes fixed at init. `run` computes
/// O = softmax(scale·QKᵀ + mask)·V for `problem` into `output`, using `threadCount` workers.
public protocol AttentionKernel: Sendable {
    var variant: AttentionVariant { get }
    /// Block sizes, or nil for a kernel that does not block (naive).
    var blockSizes: BlockSizes? { get }
    func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int)
    /// Bytes the algorithm needs beyond its inputs and output, from its own formula.
    func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int
    /// The block sizes the kernel runs on `problem` (its own, clipped to the sequence and
    /// rounded as its tiles need), or nil for a kernel that does not block.
    func blockSizesRun(on problem: AttentionProblem) -> BlockSizes?
    /// The register tiles and instruction set the kernel chose for `problem` on this CPU, for
    /// the row's `kernel_tile`; nil for a kernel whose inner loops are BLAS calls.
    func tileDescription(_ problem: AttentionProblem, threadCount: Int) -> String?
    /// Whether the kernel's products on `problem` take bf16 operands (P rounded to bf16 before
    /// P·V), which widens its `CorrectnessTolerance` and holds it to the bf16 dot-product peak.
    func productsInBFloat16(_ problem: AttentionProblem) -> Bool
}

extension AttentionKernel {
    public func tileDescription(_ problem: AttentionProblem, threadCount: Int) -> String? { nil }

    public func productsInBFloat16(_ problem: AttentionProblem) -> Bool { false }

    public func blockSizesRun(on problem: AttentionProblem) -> BlockSizes? {
        guard let sizes = blockSizes?.clipped(to: problem) else { return nil }
        return try? BlockSizes(query: sizes.query, key: sizes.key)
    }
}
