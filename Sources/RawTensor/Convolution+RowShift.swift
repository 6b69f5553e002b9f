import RawSupport
/// A faster convolution for stride 1 with a width-preserving padding (`2 * paddingX == kernelWidth - 1`),
/// which covers the 3x3 "same" convolutions of U-Nets.
///
/// Instead of unrolling every tap (im2col, `kH * kW` copies of the input), only the horizontal taps are
/// unrolled, into a buffer `V[(c, kx), (t, x)] = input[c, y0 - padY + t, x + kx - padX]` that covers the
/// chunk's output rows plus `kH - 1` halo rows. A vertical tap `ky` is then a row offset into `V`, so
/// the convolution is `kH` matrix products that accumulate into the output:
/// `out[:, rows] += W[ky] * V[:, ky * width ..< ky * width + rows * width]`,
/// with `W[ky][o, (c, kx)] = weight[o, c, ky, kx]`. The copy is `kH` times smaller than im2col's.
enum RowShiftConvolution {
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        // With very few input channels (an RGB or packed-raw input layer) the kH products would have a
        // tiny inner dimension; im2col's single product with `C * kH * kW` is then faster.
        g.strideY == 1 && g.strideX == 1 && 2 * g.paddingX == g.kernelWidth - 1 && g.kernelHeight > 1
            && g.inputChannels * g.kernelWidth >= 32
    }

    /// Output rows per chunk: keep `V` near 1 MB (L2) but give GEMMs at least ~1k columns.
    static func rowsPerChunk(_ g: ConvolutionGeometry) -> Int {
        let perRow = g.inputChannels * g.kernelWidth * g.width
        let byCache = (1 << 18) / max(perRow, 1)
        let byWidth = 1024 / max(g.width, 1)
        let limit = max(1, Convolution.chunkPixels / max(g.width, 1))
        return max(1, min(g.outputHeight, min(limit, max(byCache, byWidth))))
    }

    /// Repacks `[O, C, kH, kW]` into `kH` matrices `[O, C * kW]`.
    static func packWeight(_ g: ConvolutionGeometry, _ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        let ck = g.inputChannels * g.kernelWidth
        for ky in 0..<g.kernelHeight {
            for o in 0..<g.outputChannels {
                for c in 0..<g.inputChannels {
                    for kx in 0..<g.kernelWidth {
                        packed[(ky * g.outputChannels + o) * ck + c * g.kernelWidth + kx] =
                            w[((o * g.inputChannels + c) * g.kernelHeight + ky) * g.kernelWidth + kx]
                    }
                }
            }
        }
    }

    /// Adds `kH` matrices `[O, C * kW]` back into a `[O, C, kH, kW]` gradient.
    static func unpackWeightGradient(_ g: ConvolutionGeometry, _ packed: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let ck = g.inputChannels * g.kernelWidth
        for ky in 0..<g.kernelHeight {
            for o in 0..<g.outputChannels {
                for c in 0..<g.inputChannels {
                    for kx in 0..<g.kernelWidth {
                        dw[((o * g.inputChannels + c) * g.kernelHeight + ky) * g.kernelWidth + kx] +=
                            packed[(ky * g.outputChannels + o) * ck + c * g.kernelWidth + kx]
                    }
                }
            }
        }
    }

    /// Fills `V` for output rows `y0..<y0+rows` (`rows + kH - 1` input rows, zero outside the image).
    static func unroll(_ g: ConvolutionGeometry, image x: UnsafePointer<Float>, y0: Int, rows: Int, into v: UnsafeMutablePointer<Float>,
                       parallel: Bool) {
        let span = (rows + g.kernelHeight - 1) * g.width
        let w = g.width, px = g.paddingX
        Parallel.forEachChunk(count: g.inputChannels, grain: max(1, 8192 / max(span * g.kernelWidth, 1)), parallel: parallel) { channels in
            for c in channels {
                let plane = x + c * g.inputPlane
                for kx in 0..<g.kernelWidth {
                    let dst = v + (c * g.kernelWidth + kx) * span
                    let shift = kx - px   // reads input column x + shift
                    let lo = max(0, -shift), hi = min(w, w - shift)
                    for t in 0..<(rows + g.kernelHeight - 1) {
                        let iy = y0 - g.paddingY + t
                        let row = dst + t * w
                        if iy < 0 || iy >= g.height {
                            row.update(repeating: 0, count: w)
                            continue
                        }
                        let src = plane + iy * w + shift
                        if lo > 0 { row.update(repeating: 0, count: lo) }
                        (row + lo).update(from: src + lo, count: hi - lo)
                        if hi < w { (row + hi).update(repeating: 0, count: w - hi) }
                    }
                }
            }
        }
    }

    /// Adds the gradient of `V` (for output rows `y0..<y0+rows`) into the image gradient.
    static func fold(_ g: ConvolutionGeometry, _ dv: UnsafePointer<Float>, y0: Int, rows: Int, into dx: UnsafeMutablePointer<Float>,
                     parallel: Bool) {
        let span = (rows + g.kernelHeight - 1) * g.width
        let w = g.width, px = g.paddingX
        Parallel.forEachChunk(count: g.inputChannels, grain: max(1, 8192 / max(span * g.kernelWidth, 1)), parallel: parallel) { channels in
            for c in channels {
                let plane = dx + c * g.inputPlane
                for kx in 0..<g.kernelWidth {
                    let src = dv + (c * g.kernelWidth + kx) * span
                    let shift = kx - px
                    let lo = max(0, -shift), hi = min(w, w - shift)
                    for t in 0..<(rows + g.kernelHeight - 1) {
                        let iy = y0 - g.paddingY + t
                        if iy < 0 || iy >= g.height { continue }
                        let row = src + t * w
                        let dst = plane + iy * w + shift
                        for i in lo..<hi { dst[i] += row[i] }
                    }
                }
            }
        }
    }
}
