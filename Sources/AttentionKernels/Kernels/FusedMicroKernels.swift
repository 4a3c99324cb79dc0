/// Register-blocked SIMD micro-kernels of the fused kernel, generic over the vector type so
/// the tiles follow the vector width the build targets.
///
/// - `scores`: S[rows][NR] = Q · Kpanel[d][NR] for one packed panel of NR = 2·lanes keys and a
///   packed row group Q[d][rows], `rows` = 8 or 4; each row's two accumulators live in
///   registers for the whole reduction over d, each Q element is broadcast once and each K
///   vector loaded once per c.
/// - `accumulate`: O[4 rows][T] += P[4 rows][keys] · V[keys][T] over a block of keys, T a
///   group of 4, 2 or 1 vectors; the 4 × T accumulators live in registers across the keys.
/// Register use at 16 lanes (AVX-512, 32 zmm): scores 8 × 2 = 16 accumulators, P·V
/// 8 × 2 = 16 (`accumulateEightRows`); at 8 lanes (AVX2, 16 ymm): 4 × 2 = 8 and 4 × 2 = 8.
enum FusedMicroKernels {
    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Score tile: S (leading dimension ldS) ← Q · panel, Q a packed row group [d][rows]
    /// (`rows` = 8 or 4 query rows interleaved, so the broadcasts of one step of the reduction
    /// read one contiguous run at fixed offsets from one pointer). One loop per row count, each
    /// with only its own accumulators live.
    @inline(__always)
    static func scores<V: SIMD>(
        _: V.Type, rows: Int, q: UnsafePointer<Float>, d: Int, panel: UnsafePointer<Float>,
        s: UnsafeMutablePointer<Float>, ldS: Int
    ) where V.Scalar == Float {
        if rows == 8 {
            scoresEight(V.self, q: q, d: d, panel: panel, s: s, ldS: ldS)
        } else {
            scoresFour(V.self, q: q, d: d, panel: panel, s: s, ldS: ldS)
        }
    }

