extension AttentionVariant {
    /// Builds the kernel for this variant. Blocked variants need `blockSizes`; naive takes
    /// `naiveStrategy` (nil: its automatic rule) and no blocks. Every kernel runs every element
    /// type: the prefill BLAS-composed variants through `WideningAttention`, decode and fused
    /// natively (decode widens K/V block by block).
    public func makeKernel(
        blockSizes: BlockSizes?, naiveStrategy: NaiveAttention.Strategy? = nil
    ) throws(KernelConfigurationError) -> any AttentionKernel {
        switch (self, blockSizes) {
        case (.naive, nil): return WideningAttention(NaiveAttention(strategy: naiveStrategy))
        case (.chunked, let sizes?): return WideningAttention(ChunkedAttention(blockSizes: sizes))
        case (.flash1, let sizes?): return WideningAttention(Flash1Attention(blockSizes: sizes))
        case (.flash2, let sizes?): return WideningAttention(Flash2Attention(blockSizes: sizes))
        case (.decode, let sizes?): return FlashDecoding(blockSizes: sizes)
        case (.fused, let sizes?): return FusedAttention(blockSizes: sizes)
        default: throw .blockSizesMismatch(variant: self, given: blockSizes != nil)
        }
    }
}
