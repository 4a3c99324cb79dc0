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
        return horizontalMaximum(m)
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
        return horizontalSum(sum)
    }

    /// row[j] ← exp(row[j] − reference) in place over `count` floats (a multiple of 16), the
    /// results added lane-wise into the 16 floats at `sum`; returns the lane-wise maximum of
    /// row[j] − reference (so a caller can tell whether the reference was high enough).
    @inline(__always)
    public static func exponentiate(
        _ row: UnsafeMutablePointer<Float>, count: Int, reference: Float, sum: UnsafeMutablePointer<Float>
    ) -> SIMD16<Float> {
        let shift = SIMD16<Float>(repeating: reference)
        var worst = SIMD16<Float>(repeating: -.infinity)
        var total = load(sum)
        var i = 0
        while i < count {
            let x = load(row + i) - shift
            worst = pointwiseMax(worst, x)
            let e = vectorExp(x)
            store(e, row + i)
            total += e
            i &+= 16
        }
        store(total, sum)
        return worst
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

/// Σ lanes by halving (4 vector adds, depth 4); the generic `sum()` adds the 16 lanes one after
/// another, a chain of 15 dependent scalar adds.
@inline(__always)
func horizontalSum(_ v: SIMD16<Float>) -> Float {
    let h8 = v.lowHalf + v.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
}

/// max over lanes by halving (depth 4, like `horizontalSum`).
@inline(__always)
func horizontalMaximum(_ v: SIMD16<Float>) -> Float {
    let h8 = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let h4 = h8.lowHalf.replacing(with: h8.highHalf, where: h8.highHalf .> h8.lowHalf)
    let h2 = h4.lowHalf.replacing(with: h4.highHalf, where: h4.highHalf .> h4.lowHalf)
    return max(h2[0], h2[1])
}

@inline(__always)
func pointwiseMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
}
