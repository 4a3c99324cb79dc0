/// Register-blocked SIMD micro-kernels of the fused kernel, generic over the vector type so
/// the tiles follow the vector width the build targets.
///
/// - `scores`: S[rows][NR] = Q[rows][d] · Kpanel[d][NR] for one packed panel of NR = 2·lanes
///   keys, `rows` = 8 or 4; each row's two accumulators live in registers for the whole
///   reduction over d, each Q element is broadcast once and each K vector loaded once per c.
/// - `accumulate`: O[4 rows][T] += P[4 rows][keys] · V[keys][T] over a block of keys, T a
///   group of 4, 2 or 1 vectors; the 4 × T accumulators live in registers across the keys.
/// Register use at 16 lanes (AVX-512, 32 zmm): scores 8 × 2 = 16 accumulators, accumulate
/// 4 × 4 = 16; at 8 lanes (AVX2, 16 ymm): 4 × 2 = 8 and 4 × 2 = 8.
enum FusedMicroKernels {
    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Score tile: S (leading dimension ldS) ← Q (`rows` = 8 or 4 rows, leading dimension d)
    /// · panel. The branch on `rows` is loop-invariant: the compiler keeps one loop per value,
    /// and the 4-row loop holds only four accumulator pairs.
    @inline(__always)
    static func scores<V: SIMD>(
        _: V.Type, rows: Int, q: UnsafePointer<Float>, d: Int, panel: UnsafePointer<Float>,
        s: UnsafeMutablePointer<Float>, ldS: Int
    ) where V.Scalar == Float {
        var r0 = VectorGroup2<V>()
        var r1 = VectorGroup2<V>()
        var r2 = VectorGroup2<V>()
        var r3 = VectorGroup2<V>()
        var r4 = VectorGroup2<V>()
        var r5 = VectorGroup2<V>()
        var r6 = VectorGroup2<V>()
        var r7 = VectorGroup2<V>()
        let wide = rows == 8
        var k = panel
        for c in 0..<d {
            let b = VectorGroup2<V>(loading: k)
            r0.add(q[c], b)
            r1.add(q[d + c], b)
            r2.add(q[2 * d + c], b)
            r3.add(q[3 * d + c], b)
            if wide {
                r4.add(q[4 * d + c], b)
                r5.add(q[5 * d + c], b)
                r6.add(q[6 * d + c], b)
                r7.add(q[7 * d + c], b)
            }
            k += 2 * V.scalarCount
        }
        r0.store(s)
        r1.store(s + ldS)
        r2.store(s + 2 * ldS)
        r3.store(s + 3 * ldS)
        if wide {
            r4.store(s + 4 * ldS)
            r5.store(s + 5 * ldS)
            r6.store(s + 6 * ldS)
            r7.store(s + 7 * ldS)
        }
    }

    /// O[4][T] += P[4][keys] · V[keys][T] (leading dimensions ldO, ldP, ldV).
    @inline(__always)
    static func accumulate<T: VectorGroup>(
        _: T.Type, p: UnsafePointer<Float>, ldP: Int, keys: Int, v: UnsafePointer<Float>,
        ldV: Int, o: UnsafeMutablePointer<Float>, ldO: Int
    ) {
        var o0 = T(loading: o)
        var o1 = T(loading: o + ldO)
        var o2 = T(loading: o + 2 * ldO)
        var o3 = T(loading: o + 3 * ldO)
        var row = v
        for j in 0..<keys {
            let values = T(loading: row)
            o0.add(p[j], values)
            o1.add(p[ldP + j], values)
            o2.add(p[2 * ldP + j], values)
            o3.add(p[3 * ldP + j], values)
            row += ldV
        }
        o0.store(o)
        o1.store(o + ldO)
        o2.store(o + 2 * ldO)
        o3.store(o + 3 * ldO)
    }

