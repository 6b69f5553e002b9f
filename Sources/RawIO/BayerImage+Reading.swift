import Foundation

extension BayerImage {
    /// Reads the visible Bayer mosaic of a camera raw file (DNG, or any format LibRaw decodes).
    ///
    /// The visible area only is kept (LibRaw's margins and DNG `ActiveArea` are cropped, like
    /// rawpy's `raw_image_visible`). Black levels come out per CFA position: LibRaw's `black`, plus
    /// `cblack[colour]`, plus the `cblack[6...]` pattern with its repeat dimensions `cblack[4]`,
    /// `cblack[5]`.
    ///
    /// - Throws: ``RawIOError`` naming the file: missing, unreadable, not raw, truncated or corrupt,
    ///   or a sensor layout that is not a 2x2 Bayer mosaic (X-Trans, Foveon, LinearRaw DNG, ...).
    public init(contentsOf url: URL) throws(RawIOError) {
        self = try RawDecoder().decode(url)
    }
}

/// Decodes camera raw files into ``BayerImage`` values through LibRaw.
///
/// A decoder holds no state between calls; each ``decode(_:)`` uses a LibRaw handle of its own,
/// so one decoder may be used from several threads at once.
public struct RawDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// Decodes the file at `url` (see ``BayerImage/init(contentsOf:)``).
    public func decode(_ url: URL) throws(RawIOError) -> BayerImage {
        let path = url.path
        try RawFileCheck.precheck(path: path)
        let lr = try LibRawProcessor(path: path)
        try lr.open()
        try RawDecoder.checkLayout(lr)
        try lr.unpack()
        if lr.hasColorImage {
            throw .unsupportedLayout(path: path, reason: "the image holds several colour samples per pixel (LinearRaw or demosaiced data), not a Bayer mosaic")
        }
        guard let samples = lr.visibleSamples() else {
            throw .unsupportedLayout(path: path, reason: "LibRaw produced no one-sample-per-pixel mosaic")
        }
        let pattern = try RawDecoder.pattern(lr)
        let blackLevels = RawDecoder.blackLevels(lr)
        let white = lr.maximum
        guard white > 0, white <= Int(UInt16.max) else {
            throw .corrupt(path: path, reason: "white level \(white) is outside 1...65535")
        }
        guard blackLevels.allSatisfy({ $0 < Double(white) }) else {
            throw .corrupt(path: path, reason: "black levels \(blackLevels) are not below the white level \(white)")
        }
        return BayerImage(width: lr.width, height: lr.height, samples: samples, pattern: pattern,
                          blackLevels: blackLevels, whiteLevel: white, metadata: RawDecoder.metadata(lr))
    }

    /// Rejects layouts that are not a 2x2 Bayer mosaic, before any pixel is decoded.
    static func checkLayout(_ lr: LibRawProcessor) throws(RawIOError) {
        let path = lr.path
        if lr.isFoveon {
            throw .unsupportedLayout(path: path, reason: "Foveon (stacked) sensor, no colour filter array")
        }
        let filters = lr.filters
        if filters == 0 {
            throw .unsupportedLayout(path: path, reason: "no colour filter array (LinearRaw, monochrome or demosaiced data)")
        }
        if filters == 9 {
            throw .unsupportedLayout(path: path, reason: "Fujifilm X-Trans 6x6 colour filter array")
        }
        if filters < 1000 {
            throw .unsupportedLayout(path: path, reason: "a colour filter array that is not 2x2 Bayer (LibRaw filters \(filters))")
        }
        if lr.colors != 3 {
            throw .unsupportedLayout(path: path, reason: "\(lr.colors)-colour filter array (\(lr.colorDescription)), not RGB Bayer")
        }
        if lr.width < 2 || lr.height < 2 {
            throw .corrupt(path: path, reason: "visible size \(lr.width)x\(lr.height) holds no 2x2 tile")
        }
    }

    /// The CFA phase of the visible area, checked to repeat every 2x2 over LibRaw's 16x2 filter period.
    static func pattern(_ lr: LibRawProcessor) throws(RawIOError) -> CFAPattern {
        func color(_ r: Int, _ c: Int) -> CFAColor? {
            switch lr.colorIndex(row: r, column: c) {
            case 0: return .red
            case 1, 3: return .green
            case 2: return .blue
            default: return nil
            }
        }
        var tile: [CFAColor] = []
        for r in 0..<2 { for c in 0..<2 {
            guard let col = color(r, c) else {
                throw .unsupportedLayout(path: lr.path, reason: "a colour filter that is not R, G or B")
            }
            tile.append(col)
        } }
        guard let pattern = CFAPattern(colors: tile) else {
            throw .unsupportedLayout(path: lr.path, reason: "the 2x2 tile \(tile.map(\.rawValue).joined()) is not a Bayer pattern")
        }
        for r in 0..<16 { for c in 0..<4 where color(r, c) != pattern.color(row: r, column: c) {
            throw .unsupportedLayout(path: lr.path, reason: "the colour filter array does not repeat every 2x2 photosites")
        } }
        return pattern
    }

    /// Black level of each position of the visible 2x2 tile at (0,0), row-major.
    static func blackLevels(_ lr: LibRawProcessor) -> [Double] {
        let rows = lr.cblack(4), cols = lr.cblack(5)
        var out: [Double] = []
        for r in 0..<2 { for c in 0..<2 {
            var b = lr.black + Double(lr.cblack(lr.colorIndex(row: r, column: c)))
            if rows > 0 && cols > 0 && rows * cols <= 4096 {
                b += Double(lr.cblack(6 + (r % rows) * cols + (c % cols)))
            }
            out.append(b)
        } }
        return out
    }

    static func metadata(_ lr: LibRawProcessor) -> RawMetadata {
        var meta = RawMetadata(make: lr.make, model: lr.model)
        if lr.iso > 0 { meta.iso = lr.iso }
        if lr.shutter > 0 { meta.exposureTime = lr.shutter }
        let neutral = (0..<3).map { lr.asShotNeutral($0) }
        if neutral.allSatisfy({ $0 > 0 }) { meta.asShotNeutral = neutral }
        let mul = (0..<4).map { lr.cameraMultiplier($0) }
        if mul[0] > 0 && mul[1] > 0 && mul[2] > 0 { meta.cameraWhiteBalance = mul }
        for k in 0..<2 {
            let values = (0..<3).flatMap { r in (0..<3).map { c in lr.dngColorMatrix(k, row: r, column: c) } }
            if values.contains(where: { $0 != 0 }) {
                meta.colorMatrices.append(ColorMatrix(illuminant: lr.dngIlluminant(k), values: values))
            }
        }
        return meta
    }
}
