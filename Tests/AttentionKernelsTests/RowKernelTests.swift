import CMicroKernels
import XCTest

typealias RowScores =
    @convention(c) (
        UnsafePointer<Float>?, Int, Int, UnsafePointer<Float>?, Int, Int, Int, UnsafeMutablePointer<Float>?, Int
    ) -> Void

/// The decode path's score and P·V micro-kernels on their own, every version this CPU runs,
/// against float64 sums: row, key and column counts around each vector width and tile edge.
final class RowKernelTests: XCTestCase {
    func testRowScoresMatchFloat64Sums() {
        var versions: [(String, RowScores)] = [("portable", attnbench_row_scores_portable)]
        if attnbench_cpu_has_avx2_fma() != 0 { versions.append(("AVX2", attnbench_row_scores_avx2)) }
        if attnbench_cpu_has_avx512f() != 0 { versions.append(("AVX-512", attnbench_row_scores_avx512)) }
        for (version, rowScores) in versions {
            for (rows, keys, columns) in [(1, 16, 128), (3, 37, 17), (4, 15, 64), (2, 33, 300), (5, 16, 1), (1, 0, 8)] {
                let ldQ = columns + 3
                let ldS = keys + 5
                let q = (0..<(rows * ldQ)).map { Float(sin(Double($0) * 0.37)) }
                let k = (0..<(keys * columns)).map { Float(cos(Double($0) * 0.11)) }
                var s = [Float](repeating: .nan, count: rows * ldS)
                q.withUnsafeBufferPointer { qp in
                    k.withUnsafeBufferPointer { kp in
                        s.withUnsafeMutableBufferPointer { sp in
                            rowScores(
                                qp.baseAddress!, ldQ, rows, kp.baseAddress!, columns, keys, columns, sp.baseAddress!,
                                ldS)
                        }
                    }
                }
                for r in 0..<rows {
                    for j in 0..<keys {
                        let exact = (0..<columns).reduce(0.0) {
                            $0 + Double(q[r * ldQ + $1]) * Double(k[j * columns + $1])
                        }
                        XCTAssertEqual(
                            Double(s[r * ldS + j]), exact, accuracy: 1e-5 * Double(columns),
                            "\(version), rows \(rows) keys \(keys) columns \(columns): score [\(r)][\(j)]")
                    }
                    for j in keys..<ldS {
                        XCTAssertTrue(s[r * ldS + j].isNaN, "score [\(r)][\(j)] past the keys written")
                    }
                }
            }
        }
    }

    func testAccumulatedRowsMatchFloat64Sums() throws {
        try XCTSkipUnless(attnbench_cpu_has_avx512f() != 0, "the AVX-512 P·V kernel needs AVX-512F")
        for (rows, keys, columns) in [
            (4, 9, 64), (5, 3, 50), (2, 20, 128), (3, 7, 136), (1, 5, 256), (2, 4, 300), (6, 1, 1),
        ] {
            let ldP = keys + 2
            let ldO = columns + 7
            let p = (0..<(rows * ldP)).map { Float(sin(Double($0) * 0.29)) }
            let v = (0..<(keys * columns)).map { Float(cos(Double($0) * 0.07)) }
            let start = (0..<(rows * ldO)).map { Float($0 % 5) }
            var o = start
            p.withUnsafeBufferPointer { pp in
                v.withUnsafeBufferPointer { vp in
                    o.withUnsafeMutableBufferPointer { op in
                        attnbench_accumulate_rows_avx512(
                            pp.baseAddress!, ldP, rows, keys, vp.baseAddress!, columns, columns, op.baseAddress!, ldO)
                    }
                }
            }
            for r in 0..<rows {
                for c in 0..<ldO {
                    let added =
                        c < columns
                        ? (0..<keys).reduce(0.0) { $0 + Double(p[r * ldP + $1]) * Double(v[$1 * columns + c]) } : 0
                    XCTAssertEqual(
                        Double(o[r * ldO + c]), Double(start[r * ldO + c]) + added, accuracy: 1e-5 * Double(keys + 1),
                        "rows \(rows) keys \(keys) columns \(columns): O[\(r)][\(c)]")
                }
            }
        }
    }
}
