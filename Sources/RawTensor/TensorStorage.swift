import Foundation

/// The heap buffer behind a ``Tensor``: `count` Float values, 64-byte aligned for vector loads.
///
/// A `Tensor` holds one of these and copies it before writing unless it is the only owner
/// (`isKnownUniquelyReferenced`), which gives tensors value semantics at the cost of one pointer.
/// The buffer is written only through a uniquely referenced storage, so sharing it across threads
/// for reading is safe.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int

    /// Allocates `count` values without initialising them (callers overwrite every element).
    @usableFromInline
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "Tensor storage needs a non-negative size, got \(count)")
        self.count = count
        self.pointer = BufferPool.shared.take(count: count)
    }

    /// Allocates `count` values, all equal to `value`.
    @usableFromInline
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// A copy of this buffer.
    @usableFromInline
    func copy() -> TensorStorage {
        let other = TensorStorage(uninitializedCount: count)
        other.pointer.initialize(from: pointer, count: count)
        return other
    }

    deinit {
        BufferPool.shared.give(pointer, count: count)
    }
}

/// Keeps freed large buffers for reuse by tensors of the same size.
///
/// A training step allocates the same activation and gradient shapes every time; reusing their
/// buffers avoids returning them to the system and taking page faults to get them back (large
/// allocations are `mmap`ed). Buffers under 256 KB go straight to the allocator. At most
/// ``capacityBytes`` are kept, and at most 16 buffers of one size.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    /// The most bytes kept for reuse.
    static let capacityBytes = 1 << 30
    private static let minimumCount = 1 << 16
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var keptBytes = 0

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func take(count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumCount {
            lock.lock()
            if let p = free[count]?.popLast() {
                keptBytes -= count * 4
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        return Self.allocate(count)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count >= Self.minimumCount {
            lock.lock()
            if keptBytes + count * 4 <= Self.capacityBytes, free[count, default: []].count < 16 {
                free[count, default: []].append(pointer)
                keptBytes += count * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Returns every kept buffer to the system.
    func drain() {
        lock.lock()
        let buffers = free.values.flatMap { $0 }
        free = [:]
        keptBytes = 0
        lock.unlock()
        for p in buffers { UnsafeMutableRawPointer(p).deallocate() }
    }
}
