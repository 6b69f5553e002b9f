import Calibration
import Foundation
import RawSupport
import RawIO
import RawTensor

/// How ``Raw2RawNetwork/map(_:direction:tiling:)`` cuts an image into tiles.
///
/// Each tile's network input is its core (`tileSize` square) plus a halo of context on every
/// side; neighbouring outputs are blended with linear ramps `blend` pixels wide across each
/// boundary. The default halo is the network's receptive radius plus the blend width, so the
/// tiled result equals mapping the whole image at once up to floating-point rounding.
///
/// Halos are computed twice (by both neighbours): with the default 256-pixel tiles and the paper
/// network's halo, a tiled pass does about 1.8 times the arithmetic of one pass over the image. So
/// an image whose one-pass estimate (``Raw2RawNetwork/estimatedPeakBytes(height:width:tiling:)``)
/// fits ``singlePassBudget`` is mapped in one pass, without tiles.
public struct TilingOptions: Codable, Sendable, Equatable {
    /// Side of the tile cores in packed pixels (rounded up to the network's pooling multiple). Default 256.
    public var tileSize: Int
    /// Context around each core; `nil` (default) uses the receptive radius plus ``blend``.
    public var halo: Int?
    /// Half-width of the blending ramps across tile boundaries. Default 8.
    public var blend: Int
    /// The most bytes a one-pass mapping of the whole image may be estimated to need for it to be
    /// used instead of tiles; `nil` (default) means ``defaultSinglePassBudget``, 0 always tiles.
    public var singlePassBudget: Int?

    /// The single-pass budget of `nil`: 2 GB (the paper model maps images up to about 1.5 million
    /// packed pixels in one pass).
    public static let defaultSinglePassBudget = 2 << 30

    /// Creates tiling options.
    public init(tileSize: Int = 256, halo: Int? = nil, blend: Int = 8, singlePassBudget: Int? = nil) {
        precondition(tileSize > 0 && (halo ?? 0) >= 0 && blend >= 0 && (singlePassBudget ?? 0) >= 0,
                     "tiling needs a positive tile size and non-negative halo, blend and single-pass budget")
        self.tileSize = tileSize
        self.halo = halo
        self.blend = blend
        self.singlePassBudget = singlePassBudget
    }

    /// 256-pixel tiles, automatic halo, 8-pixel blending.
    public static let `default` = TilingOptions()

    /// One tile covering the whole image (for small images and tests).
    public static let untiled = TilingOptions(tileSize: 1 << 20, halo: 0, blend: 0)
}

extension Raw2RawNetwork {
    /// The halo ``TilingOptions`` resolves to for this network.
    public func resolvedHalo(_ tiling: TilingOptions) -> Int {
        tiling.halo ?? (configuration.receptiveRadius + tiling.blend)
    }

    /// An upper bound on the peak bytes of mapping one `height x width` image: the input and
    /// output images (16 bytes per packed pixel each) plus the activations of one tile (of the
    /// whole image when it is mapped in one pass, see ``TilingOptions/singlePassBudget``).
    ///
    /// Activations: per tile pixel, the encoder keeps its skip features (`c0 + c1/4 + c2/16 ...`
    /// floats) while the decoder holds at most about `5 c0` more (upsampled, concatenated and
    /// convolved features of the top level), and RawTensor's buffer pool keeps freed buffers of the
    /// level below for reuse (counted as `3 c0` more); convolutions add scratch buffers of a fixed
    /// size per worker (64 MB in all). Every tile has the same window size, so tiles reuse their
    /// buffers. For the default model and tiling this gives 246 MB for a 3-megapixel packed image
    /// (2016 x 1512), mapped tile by tile; for the paper model, 1.12 GB for a 1024 x 768 image mapped
    /// in one pass (measured: 1.0 GB maximum resident memory).
    public func estimatedPeakBytes(height: Int, width: Int, tiling: TilingOptions = .default) -> Int {
        let plan = tilePlan(height: height, width: width, tiling: tiling)
        return Self.estimatedPeakBytes(height: height, width: width, window: plan.largestWindow, channels: configuration.channels)
    }

    /// The estimate of ``estimatedPeakBytes(height:width:tiling:)`` for a given window size.
    static func estimatedPeakBytes(height: Int, width: Int, window: (height: Int, width: Int), channels: [Int]) -> Int {
        var skip = 0.0
        for (l, c) in channels.enumerated() { skip += Double(c) / Double(1 << (2 * l)) }
        let perPixel = skip + 8 * Double(channels[0]) + 16
        return 2 * height * width * 16 + Int(perPixel * 4 * Double(window.height * window.width)) + (64 << 20)
    }

