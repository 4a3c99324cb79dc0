/// Register-blocked SIMD micro-kernels of the fused kernel, generic over the vector type so
/// the tile follows the vector width the build targets (`FusedTile`).
///
/// - `scores`: S[MR][NR] = Q[MR rows][d] · Kpanel[d][NR] for one packed panel of NR = 2·lanes
///   keys; the MR × 2 accumulators live in registers for the whole reduction over d, each Q
///   element is broadcast once per row and each K vector loaded once per tile.
/// - `accumulate`: O[4 rows][CV vectors] += P[4 rows][k] · V[k][CV vectors] over a chunk of
///   keys; the 4 × CV accumulators live in registers across the whole chunk.
/// Register use: scores 8 rows × 2 vectors = 16 accumulators at AVX-512 (32 zmm), 4 × 2 = 8
/// at AVX2 (16 ymm); accumulate 4 × 4 = 16 at AVX-512, 4 × 2 = 8 at AVX2.
enum FusedMicroKernels {
    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// 8-row score tile: S (leading dimension ldS) ← Q (8 rows, leading dimension d) · panel.
    @inline(__always)
    static func scores8<V: SIMD>(_: V.Type, q: UnsafePointer<Float>, d: Int, panel: UnsafePointer<Float>,
                                 s: UnsafeMutablePointer<Float>, ldS: Int) where V.Scalar == Float {
        let L = V.scalarCount
        var a00 = V(), a01 = V(), a10 = V(), a11 = V(), a20 = V(), a21 = V(), a30 = V(), a31 = V()
        var a40 = V(), a41 = V(), a50 = V(), a51 = V(), a60 = V(), a61 = V(), a70 = V(), a71 = V()
        var k = panel
        for c in 0..<d {
            let b0: V = load(k), b1: V = load(k + L)
            var x = V(repeating: q[c]); a00 = a00.addingProduct(x, b0); a01 = a01.addingProduct(x, b1)
            x = V(repeating: q[d + c]); a10 = a10.addingProduct(x, b0); a11 = a11.addingProduct(x, b1)
            x = V(repeating: q[2 * d + c]); a20 = a20.addingProduct(x, b0); a21 = a21.addingProduct(x, b1)
            x = V(repeating: q[3 * d + c]); a30 = a30.addingProduct(x, b0); a31 = a31.addingProduct(x, b1)
            x = V(repeating: q[4 * d + c]); a40 = a40.addingProduct(x, b0); a41 = a41.addingProduct(x, b1)
            x = V(repeating: q[5 * d + c]); a50 = a50.addingProduct(x, b0); a51 = a51.addingProduct(x, b1)
            x = V(repeating: q[6 * d + c]); a60 = a60.addingProduct(x, b0); a61 = a61.addingProduct(x, b1)
            x = V(repeating: q[7 * d + c]); a70 = a70.addingProduct(x, b0); a71 = a71.addingProduct(x, b1)
            k += 2 * L
        }
        store(a00, s); store(a01, s + L)
        store(a10, s + ldS); store(a11, s + ldS + L)
        store(a20, s + 2 * ldS); store(a21, s + 2 * ldS + L)
        store(a30, s + 3 * ldS); store(a31, s + 3 * ldS + L)
        store(a40, s + 4 * ldS); store(a41, s + 4 * ldS + L)
        store(a50, s + 5 * ldS); store(a51, s + 5 * ldS + L)
        store(a60, s + 6 * ldS); store(a61, s + 6 * ldS + L)
        store(a70, s + 7 * ldS); store(a71, s + 7 * ldS + L)
    }

    /// 4-row score tile, for vector widths with 16 registers.
    @inline(__always)
    static func scores4<V: SIMD>(_: V.Type, q: UnsafePointer<Float>, d: Int, panel: UnsafePointer<Float>,
                                 s: UnsafeMutablePointer<Float>, ldS: Int) where V.Scalar == Float {
        let L = V.scalarCount
        var a00 = V(), a01 = V(), a10 = V(), a11 = V(), a20 = V(), a21 = V(), a30 = V(), a31 = V()
        var k = panel
        for c in 0..<d {
            let b0: V = load(k), b1: V = load(k + L)
            var x = V(repeating: q[c]); a00 = a00.addingProduct(x, b0); a01 = a01.addingProduct(x, b1)
            x = V(repeating: q[d + c]); a10 = a10.addingProduct(x, b0); a11 = a11.addingProduct(x, b1)
            x = V(repeating: q[2 * d + c]); a20 = a20.addingProduct(x, b0); a21 = a21.addingProduct(x, b1)
            x = V(repeating: q[3 * d + c]); a30 = a30.addingProduct(x, b0); a31 = a31.addingProduct(x, b1)
            k += 2 * L
        }
        store(a00, s); store(a01, s + L)
        store(a10, s + ldS); store(a11, s + ldS + L)
        store(a20, s + 2 * ldS); store(a21, s + 2 * ldS + L)
        store(a30, s + 3 * ldS); store(a31, s + 3 * ldS + L)
    }

