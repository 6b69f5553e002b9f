import Dispatch
import Foundation

/// Process-wide settings for how RawTensor uses the machine's cores.
///
/// Matrix products run on OpenBLAS's own threads; RawTensor's other loops (im2col, pooling,
/// elementwise work) split their work into fixed chunks on Dispatch's concurrent queue. Results never
/// depend on these settings or on scheduling: every output element is computed by exactly one
/// chunk, and reductions add partial sums in a fixed order.
public enum ComputeConfiguration {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var _threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The number of threads RawTensor's own parallel loops use (default: the active processor count).
    public static var threadCount: Int {
        lock.lock(); defer { lock.unlock() }
        return _threadCount
    }

    /// Sets the number of threads for RawTensor's parallel loops and for OpenBLAS (`openblas_set_num_threads`).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1, got \(count)")
        lock.lock()
        _threadCount = count
        lock.unlock()
        BLAS.setThreadCount(count)
    }

    /// The number of threads OpenBLAS uses for matrix products.
    public static var blasThreadCount: Int { BLAS.threadCount }
}

/// Deterministic parallel loops over index ranges.
enum Parallel {
    /// A thread count for the current task that takes precedence over ``ComputeConfiguration/threadCount``
    /// (used by tests, which run concurrently and must not change process-wide settings).
    @TaskLocal static var threadCountOverride: Int?

    /// Calls `body` on disjoint chunks covering `0..<count`, in parallel when there is enough work.
    ///
    /// `grain` is the smallest amount of work worth a separate chunk. Each index is visited by exactly
    /// one call, so results cannot depend on how the chunks are scheduled.
    static func forEachChunk(count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = threadCountOverride ?? ComputeConfiguration.threadCount
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
