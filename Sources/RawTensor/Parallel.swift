import Dispatch
import Foundation

/// Process-wide settings for how RawTensor uses the machine's cores.
///
/// RawTensor runs all its parallel work on Dispatch's concurrent queue, in fixed chunks: convolutions
/// split into (image, row-chunk) units, large matrix products into fixed column blocks, elementwise
/// work into ranges. Each unit calls OpenBLAS **single-threaded**: RawTensor sets OpenBLAS to one
/// thread before its matrix products, because OpenBLAS's idle worker threads spin (`sched_yield`)
/// between calls and, measured on a 2-core machine, took about a third of the CPU from the work
/// running between products. Results never depend on the thread count or on scheduling: every
/// output element is computed by exactly one unit, whose blocks do not depend on the thread count,
/// and reductions add partial sums in a fixed order.
public enum ComputeConfiguration {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var _threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Frees the tensor buffers RawTensor keeps for reuse (up to 1 GB of freed activations and
    /// gradients, so that training steps do not page-fault on every allocation).
    public static func releaseCachedBuffers() {
        BufferPool.shared.drain()
    }

    /// The number of threads RawTensor's own parallel loops use (default: the active processor count).
    public static var threadCount: Int {
        lock.lock(); defer { lock.unlock() }
        return _threadCount
    }

    /// Sets the number of threads for RawTensor's parallel loops.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1, got \(count)")
        lock.lock()
        _threadCount = count
        lock.unlock()
    }
}

/// Deterministic parallel loops over index ranges.
enum Parallel {
    /// A thread count for the current task that takes precedence over ``ComputeConfiguration/threadCount``
    /// (used by tests, which run concurrently and must not change process-wide settings).
    @TaskLocal static var threadCountOverride: Int?

    /// The number of workers parallel loops use now.
    static var threadCount: Int { threadCountOverride ?? ComputeConfiguration.threadCount }

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

    /// Calls `body` on disjoint chunks covering `0..<count`, in parallel when there is enough work.
    ///
    /// `grain` is the smallest amount of work worth a separate chunk. Each index is visited by exactly
    /// one call, so results cannot depend on how the chunks are scheduled.
    static func forEachChunk(count: Int, grain: Int, parallel: Bool = true, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = parallel ? threadCount : 1
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        // Dispatch requires a @Sendable closure; the chunks write disjoint ranges, so sharing is safe.
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { work.value(lo..<hi) }
            }
        }
    }

    /// Sums `value(i)` over `0..<count` in Double, in fixed-size blocks added in order, so the
    /// result is the same for any thread count.
    static func sum(count: Int, block: Int = 16_384, _ partial: (Range<Int>) -> Double) -> Double {
        guard count > 0 else { return 0 }
        let blocks = (count + block - 1) / block
        if blocks == 1 { return partial(0..<count) }
        var partials = [Double](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            forEachChunk(count: blocks, grain: 1) { range in
                for b in range { o[b] = partial(b * block..<min(count, (b + 1) * block)) }
            }
        }
        return partials.reduce(0, +)
    }
}

/// Carries a value into a `@Sendable` closure where the caller guarantees data-race freedom.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
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
