import RawSupport

extension BayerImage {
    /// Packs the mosaic into a normalized 4-channel image (R, Gr, Gb, B), half size in each direction.
    ///
    /// Each sample becomes `clip((x - black_c) / (white - black_c), 0, 1)` with the black level of
    /// its CFA position, computed in Double and stored as Float. An odd last row or column (a
    /// photosite without a complete 2x2 tile) is dropped: the result is `height / 2 x width / 2`.
    public func packed() -> PackedImage {
        let ph = height / 2, pw = width / 2
        precondition(ph > 0 && pw > 0, "packing needs at least one 2x2 tile, the mosaic is \(width)x\(height)")
        let offsets = PackedChannel.allCases.map { pattern.position(of: $0) }
        let blacks = blackLevels.packed(for: pattern)
        let scales = blacks.map { 1.0 / (Double(whiteLevel) - $0) }
        let (b0, b1, b2, b3) = (blacks[0], blacks[1], blacks[2], blacks[3])
        let (c0, c1, c2, c3) = (scales[0], scales[1], scales[2], scales[3])
        let w = width
        // One pass over the output, each packed pixel's four channels from its 2x2 tile.
        let out = [Float](unsafeUninitializedCapacity: ph * pw * 4) { dst, initialized in
            samples.withUnsafeBufferPointer { src in
                let base = src.baseAddress!
                for y in 0..<ph {
                    let row = base + 2 * y * w
                    let p0 = row + offsets[0].row * w + offsets[0].column
                    let p1 = row + offsets[1].row * w + offsets[1].column
                    let p2 = row + offsets[2].row * w + offsets[2].column
                    let p3 = row + offsets[3].row * w + offsets[3].column
                    let o = dst.baseAddress! + y * pw * 4
                    for x in 0..<pw {
                        let i = 2 * x
                        o[4 * x] = Float(min(max((Double(p0[i]) - b0) * c0, 0), 1))
                        o[4 * x + 1] = Float(min(max((Double(p1[i]) - b1) * c1, 0), 1))
                        o[4 * x + 2] = Float(min(max((Double(p2[i]) - b2) * c2, 0), 1))
                        o[4 * x + 3] = Float(min(max((Double(p3[i]) - b3) * c3, 0), 1))
                    }
                }
            }
            initialized = ph * pw * 4
        }
        return PackedImage(height: ph, width: pw, values: out)
    }
}

extension PackedImage {
    /// Unpacks into a Bayer mosaic of `pattern`, the inverse of ``BayerImage/packed()``.
    ///
    /// Each value becomes `round(v * (white - black_c) + black_c)` after clipping `v` to [0, 1]
    /// (NaN counts as 0),
    /// so packing a mosaic and unpacking it with the same levels gives back every sample that lay
    /// within [black, white] exactly (samples below black come back as black, above white as white).
    /// - Parameters:
    ///   - pattern: the CFA phase of the mosaic to produce.
    ///   - blackLevels: black level per position of the 2x2 tile at (0,0).
    ///   - whiteLevel: the saturation value.
    ///   - metadata: metadata to carry.
    public func mosaic(pattern: CFAPattern, blackLevels: BlackLevels, whiteLevel: Int,
                       metadata: RawMetadata = RawMetadata()) -> BayerImage {
        precondition(whiteLevel > 0 && whiteLevel <= Int(UInt16.max), "white level \(whiteLevel) does not fit UInt16")
        let w = width * 2, h = height * 2
        var samples = [UInt16](repeating: 0, count: w * h)
        let offsets = PackedChannel.allCases.map { pattern.position(of: $0) }
        values.withUnsafeBufferPointer { src in
            samples.withUnsafeMutableBufferPointer { dst in
                for k in 0..<4 {
                    let dy = offsets[k].row, dx = offsets[k].column
                    let b = blackLevels[row: dy, column: dx]
                    let range = Double(whiteLevel) - b
                    for y in 0..<height {
                        let rowBase = (2 * y + dy) * w + dx
                        var i = y * width * 4 + k
                        for x in 0..<width {
                            let v = Double(Numerics.clipUnit(src[i]))
                            let s = (v * range + b).rounded()
                            dst[rowBase + 2 * x] = UInt16(min(max(s, 0), Double(UInt16.max)))
                            i += 4
                        }
                    }
                }
            }
        }
        return BayerImage(width: w, height: h, samples: samples, pattern: pattern,
                          blackLevels: blackLevels, whiteLevel: whiteLevel, metadata: metadata)
    }
}
