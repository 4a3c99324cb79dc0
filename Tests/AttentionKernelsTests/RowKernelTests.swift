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

    func testScoreTilesWithExponentialsMatchFloat64() throws {
        try XCTSkipUnless(attnbench_cpu_has_avx512f() != 0, "the AVX-512 score tiles need AVX-512F")
        // Head dimensions below, at and off the 16 segments the exponentials are spread over;
        // one to three tiles; rows with a running maximum (below, at and above the scores) and
        // rows with nothing seen yet.
        for (d, panelCount) in [(1, 1), (7, 2), (16, 1), (24, 3), (64, 2), (80, 3), (128, 1), (136, 2)] {
            let keys = 32 * panelCount
            let ldS = keys + 16
            let q = (0..<(d * 8)).map { Float(sin(Double($0) * 0.37)) * 3 }
            let panels = (0..<(keys * d)).map { Float(cos(Double($0) * 0.11)) * 2 }
            func products(_ r: Int, _ j: Int) -> [Double] {
                let (tile, column) = j.quotientAndRemainder(dividingBy: 32)
                return (0..<d).map { Double(q[$0 * 8 + r]) * Double(panels[tile * 32 * d + $0 * 32 + column]) }
            }
            func score(_ r: Int, _ j: Int) -> Double { products(r, j).reduce(0, +) }
            // The fp32 score's rounding bound (d roundings of partial sums), carried into P.
            func scoreError(_ r: Int, _ j: Int) -> Double {
                Double(d + 1) * 0x1p-24 * products(r, j).reduce(0) { $0 + abs($1) }
            }
            let first = (0..<8).map { r in (0..<32).map { score(r, $0) }.max()! }
            let start: [Float] = [
                -.infinity, Float(first[1]) + 2, -.infinity, Float(first[3]) - 3, 0, 40, -.infinity, 1,
            ]
            var reference = start
            var s = [Float](repeating: .nan, count: 8 * ldS)
            var sums = [Float](repeating: 0, count: 8 * 16)
            var worst = [Float](repeating: 0, count: 16)
            let complete = attnbench_score_tiles_exp_avx512(
                q, d, panels, panelCount, &s, ldS, &reference, &sums, &worst)
            XCTAssertEqual(complete, 1, "d \(d)")
            var worstExpected = -Double.infinity
            for r in 0..<8 {
                let expectedReference = start[r] == -.infinity ? first[r] : Double(start[r])
                XCTAssertEqual(
                    Double(reference[r]), expectedReference, accuracy: 1e-4 * (1 + abs(expectedReference)),
                    "d \(d): row \(r)")
                var lanes = [Double](repeating: 0, count: 16)
                for j in 0..<keys {
                    let x = score(r, j) - Double(reference[r])
                    worstExpected = max(worstExpected, x)
                    let expected = exp(max(x, -87.3))
                    lanes[j % 16] += expected
                    XCTAssertEqual(
                        Double(s[r * ldS + j]), expected, accuracy: expected * (2e-6 + 2 * scoreError(r, j)),
                        "d \(d): P[\(r)][\(j)] for score − reference \(x)")
                }
                for j in keys..<ldS { XCTAssertTrue(s[r * ldS + j].isNaN, "d \(d): S[\(r)][\(j)] past the keys") }
                for lane in 0..<16 {
                    XCTAssertEqual(
                        Double(sums[16 * r + lane]), lanes[lane], accuracy: 1e-4 * lanes[lane] + 1e-30,
                        "d \(d): row \(r) lane \(lane) sum")
                }
            }
            XCTAssertEqual(Double(worst.max()!), worstExpected, accuracy: 1e-4 * (1 + abs(worstExpected)), "d \(d)")
        }
    }

    func testScoreTilesStopOnAFirstTileOfMinusInfinity() throws {
        try XCTSkipUnless(attnbench_cpu_has_avx512f() != 0, "the AVX-512 score tiles need AVX-512F")
        var q = [Float](repeating: 1, count: 8)
        q[5] = -.infinity
        let panels = [Float](repeating: 0.5, count: 32 * 2)
        var reference = [Float](repeating: -.infinity, count: 8)
        var s = [Float](repeating: 0, count: 8 * 64)
        var sums = [Float](repeating: 0, count: 8 * 16)
        var worst = [Float](repeating: 0, count: 16)
        XCTAssertEqual(attnbench_score_tiles_exp_avx512(q, 1, panels, 2, &s, 64, &reference, &sums, &worst), 0)
        XCTAssertEqual(reference[5], -.infinity)
    }
}
