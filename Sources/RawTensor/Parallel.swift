import Dispatch
import Foundation
import RawCore
import RawSupport

extension ComputeConfiguration {
    /// Frees the tensor buffers RawTensor keeps for reuse (up to 1 GB of freed activations and
    /// gradients, so that training steps do not page-fault on every allocation).
    public static func releaseCachedBuffers() {
        BufferPool.shared.drain()
    }
}

/// RawTensor's parallel matrix products, on RawSupport's deterministic parallel loops
/// (``ComputeConfiguration/threadCount`` workers).
extension Parallel {
    /// A matrix product split into fixed blocks of columns (or rows) computed by single-threaded
    /// `sgemm` calls on the parallel workers.
    ///
    /// The blocks do not depend on the thread count, so neither do the results.
    static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let block = 256
        if n >= 2 * block && m * k >= 4096 {
            let blocks = (n + block - 1) / block
            forEachChunk(count: blocks, grain: 1) { range in
                for i in range {
                    let j0 = i * block, width = min(block, n - j0)
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: width, k: k, alpha: alpha,
                               a: a, lda: lda, b: transposeB ? b + j0 * ldb : b + j0, ldb: ldb,
                               beta: beta, c: c + j0, ldc: ldc)
                }
            }
        } else if m >= 2 * block && n * k >= 4096 {
            let blocks = (m + block - 1) / block
            forEachChunk(count: blocks, grain: 1) { range in
                for i in range {
                    let i0 = i * block, height = min(block, m - i0)
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: height, n: n, k: k, alpha: alpha,
                               a: transposeA ? a + i0 : a + i0 * lda, lda: lda, b: b, ldb: ldb,
                               beta: beta, c: c + i0 * ldc, ldc: ldc)
                }
            }
        } else {
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

/// Vectorised sums in a fixed order (eight lanes, then the lanes in order), so results are reproducible.
enum Reduce {
    /// The sum of `count` values.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }

    /// The sum of `|a - b|`, `(a - b)^2` or `sqrt((a - b)^2 + e2)` over `count` values.
    @inline(__always)
    static func lossSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, kind: Int, e2: Float) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        let e = SIMD8<Float>(repeating: e2)
        while i + 8 <= count {
            let d = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            switch kind {
            case 0: acc += d.replacing(with: -d, where: d .< 0)
            case 1: acc += d * d
            default: acc += (d * d + e).squareRoot()
            }
            i += 8
        }
        var s = acc.sum()
        while i < count {
            let d = a[i] - b[i]
            switch kind {
            case 0: s += Swift.abs(d)
            case 1: s += d * d
            default: s += (d * d + e2).squareRoot()
            }
            i += 1
        }
        return s
    }
}
