import RawSupport
extension Tensor {
    /// The same elements with a new shape of equal element count; one size may be `-1` (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            precondition(newShape.filter({ $0 == -1 }).count == 1, "reshaped: at most one -1 in \(newShape)")
            let known = newShape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshaped: cannot infer \(newShape) from \(count) elements")
            resolved[hole] = count / known
        }
        precondition(Tensor.elementCount(of: resolved) == count,
                     "reshaped: shape \(resolved) has \(Tensor.elementCount(of: resolved)) elements, tensor has \(count)")
        return Tensor(shape: resolved, storage: storage)
    }

    /// Items `range` of the outermost (batch) axis, as a new tensor.
    public subscript(batch range: Range<Int>) -> Tensor {
        precondition(rank >= 1, "batch slicing needs rank >= 1")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "batch range \(range) out of 0..<\(shape[0])")
        let item = count / Swift.max(shape[0], 1)
        var newShape = shape
        newShape[0] = range.count
        let out = Tensor(uninitializedShape: newShape)
        if out.count > 0 {
            out.storage.pointer.initialize(from: storage.pointer + range.lowerBound * item, count: out.count)
        }
        return out
    }

    /// Item `index` of the outermost (batch) axis, keeping that axis with size 1.
    public subscript(batch index: Int) -> Tensor { self[batch: index..<(index + 1)] }

    /// Joins tensors along `axis`; all other sizes must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0].shape
        precondition(axis >= 0 && axis < first.count, "concatenate: axis \(axis) out of range for shape \(first)")
        var total = 0
        for t in tensors {
            precondition(t.rank == first.count && t.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first[$0.offset] },
                         "concatenate along \(axis): shapes \(tensors.map(\.shape)) differ off that axis")
            total += t.shape[axis]
        }
        var shape = first
        shape[axis] = total
        let out = Tensor(uninitializedShape: shape)
        let outer = first[..<axis].reduce(1, *)
        let inner = first[(axis + 1)...].reduce(1, *)
        let po = out.storage.pointer
        let outRow = total * inner
        Parallel.forEachChunk(count: outer, grain: Swift.max(1, (1 << 16) / Swift.max(outRow, 1))) { range in
            for o in range {
                var offset = 0
                for t in tensors {
                    let n = t.shape[axis] * inner
                    (po + o * outRow + offset).update(from: t.storage.pointer + o * n, count: n)
                    offset += n
                }
            }
        }
        withExtendedLifetime(tensors) {}
        return out
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to that axis's size).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        precondition(axis >= 0 && axis < rank, "split: axis \(axis) out of range for shape \(shape)")
        precondition(sizes.reduce(0, +) == shape[axis] && sizes.allSatisfy { $0 >= 0 },
                     "split: sizes \(sizes) do not add up to \(shape[axis]) on axis \(axis)")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let row = shape[axis] * inner
        var result: [Tensor] = []
        var offset = 0
        for s in sizes {
            var piece = shape
            piece[axis] = s
            let out = Tensor(uninitializedShape: piece)
            let po = out.storage.pointer, p = storage.pointer, n = s * inner, start = offset
            Parallel.forEachChunk(count: outer, grain: Swift.max(1, (1 << 16) / Swift.max(n, 1))) { range in
                for o in range { (po + o * n).update(from: p + o * row + start, count: n) }
            }
            result.append(out)
            offset += n
        }
        withExtendedLifetime(self) {}
        return result
    }

    /// The axes reordered: axis `i` of the result is axis `permutation[i]` of this tensor.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.count == rank && Set(permutation) == Set(0..<rank),
                     "permuted: \(permutation) is not a permutation of 0..<\(rank)")
        let newShape = permutation.map { shape[$0] }
        let out = Tensor(uninitializedShape: newShape)
        var srcStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { srcStrides[i] = srcStrides[i + 1] * shape[i + 1] }
        let strides = permutation.map { srcStrides[$0] }
        let p = storage.pointer, po = out.storage.pointer
        forEachBroadcastRun(shape: newShape, stridesA: strides, stridesB: strides) { o, ia, _, n, sa, _ in
            for i in 0..<n { po[o + i] = p[ia + i * sa] }
        }
        withExtendedLifetime(self) {}
        return out
    }

    /// The transpose of a matrix (rank 2).
    public var transposed: Tensor {
        precondition(rank == 2, "transposed needs a matrix, shape is \(shape)")
        return permuted([1, 0])
    }

    /// Creates an `[N, C, H, W]` tensor from channel-last (`[N, H, W, C]`, row-major) values, as
    /// images are usually stored (for example interleaved RGB, or packed raw R, Gr, Gb, B).
    public init(channelsLast values: [Float], batch: Int = 1, height: Int, width: Int, channels: Int) {
        let nhwc = Tensor(shape: [batch, height, width, channels], values: values)
        self = nhwc.permuted([0, 3, 1, 2])
    }

    /// The elements of an `[N, C, H, W]` tensor in channel-last (`[N, H, W, C]`) row-major order.
    public func channelsLastScalars() -> [Float] {
        precondition(rank == 4, "channelsLastScalars needs an [N, C, H, W] tensor, shape is \(shape)")
        return permuted([0, 2, 3, 1]).scalars
    }
}

extension Tensor {
    /// The `height x width` window at (`top`, `left`) of the last two axes (e.g. a training patch
    /// of an `[N, C, H, W]` batch).
    public func cropped(top: Int, left: Int, height: Int, width: Int) -> Tensor {
        precondition(rank >= 2, "cropped needs at least two axes, shape is \(shape)")
        let h = shape[rank - 2], w = shape[rank - 1]
        precondition(top >= 0 && left >= 0 && height >= 0 && width >= 0 && top + height <= h && left + width <= w,
                     "crop \(height)x\(width) at (\(top), \(left)) outside \(h)x\(w)")
        var newShape = shape
        newShape[rank - 2] = height
        newShape[rank - 1] = width
        let out = Tensor(uninitializedShape: newShape)
        let planes = count / Swift.max(h * w, 1)
        let p = storage.pointer, o = out.storage.pointer
        Parallel.forEachChunk(count: planes, grain: Swift.max(1, 16384 / Swift.max(height * width, 1))) { range in
            for plane in range {
                for y in 0..<height {
                    (o + (plane * height + y) * width).update(from: p + plane * h * w + (top + y) * w + left, count: width)
                }
            }
        }
        withExtendedLifetime(self) {}
        return out
    }

    /// The elements in reverse order along `axis` (for example axis 3 of `[N, C, H, W]` mirrors images
    /// left to right).
    public func flipped(alongAxis axis: Int) -> Tensor {
        precondition(axis >= 0 && axis < rank, "flipped: axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<axis].reduce(1, *), size = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: shape)
        let p = storage.pointer, o = out.storage.pointer
        Parallel.forEachChunk(count: outer, grain: Swift.max(1, 16384 / Swift.max(size * inner, 1))) { range in
            for a in range {
                for i in 0..<size {
                    let src = p + (a * size + i) * inner, dst = o + (a * size + size - 1 - i) * inner
                    if inner == 1 { dst.pointee = src.pointee } else { dst.update(from: src, count: inner) }
                }
            }
        }
        withExtendedLifetime(self) {}
        return out
    }
}
