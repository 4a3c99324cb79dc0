import AttentionKernels
import XCTest

/// Tolerances, named and documented once.
enum Tolerance {
    /// Unit-scale inputs (uniform in [-1, 1)): fp32 accumulation over ≤ 257 keys and d ≤ 128
    /// stays near 1e-6; 1e-5 absolute is the bound `eval` is checked to against NumPy.
    static let unitScale = 1e-5
    /// Scores of magnitude ~1e4: fp32 rounding of the score itself (ulp ≈ 1e-3 at 1e4) moves the
    /// near-one-hot softmax weights, so outputs in [-1, 1] may differ by ~1e-3 from float64.
    static let largeMagnitude = 1e-2
}

/// One kernel test case: a problem, block sizes and how inputs are generated.
struct KernelCase: CustomStringConvertible {
    var batch = 1
    var heads = 1
    var queryLength: Int
    var keyLength: Int
    var headDimension: Int
    var causal = false
    var validKeyLengths: [Int]? = nil
    var keyValueHeads: Int? = nil
    var window: Int? = nil
    var blocks: (query: Int, key: Int) = (32, 32)
    var amplitude: Float = 1
    /// Largest |V| of the inputs.
    var valueAmplitude: Float = 1
    var scale: Float? = nil
    /// Storage of Q and O, and of K and V (nil: as Q).
    var elementType: ElementType = .f32
    var keyValueElementType: ElementType? = nil
    var threads = 1
    var seed: UInt64 = 42

    var description: String {
        "B=\(batch) H=\(heads) Sq=\(queryLength) Skv=\(keyLength) d=\(headDimension) causal=\(causal) "
            + "keyLengths=\(validKeyLengths.map { "\($0)" } ?? "none") kvHeads=\(keyValueHeads ?? heads) "
            + "window=\(window.map(String.init) ?? "none") blocks=\(blocks.query)x\(blocks.key) "
            + "amplitude=\(amplitude) threads=\(threads) seed=\(seed) "
            + "dtype=\(elementType.rawValue) kv_dtype=\((keyValueElementType ?? elementType).rawValue)"
    }

    func problem() throws -> AttentionProblem {
        try AttentionProblem(
            batch: batch, heads: heads, queryLength: queryLength, keyLength: keyLength,
            headDimension: headDimension, causal: causal, validKeyLengths: validKeyLengths,
            scale: scale, keyValueHeads: keyValueHeads, window: window, elementType: elementType,
            keyValueElementType: keyValueElementType)
    }

    func inputs() -> (AttentionTensor, AttentionTensor, AttentionTensor) {
        let cache = keyValueElementType ?? elementType
        let q = AttentionTensor(
            batch: batch, heads: heads, sequenceLength: queryLength, headDimension: headDimension,
            elementType: elementType)
        let k = AttentionTensor(
            batch: batch, heads: keyValueHeads ?? heads, sequenceLength: keyLength, headDimension: headDimension,
            elementType: cache)
        let v = AttentionTensor(
            batch: batch, heads: keyValueHeads ?? heads, sequenceLength: keyLength, headDimension: headDimension,
            elementType: cache)
        q.fillRandom(seed: seed, amplitude: amplitude)
        k.fillRandom(seed: seed &+ 1, amplitude: amplitude)
        v.fillRandom(seed: seed &+ 2, amplitude: valueAmplitude)
        return (q, k, v)
    }
}

/// Runs `variant` on `testCase` and compares every output row with the float64 reference.
func runAgainstReference(_ variant: AttentionVariant, _ testCase: KernelCase) throws -> ReferenceAttention.ErrorReport {
    let blocks = variant.isBlocked ? try BlockSizes(query: testCase.blocks.query, key: testCase.blocks.key) : nil
    return try runAgainstReference(variant.makeKernel(blockSizes: blocks), testCase)
}

/// Runs `kernel` on `testCase` and compares every output row with the float64 reference.
func runAgainstReference(_ kernel: any AttentionKernel, _ testCase: KernelCase) throws -> ReferenceAttention.ErrorReport
{
    let problem = try testCase.problem()
    let (q, k, v) = testCase.inputs()
    let o = try run(kernel, testCase, inputs: (q, k, v))
    return ReferenceAttention.compare(
        problem, query: q, key: k, value: v, output: o,
        rows: ReferenceAttention.rowsToCheck(problem, budgetMultiplyAdds: .max))
}

/// The output of `variant` on `testCase` (its blocks and threads), every element written by the kernel.
func output(of variant: AttentionVariant, _ testCase: KernelCase) throws -> AttentionTensor {
    let blocks = variant.isBlocked ? try BlockSizes(query: testCase.blocks.query, key: testCase.blocks.key) : nil
    return try run(variant.makeKernel(blockSizes: blocks), testCase, inputs: testCase.inputs())
}

func run(
    _ kernel: any AttentionKernel, _ testCase: KernelCase,
    inputs: (AttentionTensor, AttentionTensor, AttentionTensor)
) throws -> AttentionTensor {
    let o = AttentionTensor(
        batch: testCase.batch, heads: testCase.heads, sequenceLength: testCase.queryLength,
        headDimension: testCase.headDimension, elementType: testCase.elementType)
    o.fill(.nan)  // every element must be written by the kernel
    kernel.run(
        try testCase.problem(), query: inputs.0, key: inputs.1, value: inputs.2, output: o,
        threadCount: testCase.threads)
    return o
}

/// The largest error of `variant` on `testCase` and whether every output was finite.
func referenceError(_ variant: AttentionVariant, _ testCase: KernelCase) throws -> (maxAbsError: Double, finite: Bool) {
    let report = try runAgainstReference(variant, testCase)
    return (report.maxAbsError, !report.nonFinite)
}

/// Runs `variant` on `testCase` and asserts every output element is finite and within
/// `tolerance` of the float64 reference; a failure names the case, index, expected and actual.
func assertMatchesReference(
    _ variant: AttentionVariant, _ testCase: KernelCase, tolerance: Double,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    let report = try runAgainstReference(variant, testCase)
    XCTAssertEqual(report.rowsChecked, testCase.batch * testCase.heads * testCase.queryLength, file: file, line: line)
    if let worst = report.worst, report.nonFinite || report.maxAbsError > tolerance {
        XCTFail(
            """
            \(variant.rawValue) on \(testCase): max |error| \(report.maxAbsError) > \(tolerance) \
            (non-finite: \(report.nonFinite)) \
            at [b=\(worst.batch), h=\(worst.head), i=\(worst.row), c=\(worst.column)] \
            expected \(worst.expected) actual \(worst.actual)
            """, file: file, line: line)
    }
}