    /// How an image is cut: one window over the whole (padded) image when its estimate fits the
    /// single-pass budget, else tiles of `tiling.tileSize` with the resolved halo.
    func tilePlan(height: Int, width: Int, tiling: TilingOptions) -> TilePlan {
        let m = configuration.sizeMultiple
        let halo = resolvedHalo(tiling)
        let paddedHeight = (height + m - 1) / m * m, paddedWidth = (width + m - 1) / m * m
        let budget = tiling.singlePassBudget ?? TilingOptions.defaultSinglePassBudget
        if Self.estimatedPeakBytes(height: height, width: width, window: (paddedHeight, paddedWidth),
                                   channels: configuration.channels) <= budget {
            return TilePlan(height: height, width: width, tileSize: max(paddedHeight, paddedWidth), halo: 0, blend: 0, multiple: m)
        }
        return TilePlan(height: height, width: width, tileSize: tiling.tileSize, halo: halo,
                        blend: min(tiling.blend, halo, tiling.tileSize / 2), multiple: m)
    }

    /// Maps a whole packed image in `direction` (from the source camera's raw space to the
    /// target's), tile by tile.
    ///
    /// Memory stays bounded by the input, the output and one tile's activations (see
    /// ``estimatedPeakBytes(height:width:tiling:)``); the residual architecture's per-image
    /// correction is computed once from a thumbnail of the whole image and used for every tile.
    /// With a target-exposure model (``targetExposures``), the whole mapped image is then
    /// rescaled to the target camera's predicted exposure. The result is clipped to [0, 1].
    public func map(_ image: PackedImage, direction: MappingDirection, tiling: TilingOptions = .default) -> PackedImage {
        map(image, direction: direction, tiling: tiling, correction: imageCorrection(image, from: direction.source))
    }

    /// What `map(_:direction:tiling:correction:stage:)` applies before the exposure step and clipping.
    enum MappingStage {
        /// The whole network (inference, validation).
        case network
        /// The least-squares base mapping alone (validation's baseline).
        case base
    }

    /// The one mapping path of inference (``map(_:direction:tiling:)``) and validation: the
    /// network (or, with `stage` `.base`, its least-squares base alone) tile by tile with the
    /// per-image `correction` given (computed from the thumbnail of the image `image` was cut
    /// from), then the target-exposure step of `direction`, metered on the mapped `image`, then
    /// clipping to [0, 1].
    ///
    /// A model without a per-pixel network (the residual architecture without
    /// ``ModelConfiguration/pixelResidual``, the default) is a per-pixel function once the
    /// correction is known: it is applied in one streaming pass over the pixels
    /// (``mapPixelwise(_:source:correction:)``), not tile by tile, unless `pixelwise` is false
    /// (tests comparing the two paths).
    func map(_ image: PackedImage, direction: MappingDirection, tiling: TilingOptions, correction: Tensor?,
             stage: MappingStage = .network, pixelwise: Bool = true) -> PackedImage {
        let source = direction.source
        var output: [Float]
        if pixelwise && configuration.architecture == .residual && !decodesFeatures {
            output = mapPixelwise(image, source: source, correction: stage == .network ? correction : nil)
        } else {
            output = mapTiled(image, source: source, tiling: tiling, correction: correction, stage: stage)
        }
        if let exposure = targetExposures[direction] {
            // Metered and applied before clipping, so highlights beyond white can come back into range.
            let g = Float(exposure.gain(for: PackedImage(height: image.height, width: image.width, values: output)))
            output.withUnsafeMutableBufferPointer { o in
                let p = o.baseAddress!
                Parallel.forEachChunk(count: o.count, grain: 1 << 16) { range in
                    for i in range { p[i] = Numerics.clipUnit(p[i] * g) }
                }
            }
        } else {
            output.withUnsafeMutableBufferPointer { o in
                let p = o.baseAddress!
                Parallel.forEachChunk(count: o.count, grain: 1 << 16) { range in
                    for i in range { p[i] = Numerics.clipUnit(p[i]) }
                }
            }
        }
        return PackedImage(height: image.height, width: image.width, values: output)
    }

