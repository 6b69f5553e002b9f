import RawSupport
/// Nearest-neighbour upsampling of an `[N, C, H, W]` tensor by an integer `scale` on both axes.
public func upsampleNearest2d(_ input: Tensor, scale: Int = 2) -> Tensor {
    precondition(input.rank == 4, "upsampleNearest2d needs an [N, C, H, W] tensor, got \(input.shape)")
    precondition(scale >= 1, "upsampleNearest2d: scale must be >= 1, got \(scale)")
    let h = input.shape[2], w = input.shape[3], planes = input.shape[0] * input.shape[1]
    let ho = h * scale, wo = w * scale
    let out = Tensor(uninitializedShape: [input.shape[0], input.shape[1], ho, wo])
    let p = input.storage.pointer, o = out.storage.pointer
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(ho * wo, 1))) { range in
        for plane in range {
            let src = p + plane * h * w, dst = o + plane * ho * wo
            for y in 0..<h {
                let row = dst + y * scale * wo, s = src + y * w
                if scale == 2 {
                    for x in 0..<w { let v = s[x]; row[2 * x] = v; row[2 * x + 1] = v }
                } else {
                    for x in 0..<w { let v = s[x]; for k in 0..<scale { row[x * scale + k] = v } }
                }
                for k in 1..<scale { (row + k * wo).update(from: row, count: wo) }
            }
        }
    }
    withExtendedLifetime(input) {}
    return out
}

/// The gradient of `upsampleNearest2d(_:scale:)`: the sum over each `scale x scale` block.
public func upsampleNearest2dBackward(gradOutput: Tensor, scale: Int = 2) -> Tensor {
    precondition(gradOutput.rank == 4 && gradOutput.shape[2] % scale == 0 && gradOutput.shape[3] % scale == 0,
                 "upsampleNearest2dBackward: gradOutput \(gradOutput.shape) is not a \(scale)x upsampling")
    let ho = gradOutput.shape[2], wo = gradOutput.shape[3], h = ho / scale, w = wo / scale
    let planes = gradOutput.shape[0] * gradOutput.shape[1]
    let dx = Tensor(uninitializedShape: [gradOutput.shape[0], gradOutput.shape[1], h, w])
    let g = gradOutput.storage.pointer, d = dx.storage.pointer
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(ho * wo, 1))) { range in
        for plane in range {
            let src = g + plane * ho * wo, dst = d + plane * h * w
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    for dy in 0..<scale { for dx in 0..<scale { s += src[(y * scale + dy) * wo + x * scale + dx] } }
                    dst[y * w + x] = s
                }
            }
        }
    }
    withExtendedLifetime(gradOutput) {}
    return dx
}

/// Source index and weights of bilinear upsampling along one axis (PyTorch `align_corners=false`).
private func bilinearTaps(outputSize: Int, inputSize: Int, scale: Int) -> [(Int, Int, Float)] {
    (0..<outputSize).map { o in
        let src = max(0, (Float(o) + 0.5) / Float(scale) - 0.5)
        let i0 = min(Int(src), inputSize - 1)
        let i1 = min(i0 + 1, inputSize - 1)
        let f = src - Float(i0)
        return (i0, i1, f)
    }
}

/// Bilinear upsampling of an `[N, C, H, W]` tensor by an integer `scale` (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`).
public func upsampleBilinear2d(_ input: Tensor, scale: Int = 2) -> Tensor {
    precondition(input.rank == 4, "upsampleBilinear2d needs an [N, C, H, W] tensor, got \(input.shape)")
    precondition(scale >= 1, "upsampleBilinear2d: scale must be >= 1, got \(scale)")
    let h = input.shape[2], w = input.shape[3], planes = input.shape[0] * input.shape[1]
    let ho = h * scale, wo = w * scale
    let ty = bilinearTaps(outputSize: ho, inputSize: h, scale: scale)
    let tx = bilinearTaps(outputSize: wo, inputSize: w, scale: scale)
    let out = Tensor(uninitializedShape: [input.shape[0], input.shape[1], ho, wo])
    let p = input.storage.pointer, o = out.storage.pointer
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(ho * wo, 1))) { range in
        for plane in range {
            let src = p + plane * h * w, dst = o + plane * ho * wo
            for y in 0..<ho {
                let (y0, y1, fy) = ty[y]
                let r0 = src + y0 * w, r1 = src + y1 * w
                for x in 0..<wo {
                    let (x0, x1, fx) = tx[x]
                    let top = r0[x0] + fx * (r0[x1] - r0[x0])
                    let bottom = r1[x0] + fx * (r1[x1] - r1[x0])
                    dst[y * wo + x] = top + fy * (bottom - top)
                }
            }
        }
    }
    withExtendedLifetime(input) {}
    return out
}

/// The gradient of `upsampleBilinear2d(_:scale:)` (the transposed interpolation).
public func upsampleBilinear2dBackward(gradOutput: Tensor, scale: Int = 2) -> Tensor {
    precondition(gradOutput.rank == 4 && gradOutput.shape[2] % scale == 0 && gradOutput.shape[3] % scale == 0,
                 "upsampleBilinear2dBackward: gradOutput \(gradOutput.shape) is not a \(scale)x upsampling")
    let ho = gradOutput.shape[2], wo = gradOutput.shape[3], h = ho / scale, w = wo / scale
    let planes = gradOutput.shape[0] * gradOutput.shape[1]
    let ty = bilinearTaps(outputSize: ho, inputSize: h, scale: scale)
    let tx = bilinearTaps(outputSize: wo, inputSize: w, scale: scale)
    let dx = Tensor.zeros([gradOutput.shape[0], gradOutput.shape[1], h, w])
    let g = gradOutput.storage.pointer, d = dx.storage.pointer
    Parallel.forEachChunk(count: planes, grain: max(1, 16384 / max(ho * wo, 1))) { range in
        for plane in range {
            let src = g + plane * ho * wo, dst = d + plane * h * w
            for y in 0..<ho {
                let (y0, y1, fy) = ty[y]
                let r0 = dst + y0 * w, r1 = dst + y1 * w
                for x in 0..<wo {
                    let (x0, x1, fx) = tx[x]
                    let v = src[y * wo + x]
                    let top = v * (1 - fy), bottom = v * fy
                    r0[x0] += top * (1 - fx); r0[x1] += top * fx
                    r1[x0] += bottom * (1 - fx); r1[x1] += bottom * fx
                }
            }
        }
    }
    withExtendedLifetime(gradOutput) {}
    return dx
}
