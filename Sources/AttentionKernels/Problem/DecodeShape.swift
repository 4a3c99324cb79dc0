/// Decode shapes: a few query rows against a long key sequence, where K and V are streamed once
/// and memory bandwidth is the bound.
public enum DecodeShape {
    /// Query lengths up to this are decode shapes: `decode` applies, fused takes its split-KV
    /// path, and the sweep samples memory bandwidth as the roofline.
    public static let maximumQueryLength = 16

    /// Whether `problem` is a decode shape.
    public static func contains(_ problem: AttentionProblem) -> Bool { problem.queryLength <= maximumQueryLength }
}
