/// A dense, row-major array of `Float` values with a shape, and value semantics.
///
/// Image batches use the `[N, C, H, W]` layout (batch, channel, row, column); lower ranks are
/// used where natural (a bias is `[C]`, a matrix `[rows, columns]`, a scalar `[]`). Copies share
/// storage until one of them is written (copy-on-write), so passing tensors around is cheap.
///
/// ```swift
/// var x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
/// x[1, 2] = 10
/// let y = (x * 2).sum()   // scalar tensor, 50
/// ```
public struct Tensor: Sendable {
    /// The size of each axis, outermost first.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Creates a tensor from a shape and row-major values; `values.count` must equal the shape's product.
    public init(shape: [Int], values: [Float]) {
        let n = Tensor.elementCount(of: shape)
        precondition(values.count == n, "Tensor of shape \(shape) needs \(n) values, got \(values.count)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: n)
        values.withUnsafeBufferPointer { src in
            if n > 0 { storage.pointer.initialize(from: src.baseAddress!, count: n) }
        }
    }

    /// Creates a tensor from a shape and a flat row-major buffer of values; `values.count` must
    /// equal the shape's product. Internal: the public API takes arrays, never unsafe pointers.
    init(shape: [Int], values: UnsafeBufferPointer<Float>) {
        let n = Tensor.elementCount(of: shape)
        precondition(values.count == n, "Tensor of shape \(shape) needs \(n) values, got \(values.count)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: n)
        if n > 0 { storage.pointer.initialize(from: values.baseAddress!, count: n) }
    }

    /// Creates a tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(of: shape), repeating: value)
    }

    /// Creates a 0-dimensional (scalar) tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], repeating: scalar)
    }

    /// Creates a tensor whose elements are left uninitialised: every element must be written
    /// before it is read.
    @usableFromInline
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Tensor.elementCount(of: shape))
    }

    @usableFromInline
    init(shape: [Int], storage: TensorStorage) {
        precondition(Tensor.elementCount(of: shape) == storage.count, "internal: shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// The product of `shape`'s sizes, checked for negative sizes and overflow.
    @usableFromInline
    static func elementCount(of shape: [Int]) -> Int {
        var n = 1
        for s in shape {
            precondition(s >= 0, "Tensor shape \(shape) has a negative size")
            let (p, overflow) = n.multipliedReportingOverflow(by: s)
            precondition(!overflow, "Tensor shape \(shape) has too many elements")
            n = p
        }
        return n
    }

    /// The number of elements, the product of ``shape``.
    @inlinable public var count: Int { storage.count }

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }

    /// All elements in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The single element of a tensor with one element (of any rank).
    public var item: Float {
        precondition(count == 1, "item needs a tensor with one element, shape is \(shape)")
        return storage.pointer[0]
    }

    /// Calls `body` with the elements in row-major order; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        let result = try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
        withExtendedLifetime(storage) {}
        return result
    }

    /// Calls `body` with mutable access to the elements (copying shared storage first); the pointer is
    /// valid only inside `body`.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        makeUnique()
        let result = try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        withExtendedLifetime(storage) {}
        return result
    }

    /// Makes this tensor the sole owner of its storage.
    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The row-major offset of a multi-index.
    @usableFromInline
    func offset(of indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "Tensor of rank \(rank) indexed with \(indices.count) indices")
        var offset = 0
        for (i, (index, size)) in zip(indices, shape).enumerated() {
            precondition(index >= 0 && index < size, "Index \(index) out of range 0..<\(size) on axis \(i)")
            offset = offset * size + index
        }
        return offset
    }

    /// The element at a multi-index (one index per axis).
    public subscript(indices: Int...) -> Float {
        get { storage.pointer[offset(of: indices)] }
        set {
            let o = offset(of: indices)
            makeUnique()
            storage.pointer[o] = newValue
        }
    }
}

extension Tensor: Equatable {
    /// Two tensors are equal when their shapes and all elements are equal.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return true }
        for i in 0..<lhs.count where lhs.storage.pointer[i] != rhs.storage.pointer[i] { return false }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and (for small tensors) the values.
    public var description: String {
        let values = scalars
        if values.count <= 16 { return "Tensor(shape: \(shape), values: \(values))" }
        return "Tensor(shape: \(shape), values: \(values.prefix(8))...)"
    }
}
