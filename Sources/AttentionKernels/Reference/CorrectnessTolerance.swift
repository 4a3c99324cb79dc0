/// How far a kernel's output may be from the float64 reference, by the type the output is
/// stored in. The sweep's `incorrect` status, `eval` and the tests all take it from here.
///
/// The reference is computed on the rounded inputs the kernel reads (bf16, fp16 or q8_0
/// values widened exactly), so what is left is the kernel's own arithmetic:
/// - fp32 accumulation of scores, exponentials and P·V: `float32` (unit-scale inputs over
///   thousands of keys land near 1e-6; the bound leaves room for long rows);
/// - the output rounded once to its type: |O| ≤ max |V|, so at most one unit roundoff u of the
///   type, per unit of max |V|;
/// - where P enters the P·V products in bf16, P rounded before the product: a convex
///   combination of values each off by at most u(bf16), once in the numerator and once in the
///   normaliser, 2·u(bf16).
///
/// So the tolerance is (1e-4 + u(output) + [2·u(bf16)]) · max(1, max |V|).
public enum CorrectnessTolerance {
    /// fp32 outputs of unit-scale inputs.
    public static let float32 = 1e-4

    /// The tolerance per unit of max |V| (the sweep's inputs lie in [-1, 1)).
    public static func perUnitValue(outputType: ElementType, productsInBFloat16: Bool = false) -> Double {
        let output = outputType == .f32 ? 0 : outputType.unitRoundoff
        return float32 + output + (productsInBFloat16 ? 2 * ElementType.bf16.unitRoundoff : 0)
    }

    /// The tolerance of `problem` whose largest |V| is `valueMagnitude`.
    public static func of(
        _ problem: AttentionProblem, valueMagnitude: Double = 1, productsInBFloat16: Bool = false
    ) -> Double {
        perUnitValue(outputType: problem.elementType, productsInBFloat16: productsInBFloat16)
            * max(1, valueMagnitude)
    }

    /// The tolerance of `kernel` on `problem`: with the bf16 term where its products are bf16.
    public static func of(
        _ kernel: any AttentionKernel, on problem: AttentionProblem, valueMagnitude: Double = 1
    ) -> Double {
        of(problem, valueMagnitude: valueMagnitude, productsInBFloat16: kernel.productsInBFloat16(problem))
    }
}