    @inline(__always)
    static func scoresEight<V: SIMD>(
        _: V.Type, q: UnsafePointer<Float>, d: Int, panel: UnsafePointer<Float>,
        s: UnsafeMutablePointer<Float>, ldS: Int
    ) where V.Scalar == Float {
        let L = V.scalarCount
        var a0 = V()
        var b0 = V()
        var a1 = V()
        var b1 = V()
        var a2 = V()
        var b2 = V()
        var a3 = V()
        var b3 = V()
        var a4 = V()
        var b4 = V()
        var a5 = V()
        var b5 = V()
        var a6 = V()
        var b6 = V()
        var a7 = V()
        var b7 = V()
        var x = q
        var k = panel
        var c = 0
        while c < d {
            let k0: V = load(k)
            let k1: V = load(k + L)
            var broadcast = V(repeating: x[0])
            a0 = a0.addingProduct(broadcast, k0)
            b0 = b0.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[1])
            a1 = a1.addingProduct(broadcast, k0)
            b1 = b1.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[2])
            a2 = a2.addingProduct(broadcast, k0)
            b2 = b2.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[3])
            a3 = a3.addingProduct(broadcast, k0)
            b3 = b3.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[4])
            a4 = a4.addingProduct(broadcast, k0)
            b4 = b4.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[5])
            a5 = a5.addingProduct(broadcast, k0)
            b5 = b5.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[6])
            a6 = a6.addingProduct(broadcast, k0)
            b6 = b6.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[7])
            a7 = a7.addingProduct(broadcast, k0)
            b7 = b7.addingProduct(broadcast, k1)
            x += 8
            k += 2 &* L
            c &+= 1
        }
        store(a0, s)
        store(b0, s + L)
        store(a1, s + 1 * ldS)
        store(b1, s + 1 * ldS + L)
        store(a2, s + 2 * ldS)
        store(b2, s + 2 * ldS + L)
        store(a3, s + 3 * ldS)
        store(b3, s + 3 * ldS + L)
        store(a4, s + 4 * ldS)
        store(b4, s + 4 * ldS + L)
        store(a5, s + 5 * ldS)
        store(b5, s + 5 * ldS + L)
        store(a6, s + 6 * ldS)
        store(b6, s + 6 * ldS + L)
        store(a7, s + 7 * ldS)
        store(b7, s + 7 * ldS + L)
    }

    @inline(__always)
    static func scoresFour<V: SIMD>(
        _: V.Type, q: UnsafePointer<Float>, d: Int, panel: UnsafePointer<Float>,
        s: UnsafeMutablePointer<Float>, ldS: Int
    ) where V.Scalar == Float {
        let L = V.scalarCount
        var a0 = V()
        var b0 = V()
        var a1 = V()
        var b1 = V()
        var a2 = V()
        var b2 = V()
        var a3 = V()
        var b3 = V()
        var x = q
        var k = panel
        var c = 0
        while c < d {
            let k0: V = load(k)
            let k1: V = load(k + L)
            var broadcast = V(repeating: x[0])
            a0 = a0.addingProduct(broadcast, k0)
            b0 = b0.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[1])
            a1 = a1.addingProduct(broadcast, k0)
            b1 = b1.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[2])
            a2 = a2.addingProduct(broadcast, k0)
            b2 = b2.addingProduct(broadcast, k1)
            broadcast = V(repeating: x[3])
            a3 = a3.addingProduct(broadcast, k0)
            b3 = b3.addingProduct(broadcast, k1)
            x += 4
            k += 2 &* L
            c &+= 1
        }
        store(a0, s)
        store(b0, s + L)
        store(a1, s + ldS)
        store(b1, s + ldS + L)
        store(a2, s + 2 * ldS)
        store(b2, s + 2 * ldS + L)
        store(a3, s + 3 * ldS)
        store(b3, s + 3 * ldS + L)
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

    /// O[8][columns] += P[8][keys] · V[keys][columns] (leading dimensions ldO, ldP, ldV;
    /// `columns` a multiple of 2·lanes): column pairs of vectors, 8 rows × 2 vectors of
    /// accumulators, so each V row is read once per 8 rows (half the L2 traffic of 4-row tiles).
    @inline(__always)
    static func accumulateEightRows<V: SIMD>(
        _: V.Type, p: UnsafePointer<Float>, ldP: Int, keys: Int, v: UnsafePointer<Float>, ldV: Int,
        o: UnsafeMutablePointer<Float>, ldO: Int, columns: Int
    ) where V.Scalar == Float {
        let L = V.scalarCount
        let p0 = p
        let p1 = p + ldP
        let p2 = p + 2 * ldP
        let p3 = p + 3 * ldP
        let p4 = p + 4 * ldP
        let p5 = p + 5 * ldP
        let p6 = p + 6 * ldP
        let p7 = p + 7 * ldP
        var column = 0
        while column < columns {
            let oc = o + column
            var a0: V = load(oc)
            var b0: V = load(oc + L)
            var a1: V = load(oc + ldO)
            var b1: V = load(oc + ldO + L)
            var a2: V = load(oc + 2 * ldO)
            var b2: V = load(oc + 2 * ldO + L)
            var a3: V = load(oc + 3 * ldO)
            var b3: V = load(oc + 3 * ldO + L)
            var a4: V = load(oc + 4 * ldO)
            var b4: V = load(oc + 4 * ldO + L)
            var a5: V = load(oc + 5 * ldO)
            var b5: V = load(oc + 5 * ldO + L)
            var a6: V = load(oc + 6 * ldO)
            var b6: V = load(oc + 6 * ldO + L)
            var a7: V = load(oc + 7 * ldO)
            var b7: V = load(oc + 7 * ldO + L)
            var row = v + column
            var j = 0
            while j < keys {
                let v0: V = load(row)
                let v1: V = load(row + L)
                var broadcast = V(repeating: p0[j])
                a0 = a0.addingProduct(broadcast, v0)
                b0 = b0.addingProduct(broadcast, v1)
                broadcast = V(repeating: p1[j])
                a1 = a1.addingProduct(broadcast, v0)
                b1 = b1.addingProduct(broadcast, v1)
                broadcast = V(repeating: p2[j])
                a2 = a2.addingProduct(broadcast, v0)
                b2 = b2.addingProduct(broadcast, v1)
                broadcast = V(repeating: p3[j])
                a3 = a3.addingProduct(broadcast, v0)
                b3 = b3.addingProduct(broadcast, v1)
                broadcast = V(repeating: p4[j])
                a4 = a4.addingProduct(broadcast, v0)
                b4 = b4.addingProduct(broadcast, v1)
                broadcast = V(repeating: p5[j])
                a5 = a5.addingProduct(broadcast, v0)
                b5 = b5.addingProduct(broadcast, v1)
                broadcast = V(repeating: p6[j])
                a6 = a6.addingProduct(broadcast, v0)
                b6 = b6.addingProduct(broadcast, v1)
                broadcast = V(repeating: p7[j])
                a7 = a7.addingProduct(broadcast, v0)
                b7 = b7.addingProduct(broadcast, v1)
                row += ldV
                j &+= 1
            }
            store(a0, oc)
            store(b0, oc + L)
            store(a1, oc + 1 * ldO)
            store(b1, oc + 1 * ldO + L)
            store(a2, oc + 2 * ldO)
            store(b2, oc + 2 * ldO + L)
            store(a3, oc + 3 * ldO)
            store(b3, oc + 3 * ldO + L)
            store(a4, oc + 4 * ldO)
            store(b4, oc + 4 * ldO + L)
            store(a5, oc + 5 * ldO)
            store(b5, oc + 5 * ldO + L)
            store(a6, oc + 6 * ldO)
            store(b6, oc + 6 * ldO + L)
            store(a7, oc + 7 * ldO)
            store(b7, oc + 7 * ldO + L)
            column += 2 * L
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
