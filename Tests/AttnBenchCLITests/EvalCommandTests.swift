import AttentionKernels
import AttnBenchCore
import Foundation
import XCTest

final class EvalCommandTests: XCTestCase {
    func testEveryVariantMatchesTheFloat64Reference() throws {
        try checkEval(heads: 3, keyValueHeads: 3, window: nil)
    }

    /// K and V with fewer heads than Q (the heads follow from the .npy shapes), and a window.
    func testGroupedQueryAndWindowFromTheNpyShapes() throws {
        try checkEval(heads: 4, keyValueHeads: 2, window: 9)
        try checkEval(heads: 4, keyValueHeads: 1, window: nil)
    }

    func checkEval(heads h: Int, keyValueHeads hkv: Int, window: Int?) throws {
        let directory = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (b, nq, nk, d) = (2, 37, 53, 24)
        var generator = SplitMix64Like(seed: 9)
        func tensor(_ heads: Int, _ n: Int) -> NumpyArray {
            NumpyArray(shape: [b, heads, n, d], values: (0..<(b * heads * n * d)).map { _ in generator.nextFloat() })
        }
        let q = tensor(h, nq)
        let k = tensor(hkv, nk)
        let v = tensor(hkv, nk)
        for (name, array) in [("q", q), ("k", k), ("v", v)] {
            try Data(array.encode()).write(to: directory.appendingPathComponent("\(name).npy"))
        }
        let problem = try AttentionProblem(
            batch: b, heads: h, queryLength: nq, keyLength: nk, headDimension: d,
            causal: true, validKeyLengths: [53, 20], keyValueHeads: hkv, window: window)
        let tq = AttentionTensor(batch: b, heads: h, sequenceLength: nq, headDimension: d, values: q.values)
        let tk = AttentionTensor(batch: b, heads: hkv, sequenceLength: nk, headDimension: d, values: k.values)
        let tv = AttentionTensor(batch: b, heads: hkv, sequenceLength: nk, headDimension: d, values: v.values)
        for variant in AttentionVariant.allCases {
            let result = try InProcess.run(
                [
                    "eval", "--variant", variant.rawValue, "--query", "q.npy", "--key", "k.npy",
                    "--value", "v.npy", "--output", "o.npy", "--causal", "--key-lengths", "53,20",
                    "--block-q", "16", "--block-kv", "10",
                ] + (window.map { ["--window", "\($0)"] } ?? []),
                in: directory)
            XCTAssertEqual(result.status, 0, result.standardError)
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent("o.npy")))
            let o = try NumpyArray.decode(bytes, name: "o.npy")
            XCTAssertEqual(o.shape, [b, h, nq, d])
            let to = AttentionTensor(batch: b, heads: h, sequenceLength: nq, headDimension: d, values: o.values)
            let report = ReferenceAttention.compare(
                problem, query: tq, key: tk, value: tv, output: to,
                rows: ReferenceAttention.rowsToCheck(problem))
            XCTAssertLessThan(report.maxAbsError, 1e-5, "\(variant): \(String(describing: report.worst))")
        }
    }
}
