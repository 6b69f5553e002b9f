// The one file of the Calibration module that calls C: LAPACKE (least squares) and CBLAS
// (applying mappings). Every function names the C routine it wraps, and LAPACK's `info` codes
// become `CalibrationError.lapack`. Matrices are passed as pointers that the caller obtained
// inside a `withUnsafe…` closure; nothing here stores a pointer. On Apple platforms this is the
// file that would switch to Accelerate.
internal import CBLAS
internal import CLAPACKE

/// Internal LAPACK entry points (column-major, Double).
enum LAPACK {
    /// Converts a Swift size to LAPACK's 32-bit `lapack_int`, trapping on overflow (a programming error).
    @inline(__always)
    static func int(_ value: Int) -> Int32 {
        precondition(value >= 0 && value <= Int(Int32.max), "matrix dimension \(value) does not fit LAPACK's 32-bit integers")
        return Int32(value)
    }

    /// Householder QR factorization in place with the compact WY representation, `A = Q R`:
    /// wraps `LAPACKE_dgeqrt_work` (column-major).
    ///
    /// Panels of `blockSize` columns are factored by LAPACK's recursive `dgeqrt3`, which works
    /// through matrix-matrix BLAS (`dgemm`, `dtrmm`) rather than the vector operations of
    /// `dgeqrf`'s panels. On return the upper triangle of the first `min(rows, columns)` rows of
    /// `matrix` holds `R`; below it are the Householder vectors.
    /// - Parameters:
    ///   - t: at least `blockSize x min(rows, columns)` elements (the block reflectors' factors).
    ///   - work: at least `blockSize x columns` elements.
    static func qrFactorizeBlocked(rows: Int, columns: Int, blockSize: Int, matrix: UnsafeMutablePointer<Double>,
                                   leadingDimension: Int, t: UnsafeMutablePointer<Double>,
                                   work: UnsafeMutablePointer<Double>) throws(CalibrationError) {
        let info = LAPACKE_dgeqrt_work(LAPACK_COL_MAJOR, int(rows), int(columns), int(blockSize), matrix,
                                       int(leadingDimension), t, int(blockSize), work)
        guard info == 0 else { throw .lapack(routine: "dgeqrt", info: Int(info)) }
    }

    /// Minimum-norm least squares by the singular value decomposition (divide and conquer):
    /// wraps `LAPACKE_dgelsd` (column-major).
    ///
    /// Solves `min ‖A X − B‖` for the `rows x columns` matrix `A` and `rows x rightHandSides` `B`.
    /// Singular values `s[i] <= rankTolerance * s[0]` count as zero.
    /// - Returns: the numerical rank and LAPACK's `info` (always 0 when it returns; failures throw).
    ///   `a` is destroyed, the first `columns` rows of `b` hold `X`, `singularValues` (at least
    ///   `min(rows, columns)` elements) the singular values of `A` in decreasing order.
    static func leastSquaresSVD(rows: Int, columns: Int, rightHandSides: Int,
                                a: UnsafeMutablePointer<Double>, leadingDimensionA: Int,
                                b: UnsafeMutablePointer<Double>, leadingDimensionB: Int,
                                singularValues: UnsafeMutablePointer<Double>,
                                rankTolerance: Double) throws(CalibrationError) -> (rank: Int, info: Int) {
        var rank: Int32 = 0
        let info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, int(rows), int(columns), int(rightHandSides),
                                  a, int(leadingDimensionA), b, int(leadingDimensionB),
                                  singularValues, rankTolerance, &rank)
        guard info == 0 else { throw .lapack(routine: "dgelsd", info: Int(info)) }
        return (Int(rank), Int(info))
    }
}

/// Internal BLAS entry points (row-major).
enum BLAS {
    /// `C = Aᵀ B + beta C` in single precision, row-major: wraps `cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, …)`.
    ///
    /// `a` is `k x m` (so `Aᵀ` is `m x k`), `b` is `k x n`, `c` is `m x n`, with the given row strides.
    static func sgemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                 b: UnsafePointer<Float>, ldb: Int, beta: Float,
                                 c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, LAPACK.int(m), LAPACK.int(n), LAPACK.int(k),
                    1, a, LAPACK.int(lda), b, LAPACK.int(ldb), beta, c, LAPACK.int(ldc))
    }

    /// `C = A B + beta C` in single precision, row-major: wraps `cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, …)`.
    ///
    /// `a` is `m x k`, `b` is `k x n`, `c` is `m x n`, with the given row strides.
    static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float,
                      c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, LAPACK.int(m), LAPACK.int(n), LAPACK.int(k),
                    1, a, LAPACK.int(lda), b, LAPACK.int(ldb), beta, c, LAPACK.int(ldc))
    }

    /// `C = Aᵀ B + beta C` in double precision, row-major: wraps `cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, …)`.
    static func dgemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                                 b: UnsafePointer<Double>, ldb: Int, beta: Double,
                                 c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, LAPACK.int(m), LAPACK.int(n), LAPACK.int(k),
                    1, a, LAPACK.int(lda), b, LAPACK.int(ldb), beta, c, LAPACK.int(ldc))
    }

    /// `C = A B + beta C` in double precision, row-major: wraps `cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, …)`.
    static func dgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                      b: UnsafePointer<Double>, ldb: Int, beta: Double,
                      c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, LAPACK.int(m), LAPACK.int(n), LAPACK.int(k),
                    1, a, LAPACK.int(lda), b, LAPACK.int(ldb), beta, c, LAPACK.int(ldc))
    }
}
