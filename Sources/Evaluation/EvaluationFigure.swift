import Raw2RawModel
import RawIO

/// How evaluation figures look.
public struct EvaluationFigureStyle: Sendable, Codable, Equatable {
    /// The widest a tile may be, in pixels; larger images are sampled with an integer stride.
    public var maxTileWidth: Int
    /// The mean absolute error (over the four packed channels, on [0, 1]) shown at the top of the
    /// heat map's colour scale; larger errors saturate. `nil` (the default) picks it per figure:
    /// the 95th percentile of the per-pixel errors of all predictions, rounded up to 1, 2 or 5
    /// times a power of ten.
    public var errorScale: Float?
    /// Pixels between tiles.
    public var gap: Int

    /// Creates a figure style: tiles at most 320 pixels wide, an automatic error scale, 4-pixel gaps.
    public init(maxTileWidth: Int = 320, errorScale: Float? = nil, gap: Int = 4) {
        precondition(maxTileWidth > 0, "maxTileWidth must be positive, got \(maxTileWidth)")
        if let errorScale {
            precondition(errorScale > 0 && errorScale.isFinite, "errorScale must be positive and finite, got \(errorScale)")
        }
        precondition(gap >= 0, "gap must be >= 0, got \(gap)")
        self.maxTileWidth = maxTileWidth
        self.errorScale = errorScale
        self.gap = gap
    }
}

/// A picture comparing the methods on one test pair in one direction.
///
/// Two rows of tiles. Top row: the source, each method's prediction (in method order), then the
/// target, all as `PackedImage.preview(gain:gamma:)` pictures. Bottom row: under each
/// prediction, a heat map of its per-pixel error against the target (the mean absolute error of
/// the four packed channels, from black through purple, red and orange to pale yellow at
/// ``errorScale``); under the source and the target, the colour scale from 0 (left) to
/// ``errorScale`` (right).
public struct EvaluationFigure: Sendable {
    /// The test pair's name.
    public var pair: String
    /// The direction shown.
    public var direction: MappingDirection
    /// The top row's column labels, left to right: `source`, the method names, `target`.
    public var columns: [String]
    /// The picture.
    public var image: RGBImage8
    /// The error at the top of the heat maps' colour scale.
    public var errorScale: Float

    /// A file name for the figure: `<pair>_A-to-B.png` or `<pair>_B-to-A.png`.
    public var fileName: String {
        "\(pair)_\(direction == .aToB ? "A-to-B" : "B-to-A").png"
    }

    /// Composes the figure of one pair and direction.
    static func compose(pair: String, direction: MappingDirection, source: PackedImage, target: PackedImage,
                        methods: [String], predictions: [PackedImage], style: EvaluationFigureStyle) -> EvaluationFigure {
        precondition(methods.count == predictions.count, "one prediction per method needed")
        var stride = 1
        while (source.width + stride - 1) / stride > style.maxTileWidth { stride += 1 }
        let src = source.strided(by: stride), tgt = target.strided(by: stride)
        let preds = predictions.map { $0.strided(by: stride) }
        let th = src.height, tw = src.width, gap = style.gap
        let columns = preds.count + 2
        let width = columns * tw + (columns - 1) * gap, height = 2 * th + gap
        var canvas = RGBImage8(width: width, height: height,
                               pixels: [UInt8](repeating: 40, count: width * height * 3))
        func place(_ tile: RGBImage8, column: Int, row: Int) {
            let x0 = column * (tw + gap), y0 = row * (th + gap)
            for y in 0..<tile.height {
                let s = y * tile.width * 3, d = ((y0 + y) * width + x0) * 3
                canvas.pixels.replaceSubrange(d..<(d + tile.width * 3), with: tile.pixels[s..<(s + tile.width * 3)])
            }
        }
        let pixelErrors = preds.map { Self.errors($0, tgt) }
        let scale = style.errorScale ?? automaticScale(pixelErrors.flatMap { $0 })
        place(src.preview(), column: 0, row: 0)
        for (k, p) in preds.enumerated() {
            place(p.preview(), column: k + 1, row: 0)
            place(errorMap(pixelErrors[k], height: th, width: tw, scale: scale), column: k + 1, row: 1)
        }
        place(tgt.preview(), column: columns - 1, row: 0)
        let ramp = colorScale(height: th, width: tw)
        place(ramp, column: 0, row: 1)
        place(ramp, column: columns - 1, row: 1)
        return EvaluationFigure(pair: pair, direction: direction, columns: ["source"] + methods + ["target"], image: canvas,
                                errorScale: scale)
    }

    /// The colour-map stops, evenly spaced from 0 to 1 (an inferno-like ramp).
    static let stops: [SIMD3<Float>] = [
        SIMD3(0, 0, 4), SIMD3(87, 16, 110), SIMD3(188, 55, 84), SIMD3(249, 142, 9), SIMD3(252, 255, 164),
    ]

    /// The colour of `v` in [0, 1] (clamped; NaN is the top colour).
    static func color(_ v: Float) -> SIMD3<UInt8> {
        let t = v.isNaN ? 1 : min(max(v, 0), 1)
        let x = t * Float(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Float(i)
        let c = stops[i] + (stops[i + 1] - stops[i]) * f
        return SIMD3(UInt8(c.x.rounded()), UInt8(c.y.rounded()), UInt8(c.z.rounded()))
    }

    /// The per-pixel mean absolute error of the four channels of `prediction` against `target`.
    static func errors(_ prediction: PackedImage, _ target: PackedImage) -> [Float] {
        (0..<target.pixelCount).map { p in
            var e: Float = 0
            for c in 0..<4 { e += abs(prediction.values[4 * p + c] - target.values[4 * p + c]) }
            return e / 4
        }
    }

    /// The 95th percentile of `errors` rounded up to 1, 2 or 5 times a power of ten (at least 1e-4).
    static func automaticScale(_ errors: [Float]) -> Float {
        let finite = errors.filter(\.isFinite).sorted()
        guard !finite.isEmpty else { return 0.05 }
        let q = max(finite[min(finite.count - 1, Int(0.95 * Float(finite.count)))], 1e-4)
        // Parsed from decimal text so that the scale prints as written (0.1, not 0.099999994).
        for exponent in -4...6 {
            for m in [1, 2, 5] {
                let v = Float("\(m)e\(exponent)")!
                if v >= q { return v }
            }
        }
        return q
    }

    /// The heat map of per-pixel errors (row-major `height x width`).
    static func errorMap(_ errors: [Float], height: Int, width: Int, scale: Float) -> RGBImage8 {
        var out = RGBImage8(width: width, height: height, pixels: [UInt8](repeating: 0, count: errors.count * 3))
        for p in 0..<errors.count {
            let rgb = color(errors[p] / scale)
            out.pixels[3 * p] = rgb.x
            out.pixels[3 * p + 1] = rgb.y
            out.pixels[3 * p + 2] = rgb.z
        }
        return out
    }

    /// A horizontal ramp of the colour map, 0 at the left.
    static func colorScale(height: Int, width: Int) -> RGBImage8 {
        var out = RGBImage8(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
        for x in 0..<width {
            let rgb = color(width > 1 ? Float(x) / Float(width - 1) : 0)
            for y in 0..<height { out[y, x] = rgb }
        }
        return out
    }
}
