import AttentionKernels

/// Numbers both attnbench and its Python scripts use. This is their one home:
/// schema/constants.json is written from `json` and a test keeps the two equal, so the plotting
/// and peer scripts read them instead of repeating them.
public enum AttnBenchConstants {
    /// Query lengths up to this are decode shapes (`DecodeShape`).
    public static let decodeMaximumQueryLength = DecodeShape.maximumQueryLength

    /// Rows whose error against the float64 reference exceeds this are `incorrect`
    /// (unit-scale inputs; fp32 kernels land near 1e-6). This is the fp32 tolerance; a row's
    /// tolerance follows its output type (`CorrectnessTolerance`, where it is derived).
    public static let correctnessTolerance = CorrectnessTolerance.float32

    /// FLOPs per visible (query, key) pair and head-dimension element: 2 for Q·Kᵀ, 2 for P·V.
    public static let flopsPerVisibleScore = 4

    /// schema/constants.json: keys sorted, one per line.
    public static var json: String {
        """
        {
          "correctness_tolerance": \(correctnessTolerance),
          "correctness_tolerance_bf16": \(CorrectnessTolerance.perUnitValue(outputType: .bf16)),
          "correctness_tolerance_f16": \(CorrectnessTolerance.perUnitValue(outputType: .f16)),
          "decode_max_query_length": \(decodeMaximumQueryLength),
          "flops_per_visible_score": \(flopsPerVisibleScore)
        }

        """
    }
}
