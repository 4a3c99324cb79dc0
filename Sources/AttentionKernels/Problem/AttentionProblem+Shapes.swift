extension AttentionProblem {
    /// Checks that the tensors have the shapes and element types this problem needs.
    public func checkShapes(
        query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor
    ) throws(KernelConfigurationError) {
        let q = [batch, heads, queryLength, headDimension]
        let kv = [batch, keyValueHeads, keyLength, headDimension]
        if query.shape != q { throw .shapeMismatch(tensor: "query", expected: q, actual: query.shape) }
        if key.shape != kv { throw .shapeMismatch(tensor: "key", expected: kv, actual: key.shape) }
        if value.shape != kv { throw .shapeMismatch(tensor: "value", expected: kv, actual: value.shape) }
        if output.shape != q { throw .shapeMismatch(tensor: "output", expected: q, actual: output.shape) }
        for (name, tensor, type) in [
            ("query", query, elementType), ("key", key, keyValueElementType), ("value", value, keyValueElementType),
            ("output", output, elementType),
        ] where tensor.elementType != type {
            throw .elementTypeMismatch(tensor: name, expected: type, actual: tensor.elementType)
        }
    }

    @inline(__always)
    func preconditionShapes(
        query: AttentionTensor, key: AttentionTensor, value: AttentionTensor, output: AttentionTensor
    ) {
        do { try checkShapes(query: query, key: key, value: value, output: output) } catch {
            preconditionFailure("attention kernel called with mismatched tensors: \(error)")
        }
    }
}