    /// O[4][4 vectors] += P[4][keys] · V[keys][4 vectors] (leading dimensions ldO, ldP, ldV).
    @inline(__always)
    static func accumulate4x4<V: SIMD>(_: V.Type, p: UnsafePointer<Float>, ldP: Int, keys: Int, v: UnsafePointer<Float>, ldV: Int,
                                       o: UnsafeMutablePointer<Float>, ldO: Int) where V.Scalar == Float {
        let L = V.scalarCount
        var o00: V = load(o), o01: V = load(o + L), o02: V = load(o + 2 * L), o03: V = load(o + 3 * L)
        var o10: V = load(o + ldO), o11: V = load(o + ldO + L), o12: V = load(o + ldO + 2 * L), o13: V = load(o + ldO + 3 * L)
        var o20: V = load(o + 2 * ldO), o21: V = load(o + 2 * ldO + L), o22: V = load(o + 2 * ldO + 2 * L), o23: V = load(o + 2 * ldO + 3 * L)
        var o30: V = load(o + 3 * ldO), o31: V = load(o + 3 * ldO + L), o32: V = load(o + 3 * ldO + 2 * L), o33: V = load(o + 3 * ldO + 3 * L)
        var row = v
        for j in 0..<keys {
            let v0: V = load(row), v1: V = load(row + L), v2: V = load(row + 2 * L), v3: V = load(row + 3 * L)
            var x = V(repeating: p[j])
            o00 = o00.addingProduct(x, v0); o01 = o01.addingProduct(x, v1); o02 = o02.addingProduct(x, v2); o03 = o03.addingProduct(x, v3)
            x = V(repeating: p[ldP + j])
            o10 = o10.addingProduct(x, v0); o11 = o11.addingProduct(x, v1); o12 = o12.addingProduct(x, v2); o13 = o13.addingProduct(x, v3)
            x = V(repeating: p[2 * ldP + j])
            o20 = o20.addingProduct(x, v0); o21 = o21.addingProduct(x, v1); o22 = o22.addingProduct(x, v2); o23 = o23.addingProduct(x, v3)
            x = V(repeating: p[3 * ldP + j])
            o30 = o30.addingProduct(x, v0); o31 = o31.addingProduct(x, v1); o32 = o32.addingProduct(x, v2); o33 = o33.addingProduct(x, v3)
            row += ldV
        }
        store(o00, o); store(o01, o + L); store(o02, o + 2 * L); store(o03, o + 3 * L)
        store(o10, o + ldO); store(o11, o + ldO + L); store(o12, o + ldO + 2 * L); store(o13, o + ldO + 3 * L)
        store(o20, o + 2 * ldO); store(o21, o + 2 * ldO + L); store(o22, o + 2 * ldO + 2 * L); store(o23, o + 2 * ldO + 3 * L)
        store(o30, o + 3 * ldO); store(o31, o + 3 * ldO + L); store(o32, o + 3 * ldO + 2 * L); store(o33, o + 3 * ldO + 3 * L)
    }

    /// O[4][2 vectors] += P[4][keys] · V[keys][2 vectors].
    @inline(__always)
    static func accumulate4x2<V: SIMD>(_: V.Type, p: UnsafePointer<Float>, ldP: Int, keys: Int, v: UnsafePointer<Float>, ldV: Int,
                                       o: UnsafeMutablePointer<Float>, ldO: Int) where V.Scalar == Float {
        let L = V.scalarCount
        var o00: V = load(o), o01: V = load(o + L)
        var o10: V = load(o + ldO), o11: V = load(o + ldO + L)
        var o20: V = load(o + 2 * ldO), o21: V = load(o + 2 * ldO + L)
        var o30: V = load(o + 3 * ldO), o31: V = load(o + 3 * ldO + L)
        var row = v
        for j in 0..<keys {
            let v0: V = load(row), v1: V = load(row + L)
            var x = V(repeating: p[j]); o00 = o00.addingProduct(x, v0); o01 = o01.addingProduct(x, v1)
            x = V(repeating: p[ldP + j]); o10 = o10.addingProduct(x, v0); o11 = o11.addingProduct(x, v1)
            x = V(repeating: p[2 * ldP + j]); o20 = o20.addingProduct(x, v0); o21 = o21.addingProduct(x, v1)
            x = V(repeating: p[3 * ldP + j]); o30 = o30.addingProduct(x, v0); o31 = o31.addingProduct(x, v1)
            row += ldV
        }
        store(o00, o); store(o01, o + L)
        store(o10, o + ldO); store(o11, o + ldO + L)
        store(o20, o + 2 * ldO); store(o21, o + 2 * ldO + L)
        store(o30, o + 3 * ldO); store(o31, o + 3 * ldO + L)
    }

    /// O[4][1 vector] += P[4][keys] · V[keys][1 vector]: the columns left over.
    @inline(__always)
    static func accumulate4x1<V: SIMD>(_: V.Type, p: UnsafePointer<Float>, ldP: Int, keys: Int, v: UnsafePointer<Float>, ldV: Int,
                                       o: UnsafeMutablePointer<Float>, ldO: Int) where V.Scalar == Float {
        var o0: V = load(o), o1: V = load(o + ldO), o2: V = load(o + 2 * ldO), o3: V = load(o + 3 * ldO)
        var row = v
        for j in 0..<keys {
            let v0: V = load(row)
            o0 = o0.addingProduct(V(repeating: p[j]), v0)
            o1 = o1.addingProduct(V(repeating: p[ldP + j]), v0)
            o2 = o2.addingProduct(V(repeating: p[2 * ldP + j]), v0)
            o3 = o3.addingProduct(V(repeating: p[3 * ldP + j]), v0)
            row += ldV
        }
        store(o0, o); store(o1, o + ldO); store(o2, o + 2 * ldO); store(o3, o + 3 * ldO)
    }
}
