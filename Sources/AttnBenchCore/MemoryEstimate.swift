import AttentionKernels

extension SweepConfiguration {
    /// Every row samples the sgemm roofline; decode shapes (query length ≤ 16, where K and V
    /// are streamed once and memory bandwidth is the bound) also sample the memory-read one.
    public var rooflineSampling: RooflineSampling {
        RooflineSampling(memoryRead: isDecodeShape)
    }

    /// Bytes a measurement of this configuration allocates: inputs and output as stored, the kernel's
    /// workspace, the roofline probe and, with `--layer`, the layer's weights and activations.
    /// nil when the shape is invalid; Int.max when the count overflows (certainly too big).
    public var estimatedBytes: Int? {
        guard let problem = try? problem(), let kernel = try? kernel() else { return nil }
        let tensorRow = Double(problem.elementType.rowBytes(problem.headDimension))
        let cacheRow = Double(problem.keyValueElementType.rowBytes(problem.headDimension))
        let tensors =
            Double(problem.batch)
            * (tensorRow * Double(2 * problem.heads * queryLength)
                + cacheRow * Double(2 * problem.keyValueHeads * keyLength))
        let probe = Double(
            RooflineProbe.bytes(headDimension: problem.headDimension, memoryRead: rooflineSampling.memoryRead))
        let layer = Double(layerWork?.bytes ?? 0)
        let total = tensors + Double(kernel.workspaceBytes(problem, threadCount: setting.threads)) + probe + layer
        return total < 9e18 ? Int(total) : Int.max
    }
}