    /// O[4][columns] += P[4][keys] · V[keys][columns], `columns` a multiple of V's lanes: column
    /// groups of 4 vectors where `wide` (registers for 4 rows of 4 vectors), then 2, then 1.
    @inline(__always)
    static func accumulateFourRows<V: SIMD>(
        _: V.Type, wide: Bool, p: UnsafePointer<Float>, ldP: Int, keys: Int,
        v: UnsafePointer<Float>, ldV: Int, o: UnsafeMutablePointer<Float>, ldO: Int,
        columns: Int
    ) where V.Scalar == Float {
        let L = V.scalarCount
        var column = 0
        while wide && column + 4 * L <= columns {
            accumulate(
                VectorGroup4<V>.self, p: p, ldP: ldP, keys: keys, v: v + column, ldV: ldV, o: o + column, ldO: ldO)
            column += 4 * L
        }
        while column + 2 * L <= columns {
            accumulate(
                VectorGroup2<V>.self, p: p, ldP: ldP, keys: keys, v: v + column, ldV: ldV, o: o + column, ldO: ldO)
            column += 2 * L
        }
        if column < columns {
            accumulate(
                VectorGroup1<V>.self, p: p, ldP: ldP, keys: keys, v: v + column, ldV: ldV, o: o + column, ldO: ldO)
        }
    }

    /// O[T] += P[keys] · V[keys][T] for one row (leading dimension ldV).
    @inline(__always)
    static func accumulateRow<T: VectorGroup>(
        _: T.Type, p: UnsafePointer<Float>, keys: Int, v: UnsafePointer<Float>,
        ldV: Int, o: UnsafeMutablePointer<Float>
    ) {
        var o0 = T(loading: o)
        var row = v
        for j in 0..<keys {
            o0.add(p[j], T(loading: row))
            row += ldV
        }
        o0.store(o)
    }
}

/// A few adjacent vectors of floats that stay in registers: one row of a register tile.
protocol VectorGroup {
    /// Floats in the group.
    static var width: Int { get }
    init()
    init(loading p: UnsafePointer<Float>)
    /// self += x · other, lane by lane (fused multiply-add).
    mutating func add(_ x: Float, _ other: Self)
    func store(_ p: UnsafeMutablePointer<Float>)
}

struct VectorGroup1<V: SIMD>: VectorGroup where V.Scalar == Float {
    var a = V()
    static var width: Int { V.scalarCount }
    init() {}
    @inline(__always) init(loading p: UnsafePointer<Float>) { a = FusedMicroKernels.load(p) }
    @inline(__always) mutating func add(_ x: Float, _ other: Self) { a = a.addingProduct(V(repeating: x), other.a) }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { FusedMicroKernels.store(a, p) }
}

struct VectorGroup2<V: SIMD>: VectorGroup where V.Scalar == Float {
    var a = V(), b = V()
    static var width: Int { 2 * V.scalarCount }
    init() {}
    @inline(__always) init(loading p: UnsafePointer<Float>) {
        a = FusedMicroKernels.load(p)
        b = FusedMicroKernels.load(p + V.scalarCount)
    }
    @inline(__always) mutating func add(_ x: Float, _ other: Self) {
        let broadcast = V(repeating: x)
        a = a.addingProduct(broadcast, other.a)
        b = b.addingProduct(broadcast, other.b)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        FusedMicroKernels.store(a, p)
        FusedMicroKernels.store(b, p + V.scalarCount)
    }
}

struct VectorGroup4<V: SIMD>: VectorGroup where V.Scalar == Float {
    var low = VectorGroup2<V>(), high = VectorGroup2<V>()
    static var width: Int { 4 * V.scalarCount }
    init() {}
    @inline(__always) init(loading p: UnsafePointer<Float>) {
        low = VectorGroup2(loading: p)
        high = VectorGroup2(loading: p + 2 * V.scalarCount)
    }
    @inline(__always) mutating func add(_ x: Float, _ other: Self) {
        low.add(x, other.low)
        high.add(x, other.high)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        low.store(p)
        high.store(p + 2 * V.scalarCount)
    }
}
