// The one file of RawTensor that calls C: OpenBLAS through the internal `CBLAS` module.
// Nothing here is public API.
internal import CBLAS
import Foundation

/// Thin, checked wrappers around the OpenBLAS calls RawTensor makes.
///
/// `cblas_sgemm` returns nothing and reports bad arguments by printing through `xerbla`, so every
/// argument is checked here with a `precondition` first: a bad call is a programming mistake of
/// this module, never a runtime condition to recover from.
enum BLAS {
    /// Row-major single-precision GEMM, `C = alpha * op(A) * op(B) + beta * C`, wrapping `cblas_sgemm`.
    ///
    /// `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`; leading dimensions are row strides.
    static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size \(m)x\(n)x\(k)")
        if m == 0 || n == 0 { return }
        precondition(lda >= max(1, transposeA ? m : k), "sgemm: lda \(lda) too small")
        precondition(ldb >= max(1, transposeB ? k : n), "sgemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max)
                     && lda <= Int(Int32.max) && ldb <= Int(Int32.max) && ldc <= Int(Int32.max),
                     "sgemm: size exceeds the 32-bit BLAS interface")
        if k == 0 {
            // C = beta * C (BLAS would do the same; done here to keep the contract explicit).
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
            }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Makes OpenBLAS run each call on the calling thread, once per process, the first time
    /// RawTensor calls BLAS (`openblas_set_num_threads(1)`), unless the environment variable
    /// `OPENBLAS_NUM_THREADS` is set; RawTensor parallelises across calls itself (see
    /// ``ComputeConfiguration``). Later changes by the program are left alone.
    static func ensureSingleThreaded() { _ = configured }

    private static let configured: Void = {
        if getenv("OPENBLAS_NUM_THREADS") == nil { openblas_set_num_threads(1) }
    }()
}
