import RawIO

extension PackedImage {
    /// Copies the `size x size` window at (`y`, `x`) into `destination` in channel-first order
    /// (`[4, size, size]`), flipped left-right and/or upside-down.
    func copyPatch(y: Int, x: Int, size: Int, flipHorizontal: Bool, flipVertical: Bool,
                   into destination: UnsafeMutablePointer<Float>) {
        precondition(y >= 0 && x >= 0 && y + size <= height && x + size <= width,
                     "patch \(size)x\(size) at (\(y), \(x)) does not fit the \(width)x\(height) image")
        let plane = size * size
        values.withUnsafeBufferPointer { src in
            for py in 0..<size {
                let sy = flipVertical ? y + size - 1 - py : y + py
                let rowBase = (sy * width + x) * 4
                for px in 0..<size {
                    let sx = flipHorizontal ? size - 1 - px : px
                    let s = rowBase + sx * 4
                    let o = py * size + px
                    destination[o] = src[s]
                    destination[plane + o] = src[s + 1]
                    destination[2 * plane + o] = src[s + 2]
                    destination[3 * plane + o] = src[s + 3]
                }
            }
        }
    }

    /// The whole image averaged down to `size x size` cells (area average over integer cell
    /// boundaries), channel-first (`[4, size, size]`): the global context the residual model sees.
    ///
    /// Images smaller than `size` repeat their rows or columns.
    func thumbnail(size: Int) -> [Float] {
        precondition(size > 0, "thumbnail size must be positive")
        var out = [Float](repeating: 0, count: 4 * size * size)
        let plane = size * size
        let h = height, w = width
        func bounds(_ i: Int, _ n: Int) -> (Int, Int) {
            let lo = i * n / size
            let hi = max(lo + 1, (i + 1) * n / size)
            return (min(lo, n - 1), min(hi, n))
        }
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for ty in 0..<size {
                    let (y0, y1) = bounds(ty, h)
                    for tx in 0..<size {
                        let (x0, x1) = bounds(tx, w)
                        var s = SIMD4<Double>(repeating: 0)
                        for y in y0..<y1 {
                            var i = (y * w + x0) * 4
                            for _ in x0..<x1 {
                                s += SIMD4(Double(src[i]), Double(src[i + 1]), Double(src[i + 2]), Double(src[i + 3]))
                                i += 4
                            }
                        }
                        s /= Double((y1 - y0) * (x1 - x0))
                        let o = ty * size + tx
                        for c in 0..<4 { dst[c * plane + o] = Float(s[c]) }
                    }
                }
            }
        }
        return out
    }

    /// The centre crop of at most `maxSide x maxSide` pixels whose sides are multiples of `multiple`.
    func centerCrop(maxSide: Int, multiple: Int) -> PackedImage {
        let h = min(height, maxSide) / multiple * multiple
        let w = min(width, maxSide) / multiple * multiple
        precondition(h > 0 && w > 0, "a \(width)x\(height) image has no crop that is a multiple of \(multiple)")
        if h == height && w == width { return self }
        let y0 = (height - h) / 2, x0 = (width - w) / 2
        var out = [Float](repeating: 0, count: h * w * 4)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let s = ((y0 + y) * width + x0) * 4
                    (dst.baseAddress! + y * w * 4).update(from: src.baseAddress! + s, count: w * 4)
                }
            }
        }
        return PackedImage(height: h, width: w, values: out)
    }
}

/// Flips a channel-first `[4, size, size]` thumbnail like a patch.
func flipThumbnail(_ t: [Float], size: Int, horizontal: Bool, vertical: Bool) -> [Float] {
    if !horizontal && !vertical { return t }
    var out = t
    let plane = size * size
    for c in 0..<4 {
        for y in 0..<size {
            let sy = vertical ? size - 1 - y : y
            for x in 0..<size {
                let sx = horizontal ? size - 1 - x : x
                out[c * plane + y * size + x] = t[c * plane + sy * size + sx]
            }
        }
    }
    return out
}