    /// The residual model without a per-pixel network, pixel by pixel: the least-squares base
    /// applied with BLAS (``Calibration/ColorMapping/applyUnclipped(to:precision:)``), then the
    /// per-image correction `y + M y + b` (computed as ``applyCorrection(_:to:)`` does) in place,
    /// not clipped; pixels in parallel. Equals the tiled path up to Float rounding (about 1e-6).
    func mapPixelwise(_ image: PackedImage, source: CameraSide, correction: Tensor?) -> [Float] {
        var output = base(from: source).mapping.map { $0.applyUnclipped(to: image).values } ?? image.values
        guard let c = correction?.scalars else { return output }
        precondition(c.count == 20, "a per-image correction has 20 values, got \(c.count)")
        let rows = (0..<4).map { r in SIMD4(c[r * 4], c[r * 4 + 1], c[r * 4 + 2], c[r * 4 + 3]) }
        let offsets = SIMD4(c[16], c[17], c[18], c[19])
        output.withUnsafeMutableBufferPointer { buffer in
            let d = buffer.baseAddress!
            Parallel.forEachChunk(count: image.pixelCount, grain: 1 << 15) { range in
                for p in range {
                    let y = SIMD4(d[4 * p], d[4 * p + 1], d[4 * p + 2], d[4 * p + 3])
                    for ch in 0..<4 { d[4 * p + ch] = y[ch] + offsets[ch] + (rows[ch] * y).sum() }
                }
            }
        }
        return output
    }

    /// The network (or its base alone) tile by tile, blended, not clipped.
    func mapTiled(_ image: PackedImage, source: CameraSide, tiling: TilingOptions, correction: Tensor?,
                  stage: MappingStage) -> [Float] {
        let plan = tilePlan(height: image.height, width: image.width, tiling: tiling)
        var output = [Float](repeating: 0, count: image.height * image.width * 4)
        for row in plan.rows {
            for column in plan.columns {
                let window = Self.window(of: image, rows: row.windowStart..<row.windowEnd,
                                         columns: column.windowStart..<column.windowEnd)
                let mapped = withoutGradient {
                    let x = Variable(window)
                    switch stage {
                    case .network:
                        return map(x, features: mappingFeatures(x, camera: source), correction: correction.map { Variable($0) },
                                   from: source).value
                    case .base:
                        return base(from: source)(x).value
                    }
                }
                let wh = row.windowEnd - row.windowStart, ww = column.windowEnd - column.windowStart
                let plane = wh * ww
                let rows = plan.usedRange(row), columns = plan.usedRange(column)
                let rowWeights = rows.map { plan.weight(row, at: $0) }
                let columnWeights = columns.map { plan.weight(column, at: $0) }
                mapped.withUnsafeBufferPointer { src in
                    output.withUnsafeMutableBufferPointer { dst in
                        for (iy, y) in rows.enumerated() where y < image.height {
                            let wy = rowWeights[iy]
                            if wy == 0 { continue }
                            let sy = y - row.windowStart
                            for (ix, x) in columns.enumerated() where x < image.width {
                                let w = wy * columnWeights[ix]
                                if w == 0 { continue }
                                let s = sy * ww + (x - column.windowStart)
                                let o = (y * image.width + x) * 4
                                for c in 0..<4 { dst[o + c] += w * src[c * plane + s] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The `[1, 20]` per-image correction of the residual architecture for a whole image (`nil` without a context branch).
    func imageCorrection(_ image: PackedImage, from source: CameraSide) -> Tensor? {
        guard configuration.architecture == .residual, context(from: source) != nil else { return nil }
        let t = configuration.thumbnailSize
        let thumb = Tensor(shape: [1, 4, t, t], values: image.thumbnail(size: t))
        return imageCorrection(thumbnail: thumb, from: source)
    }

    /// The per-image correction for `[N, 4, t, t]` thumbnails (`nil` without a context branch or
    /// outside the residual architecture).
    func imageCorrection(thumbnail: Tensor, from source: CameraSide) -> Tensor? {
        guard configuration.architecture == .residual, let branch = context(from: source) else { return nil }
        return withoutGradient { branch(Variable(thumbnail)).value }
    }

    /// The `[1, 4, h, w]` window of `image` at the given rows and columns, replicating the last
    /// row and column where the window reaches past the image (the padding to the pooling multiple).
    static func window(of image: PackedImage, rows: Range<Int>, columns: Range<Int>) -> Tensor {
        let h = rows.count, w = columns.count, plane = h * w
        var out = [Float](repeating: 0, count: 4 * plane)
        image.values.withUnsafeBufferPointer { src in
            for (iy, y) in rows.enumerated() {
                let sy = min(y, image.height - 1)
                for (ix, x) in columns.enumerated() {
                    let s = (sy * image.width + min(x, image.width - 1)) * 4
                    let o = iy * w + ix
                    out[o] = src[s]
                    out[plane + o] = src[s + 1]
                    out[2 * plane + o] = src[s + 2]
                    out[3 * plane + o] = src[s + 3]
                }
            }
        }
        return Tensor(shape: [1, 4, h, w], values: out)
    }
}
