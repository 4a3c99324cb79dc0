import AttentionKernels
import Foundation
import XCTest

final class VectorExpTests: XCTestCase {
    /// Relative error of vectorExp against float64 exp over the softmax range.
    func testAccuracyOverSoftmaxRange() {
        var worst = 0.0
        var worstX: Float = 0
        var x: Float = -87
        while x <= 0 {
            var v = SIMD16<Float>()
            for lane in 0..<16 { v[lane] = x + Float(lane) * 0.0037 }
            let e = vectorExp(v)
            for lane in 0..<16 {
                let expected = Foundation.exp(Double(v[lane]))
                let relative = abs(Double(e[lane]) - expected) / expected
                if relative > worst {
                    worst = relative
                    worstX = v[lane]
                }
            }
            x += 0.061
        }
        XCTAssertLessThan(worst, 4e-7, "worst relative error \(worst) at x = \(worstX)")
    }

    func testMaskedAndExtremeArguments() {
        var v = SIMD16<Float>(repeating: 0)
        v[0] = -.infinity
        v[1] = -1e4
        v[2] = -88
        v[3] = 0
        v[4] = 1
        let e = vectorExp(v)
        XCTAssertEqual(e[0], 0)
        XCTAssertEqual(e[1], 0)
        XCTAssertEqual(e[2], 0)
        XCTAssertEqual(e[3], 1)
        XCTAssertEqual(Double(e[4]), M_E, accuracy: 1e-6)
    }

    func testRowOperationsOnRaggedLengths() {
        for count in [1, 15, 16, 17, 33, 100] {
            let row = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { row.deallocate() }
            for j in 0..<count { row[j] = Float(j % 7) - 3 }
            let m = RowOperations.maximum(row, count: count)
            XCTAssertEqual(m, Float(min(count - 1, 6) - 3), "count \(count)")
            let sum = RowOperations.exponentiateAndSum(row, count: count, rowMaximum: m)
            var expected = 0.0
            for j in 0..<count { expected += Foundation.exp(Double(Float(j % 7) - 3 - m)) }
            XCTAssertEqual(Double(sum), expected, accuracy: 1e-5 * expected, "count \(count)")
            XCTAssertEqual(Double(row[0]), Foundation.exp(Double(-3 - m)), accuracy: 1e-6, "count \(count)")
        }
    }
}
