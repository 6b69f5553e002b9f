import RawSupport
/// Checks an `[N, C, H, W]` shape for pooling and returns the pooled height and width.
private func pooledSize(_ shape: [Int], _ size: Int, _ name: String) -> (Int, Int) {
    precondition(shape.count == 4, "\(name) needs an [N, C, H, W] tensor, got \(shape)")
    precondition(size >= 1, "\(name): window size must be >= 1, got \(size)")
    precondition(shape[2] >= size && shape[3] >= size, "\(name): input \(shape[2])x\(shape[3]) smaller than the \(size)x\(size) window")
    return (shape[2] / size, shape[3] / size)
}

/// Max pooling over non-overlapping `size x size` windows (stride `size`); trailing rows or columns
/// that do not fill a window are dropped, as in PyTorch.
public func maxPool2d(_ input: Tensor, size: Int = 2) -> Tensor {
    let (ho, wo) = pooledSize(input.shape, size, "maxPool2d")
    let h = input.shape[2], w = input.shape[3], planes = input.shape[0] * input.shape[1]
    let out = Tensor(uninitializedShape: [input.shape[0], input.shape[1], ho, wo])
    let p = input.storage.pointer, o = out.storage.pointer
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(h * w, 1))) { range in
        for plane in range {
            let src = p + plane * h * w, dst = o + plane * ho * wo
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var m = src[oy * size * w + ox * size]
                    for dy in 0..<size {
                        let row = src + (oy * size + dy) * w + ox * size
                        for dx in 0..<size where row[dx] > m || row[dx].isNaN { m = row[dx] }
                    }
                    dst[oy * wo + ox] = m
                }
            }
        }
    }
    withExtendedLifetime(input) {}
    return out
}

/// The gradient of `maxPool2d(_:size:)`: each window's gradient goes to the first element (in
/// row-major order) that equals the window's maximum.
public func maxPool2dBackward(gradOutput: Tensor, input: Tensor, output: Tensor, size: Int = 2) -> Tensor {
    let (ho, wo) = pooledSize(input.shape, size, "maxPool2dBackward")
    precondition(gradOutput.shape == output.shape && output.shape == [input.shape[0], input.shape[1], ho, wo],
                 "maxPool2dBackward: shapes \(gradOutput.shape), \(output.shape) do not match input \(input.shape)")
    let h = input.shape[2], w = input.shape[3], planes = input.shape[0] * input.shape[1]
    let dx = Tensor.zeros(input.shape)
    let p = input.storage.pointer, o = output.storage.pointer, g = gradOutput.storage.pointer, d = dx.storage.pointer
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(h * w, 1))) { range in
        for plane in range {
            let src = p + plane * h * w, dst = d + plane * h * w
            let out = o + plane * ho * wo, grad = g + plane * ho * wo
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let m = out[oy * wo + ox]
                    search: for dy in 0..<size {
                        let base = (oy * size + dy) * w + ox * size
                        for dx in 0..<size where src[base + dx] == m || (m.isNaN && src[base + dx].isNaN) {
                            dst[base + dx] = grad[oy * wo + ox]
                            break search
                        }
                    }
                }
            }
        }
    }
    withExtendedLifetime((gradOutput, input, output)) {}
    return dx
}

/// Average pooling over non-overlapping `size x size` windows (stride `size`).
public func averagePool2d(_ input: Tensor, size: Int = 2) -> Tensor {
    let (ho, wo) = pooledSize(input.shape, size, "averagePool2d")
    let h = input.shape[2], w = input.shape[3], planes = input.shape[0] * input.shape[1]
    let out = Tensor(uninitializedShape: [input.shape[0], input.shape[1], ho, wo])
    let p = input.storage.pointer, o = out.storage.pointer
    let scale = 1 / Float(size * size)
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(h * w, 1))) { range in
        for plane in range {
            let src = p + plane * h * w, dst = o + plane * ho * wo
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var s: Float = 0
                    for dy in 0..<size {
                        let row = src + (oy * size + dy) * w + ox * size
                        for dx in 0..<size { s += row[dx] }
                    }
                    dst[oy * wo + ox] = s * scale
                }
            }
        }
    }
    withExtendedLifetime(input) {}
    return out
}

/// The gradient of `averagePool2d(_:size:)`: each window's gradient spread evenly over it.
public func averagePool2dBackward(gradOutput: Tensor, inputShape: [Int], size: Int = 2) -> Tensor {
    let (ho, wo) = pooledSize(inputShape, size, "averagePool2dBackward")
    precondition(gradOutput.shape == [inputShape[0], inputShape[1], ho, wo],
                 "averagePool2dBackward: gradOutput \(gradOutput.shape) does not match input \(inputShape)")
    let h = inputShape[2], w = inputShape[3], planes = inputShape[0] * inputShape[1]
    let dx = Tensor.zeros(inputShape)
    let g = gradOutput.storage.pointer, d = dx.storage.pointer
    let scale = 1 / Float(size * size)
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(h * w, 1))) { range in
        for plane in range {
            let dst = d + plane * h * w, grad = g + plane * ho * wo
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let v = grad[oy * wo + ox] * scale
                    for dy in 0..<size {
                        let row = dst + (oy * size + dy) * w + ox * size
                        for dx in 0..<size { row[dx] = v }
                    }
                }
            }
        }
    }
    withExtendedLifetime(gradOutput) {}
    return dx
}
