/// Vectorised operations on one row of a score block (contiguous floats). These are the
/// element-wise parts of softmax that every kernel shares; the matrix products are BLAS calls.
///
/// Rows are processed 16 lanes at a time; a ragged tail is padded with −∞ (for maxima and
/// exponentials) or 0 (for sums) so no lane reads past the row.
public enum RowOperations {
    @inline(__always)
    static func loadTail(_ row: UnsafePointer<Float>, count: Int, padding: Float) -> SIMD16<Float> {
        var v = SIMD16<Float>(repeating: padding)
        for lane in 0..<count { v[lane] = row[lane] }
        return v
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// max over row[0..<count]; −∞ for an empty or fully masked row.
    @inline(__always)
    public static func maximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
        var m = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            m = pointwiseMax(m, load(row + i))
            i += 16
        }
        if i < count { m = pointwiseMax(m, loadTail(row + i, count: count - i, padding: -.infinity)) }
        return m.max()
    }

    /// row[j] ← exp(row[j] − rowMaximum) in place; returns Σ row[j]. `rowMaximum` must be finite.
    @inline(__always)
    public static func exponentiateAndSum(_ row: UnsafeMutablePointer<Float>, count: Int, rowMaximum: Float) -> Float {
        let shift = SIMD16<Float>(repeating: rowMaximum)
        var sum = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let e = vectorExp(load(row + i) - shift)
            store(e, row + i)
            sum += e
            i += 16
        }
        if i < count {
            let e = vectorExp(loadTail(row + i, count: count - i, padding: -.infinity) - shift)
            for lane in 0..<(count - i) { row[i + lane] = e[lane] }
            sum += e
        }
        return sum.sum()
    }

    /// row[j] ← row[j] · factor.
    @inline(__always)
    public static func scale(_ row: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let f = SIMD16<Float>(repeating: factor)
        var i = 0
        while i + 16 <= count {
            store(load(row + i) * f, row + i)
            i += 16
        }
        while i < count {
            row[i] *= factor
            i += 1
        }
    }

    /// row[j] ← row[j] · a + other[j] · b.
    @inline(__always)
    public static func combine(
        _ row: UnsafeMutablePointer<Float>, times a: Float, plus other: UnsafePointer<Float>, times b: Float, count: Int
    ) {
        let va = SIMD16<Float>(repeating: a)
        let vb = SIMD16<Float>(repeating: b)
        var i = 0
        while i + 16 <= count {
            store((load(row + i) * va).addingProduct(load(other + i), vb), row + i)
            i += 16
        }
        while i < count {
            row[i] = row[i] * a + other[i] * b
            i += 1
        }
    }

    /// row[j] ← value.
    @inline(__always)
    public static func fill(_ row: UnsafeMutablePointer<Float>, count: Int, with value: Float) {
        row.update(repeating: value, count: count)
    }
}

@inline(__always)
func pointwiseMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
}
