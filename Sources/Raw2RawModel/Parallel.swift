import Dispatch
import Foundation

/// A pointer handed to parallel workers that write disjoint elements; lives only for one call.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// A read-only pointer handed to parallel workers; lives only for one call.
struct SharedReadPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
}

/// Runs `body` on contiguous chunks of `0..<count`, in parallel over the active cores when there
/// is at least `grain` work per chunk. Chunk boundaries depend only on `count`, `grain` and the
/// number of cores, so results that are written per element are deterministic.
func parallelChunks(count: Int, grain: Int, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / max(grain, 1)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = count * c / chunks, hi = count * (c + 1) / chunks
        if lo < hi { body(lo..<hi) }
    }
}
