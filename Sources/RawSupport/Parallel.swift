import Dispatch
import Foundation

/// The thread count every raw2raw module's parallel loops use.
///
/// The public face of this setting is `ComputeConfiguration` in RawCore; this is its storage,
/// shared by every module through `package` access. Not a stable API.
package enum ThreadSettings {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var processThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// A thread count for the current task that takes precedence over the process-wide one.
    @TaskLocal package static var taskThreadCount: Int?

    /// The process-wide thread count (default: the active processor count).
    package static var processWide: Int {
        get { lock.lock(); defer { lock.unlock() }; return processThreadCount }
        set {
            precondition(newValue >= 1, "the thread count must be at least 1, got \(newValue)")
            lock.lock(); processThreadCount = newValue; lock.unlock()
        }
    }

    /// The number of workers parallel loops use now: the task's count, else the process-wide one.
    package static var current: Int { taskThreadCount ?? processWide }
}

/// Deterministic parallel loops over index ranges, shared by every module.
///
/// Work is split into chunks whose boundaries depend only on the count, the grain and the thread
/// count; every index is visited by exactly one call, so results written per index never depend
/// on scheduling. Closures are not `@Sendable`: callers give each index its own output and only
/// read shared data, which is what makes the concurrent calls safe. No closure escapes.
package enum Parallel {
    /// The number of workers parallel loops use now (``ThreadSettings/current``).
    package static var threadCount: Int { ThreadSettings.current }

    /// Calls `body` on disjoint chunks covering `0..<count`, in parallel when there is at least
    /// `grain` work per chunk (serially when `parallel` is false or there is one chunk).
    package static func forEachChunk(count: Int, grain: Int, parallel: Bool = true, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = parallel ? threadCount : 1
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { work.value(lo..<hi) }
            }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, each index on its own work item (for a few
    /// large, uneven items such as whole images or candidate fits), returning when all have finished.
    package static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { work.value($0) }
        }
    }

    /// `transform(i)` for every `i` in `0..<count`, computed with ``forEach(_:_:)``, in index order.
    package static func map<T>(_ count: Int, _ transform: (Int) -> T) -> [T] {
        let slots = ResultSlots<T>(count: count)
        slots.withSlots { set in forEach(count) { set($0, transform($0)) } }
        return slots.values
    }

    /// Sums `partial(range)` over `0..<count` in Double, in fixed-size blocks added in order, so the
    /// result is the same for any thread count.
    package static func sum(count: Int, block: Int = 16_384, _ partial: (Range<Int>) -> Double) -> Double {
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
package struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The carried value.
    package let value: Value
    /// Wraps `value`.
    package init(_ value: Value) { self.value = value }
}

/// A fixed-size array that parallel workers fill at distinct indices.
///
/// Each index is written by exactly one worker (the caller guarantees it), so no lock is needed;
/// the pointer lives only inside ``withSlots(_:)``.
package final class ResultSlots<Element>: @unchecked Sendable {
    private var storage: [Element?]
    /// Creates `count` empty slots.
    package init(count: Int) { storage = Array(repeating: nil, count: count) }
    /// Calls `body` with a writer that stores a value at an index.
    package func withSlots<R>(_ body: (_ set: (Int, Element) -> Void) -> R) -> R {
        storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            return body { i, v in (base + i).pointee = v }
        }
    }
    /// The values, in index order (every slot must have been written).
    package var values: [Element] {
        storage.map { v in
            guard let v else { preconditionFailure("a parallel result slot was never written") }
            return v
        }
    }
}
