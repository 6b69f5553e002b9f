import Dispatch
import Foundation

/// Runs `body(i)` for `i` in `0..<count` on all cores (serially when `count` is 1), returning
/// when every call has finished.
///
/// `body` is not `@Sendable`: callers give each index its own output range or slot and only read
/// shared data, which is what makes the concurrent calls safe. The closure does not escape.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 0 { return }
    if count == 1 { body(0); return }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}

/// Carries a value the caller knows to be safe to share across the workers of ``parallelFor(_:_:)``.
private struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The number of workers to split data-parallel work into.
var workerCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// A fixed-size array that parallel workers fill at distinct indices.
///
/// Each index is written by exactly one worker (the caller guarantees it), so no lock is needed;
/// the pointer lives only inside ``withSlots(_:)``.
final class ResultSlots<Element>: @unchecked Sendable {
    private var storage: [Element?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    /// Calls `body` with a writer that stores a value at an index.
    func withSlots<R>(_ body: (_ set: (Int, Element) -> Void) -> R) -> R {
        storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            return body { i, v in (base + i).pointee = v }
        }
    }
    /// The values, in index order (every slot must have been written).
    var values: [Element] { storage.map { $0! } }
}
