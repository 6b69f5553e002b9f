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
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
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
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}
