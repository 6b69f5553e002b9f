import RawSupport

/// How raw2raw uses the machine's cores: one setting every module honours.
///
/// Every parallel loop of raw2raw (convolutions and matrix products in RawTensor, fitting and
/// applying colour mappings in Calibration, candidate fits and tiled inference in Raw2RawModel,
/// rendering in RawSynthesis) runs on Dispatch's concurrent queue with ``threadCount`` workers,
/// in chunks whose boundaries never change the results: every output element is computed by
/// exactly one chunk and reductions add partial sums in a fixed order, so results are the same
/// for every thread count.
///
/// **BLAS.** raw2raw calls OpenBLAS from its own workers, one product per worker, so it needs
/// OpenBLAS single-threaded: OpenBLAS's idle threads spin between calls and, measured on a
/// 2-core machine, took about a third of the CPU from the work in between. RawTensor therefore
/// sets OpenBLAS to one thread **once**, the first time it calls BLAS, unless the environment
/// variable `OPENBLAS_NUM_THREADS` is set (then OpenBLAS's own setting stands); Calibration keeps
/// each of its BLAS and LAPACK calls below OpenBLAS's multithreading thresholds instead. raw2raw
/// never changes the setting again, so a program may set it afterwards for its own BLAS work.
///
/// ```swift
/// ComputeConfiguration.threadCount = 1                     // the whole process
/// let mapped = ComputeConfiguration.withThreadCount(2) {   // this task only
///     mapping.apply(to: image)
/// }
/// ```
public enum ComputeConfiguration {
    /// The number of workers raw2raw's parallel loops use in this process (default: the active
    /// processor count; at least 1). A task-scoped count set by ``withThreadCount(_:_:)-2t3pb`` wins.
    public static var threadCount: Int {
        get { ThreadSettings.current }
        set { ThreadSettings.processWide = newValue }
    }

    /// Runs `operation` with `count` workers for raw2raw's parallel loops in this task and the
    /// tasks it creates, leaving the process-wide setting alone (for tests running concurrently,
    /// and servers that share the cores between requests).
    public static func withThreadCount<R>(_ count: Int, _ operation: () throws -> R) rethrows -> R {
        precondition(count >= 1, "the thread count must be at least 1, got \(count)")
        return try ThreadSettings.$taskThreadCount.withValue(count) { try operation() }
    }

    /// Runs the asynchronous `operation` with `count` workers, as ``withThreadCount(_:_:)-2t3pb``.
    public static func withThreadCount<R>(_ count: Int, _ operation: () async throws -> R) async rethrows -> R {
        precondition(count >= 1, "the thread count must be at least 1, got \(count)")
        return try await ThreadSettings.$taskThreadCount.withValue(count) { try await operation() }
    }
}
