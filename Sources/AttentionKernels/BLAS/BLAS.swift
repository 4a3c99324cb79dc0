import COpenBLAS

/// The only file that talks to OpenBLAS. Every matrix product in every kernel goes through
/// `BLAS.sgemm` or `BLAS.sgemv`; thread control and identification live here too.
///
/// All matrices are row-major. Pointers are taken once by the caller, outside its hot loop.
public enum BLAS {
    public enum Transpose: Sendable {
        case none
        case transpose

        @inline(__always) var cblas: CBLAS_TRANSPOSE {
            self == .none ? CblasNoTrans : CblasTrans
        }
    }

    /// C ← alpha · op(A) · op(B) + beta · C, with op(A) of shape [m, k] and op(B) of shape [k, n].
    @inline(__always)
    public static func sgemm(
        _ transposeA: Transpose, _ transposeB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
        cblas_sgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// y ← alpha · op(A) · x + beta · y with A of shape [rows, columns] (row-major).
    @inline(__always)
    public static func sgemv(
        _ transposeA: Transpose,
        rows: Int, columns: Int,
        alpha: Float,
        a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>,
        beta: Float,
        y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(
            CblasRowMajor, transposeA.cblas, blasint(rows), blasint(columns),
            alpha, a, blasint(lda), x, 1, beta, y, 1)
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        Int(openblas_get_num_threads())
    }

    /// Sets OpenBLAS's thread count (process-wide).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be >= 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// Runs `body` with OpenBLAS set to `count` threads, restoring the previous count after.
    /// Kernels that parallelise outside the GEMM call this with 1 around their parallel region.
    @inline(__always)
    public static func withThreadCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = openblas_get_num_threads()
        if previous != Int32(count) { openblas_set_num_threads(Int32(count)) }
        defer { if previous != Int32(count) { openblas_set_num_threads(previous) } }
        return try body()
    }

    /// The kernel core OpenBLAS selected at load time (e.g. "Haswell", "Cooperlake").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingWhitespace()
    }

    /// OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64".
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config).trimmingWhitespace()
    }

    /// The version number parsed from `configuration` ("0.3.21"), or "unknown".
    public static var version: String {
        let parts = configuration.split(separator: " ")
        if parts.count >= 2, parts[0] == "OpenBLAS" { return String(parts[1]) }
        return "unknown"
    }

    /// Processors OpenBLAS sees.
    public static var processorCount: Int { Int(openblas_get_num_procs()) }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
