import Foundation

extension BayerImage {
    /// Reads the visible Bayer mosaic of a camera raw file (DNG, or any format LibRaw decodes).
    ///
    /// The visible area only is kept (LibRaw's margins and DNG `ActiveArea` are cropped, like
    /// rawpy's `raw_image_visible`). Black levels come out per CFA position: LibRaw's `black`, plus
    /// `cblack[colour]`, plus the `cblack[6...]` pattern with its repeat dimensions `cblack[4]`,
    /// `cblack[5]`, anchored where the DNG specification anchors it (see ``RawDecoder``).
    ///
    /// Before LibRaw sees the file, it must be a readable regular file, and a TIFF-based file
    /// (DNG, NEF, CR2, ...) must have a sound IFD structure: every strip and tile inside the file,
    /// as many byte counts as offsets, and in a DNG enough data for the declared size.
    /// LibRaw's memory limits stay on; its data-error reports become errors, not stderr output.
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
///
/// Coordinates: the CFA pattern and the black levels describe the 2x2 tile at the visible
/// (0,0). The CFA phase is LibRaw's (`libraw_COLOR` on visible coordinates). For a DNG whose
/// `ActiveArea` starts on an odd row or column, LibRaw starts the visible area one row or column
/// further in and shifts the CFA phase accordingly, but not the `BlackLevel` repeat pattern;
/// the decoder re-anchors that pattern at the `ActiveArea` origin, as the DNG specification
/// defines it, so per-position black levels can differ from rawpy's for such files.
public struct RawDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// Decodes the file at `url` (see ``BayerImage/init(contentsOf:)``).
    public func decode(_ url: URL) throws(RawIOError) -> BayerImage {
        let path = url.path
        guard url.isFileURL else {
            throw .unreadable(path: url.absoluteString, reason: "not a file URL")
        }
        let facts = try RawFileCheck.precheck(path: path)
        let lr = try LibRawProcessor(path: path)
        do {
            try lr.open()
        } catch {
            // LibRaw gives up on non-raw files in several ways (unsupported, or reading past the
            // end while it tries format after format); say what the file is when we can tell.
            if facts.signature != .tiff, let what = RawFileCheck.describe(facts) {
                switch error {
                case .notARawFile, .corrupt: throw .notARawFile(path: path, reason: what)
                default: break
                }
            }
            throw error
        }
        try RawDecoder.checkLayout(lr)
        try lr.unpack()
        if lr.hasColorImage {
            throw .unsupportedLayout(path: path, reason: "the image holds several colour samples per pixel (LinearRaw or demosaiced data), not a Bayer mosaic")
        }
        guard let samples = lr.visibleSamples() else {
            throw .unsupportedLayout(path: path, reason: "LibRaw produced no one-sample-per-pixel mosaic")
        }
        let pattern = try RawDecoder.pattern(lr)
        let shift = RawDecoder.blackPatternShift(lr, facts)
        let blackLevels = RawDecoder.blackLevels(lr, rowShift: shift.rows, columnShift: shift.columns)
        let white = lr.maximum
        guard white > 0, white <= Int(UInt16.max) else {
            throw .corrupt(path: path, reason: "white level \(white) is outside 1...65535")
        }
        guard blackLevels.count == 4, blackLevels.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < Double(white) }) else {
            throw .corrupt(path: path, reason: "black levels \(blackLevels) are not below the white level \(white)")
        }
        return BayerImage(width: lr.width, height: lr.height, samples: samples, pattern: pattern,
                          blackLevels: BlackLevels(rowMajor: blackLevels), whiteLevel: white, metadata: RawDecoder.metadata(lr))
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

    /// The CFA phase of the visible area, checked to repeat every 2x2 over LibRaw's 8x2 filter period.
    ///
    /// Coordinate convention: `libraw_COLOR(row, column)` takes coordinates in the *visible* image,
    /// whose (0,0) is raw (`top_margin`, `left_margin`). LibRaw itself copies the visible area
    /// that way (`copy_bayer` in raw2image.cpp labels `raw_image[(row + top_margin) * pitch +
    /// column + left_margin]` with `fcol(row, column)`, which is `FC(row, column)` for Bayer
    /// sensors), and rawpy's `raw_color(row, column)` on raw coordinates calls
    /// `COLOR(row - top_margin, column - left_margin)`. So the tile at visible (0,0) is the phase
    /// of ``BayerImage/samples``, whatever the margins. With an odd margin it differs from rawpy's
    /// `raw_pattern`, which is the phase at raw (0,0). Checked with LibRaw 0.20.2 (and rawpy's
    /// LibRaw 0.22.2) on DNGs whose `ActiveArea` starts on odd rows/columns
    /// (Fixtures/synthetic/odd-activearea-rggb.dng): LibRaw reads `CFAPattern` relative to the
    /// `ActiveArea` origin (as the DNG SDK does), then moves the visible origin to the next even
    /// row/column and shifts `filters` with it, so `COLOR` at visible coordinates stays right.
    /// The black pattern is not shifted by LibRaw; see ``blackLevels(_:rowShift:columnShift:)``.
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
    ///
    /// `black + cblack[COLOR(r, c)] + cblack[6 + ((r + rowShift) % cblack[4]) * cblack[5] +
    /// (c + columnShift) % cblack[5]]` for visible (r, c). LibRaw's own `adjust_bl` folds the
    /// `cblack[6...]` pattern in with no shift, i.e. anchored at LibRaw's visible origin. For a
    /// DNG that origin is not always the `ActiveArea` origin where the specification anchors
    /// `BlackLevel`: LibRaw (0.20.2 and 0.22.2 alike) moves an odd `ActiveArea` top or left to the
    /// next even row or column, shifting the CFA phase with it but not the black pattern. The
    /// shift from ``blackPatternShift(_:_:)`` puts the pattern back where the DNG specification
    /// (and the DNG SDK, which anchors both CFA and black patterns at the `ActiveArea` origin)
    /// puts it, so black levels and CFA colours agree. Here we deliberately differ from rawpy's
    /// `black_level_per_channel` for such files (Fixtures/synthetic/odd-activearea-rggb.dng).
    static func blackLevels(_ lr: LibRawProcessor, rowShift: Int = 0, columnShift: Int = 0) -> [Double] {
        let rows = lr.cblack(4), cols = lr.cblack(5)
        var out: [Double] = []
        for r in 0..<2 { for c in 0..<2 {
            var b = lr.black + Double(lr.cblack(lr.colorIndex(row: r, column: c)))
            if rows > 0 && cols > 0 && rows * cols <= 4096 {
                b += Double(lr.cblack(6 + ((r + rowShift) % rows) * cols + (c + columnShift) % cols))
            }
            out.append(b)
        } }
        return out
    }

    /// How far LibRaw's visible origin lies from the `ActiveArea` origin of the DNG's CFA image
    /// (found by our own TIFF walk, matched by stored size); (0, 0) for other files.
    static func blackPatternShift(_ lr: LibRawProcessor, _ facts: RawFileCheck.Facts) -> (rows: Int, columns: Int) {
        guard let image = facts.dngCFAImages.first(where: { $0.width == lr.rawWidth && $0.height == lr.rawHeight }) else {
            return (0, 0)
        }
        let rows = lr.topMargin - image.activeAreaTop, columns = lr.leftMargin - image.activeAreaLeft
        guard rows >= 0, columns >= 0 else { return (0, 0) }
        return (rows, columns)
    }

    static func metadata(_ lr: LibRawProcessor) -> RawMetadata {
        var meta = RawMetadata(make: lr.make, model: lr.model)
        if lr.iso > 0 { meta.iso = lr.iso }
        if lr.shutter > 0 { meta.exposureTime = lr.shutter }
        let neutral = (0..<3).map { lr.asShotNeutral($0) }
        if neutral.allSatisfy({ $0 > 0 }) { meta.asShotNeutral = neutral }
        let mul = (0..<4).map { lr.cameraMultiplier($0) }
        if mul[0] > 0 && mul[1] > 0 && mul[2] > 0 { meta.cameraWhiteBalance = mul }
        // DNG ColorMatrix1/2 where the file holds them. LibRaw 0.20 leaves `parsedfields` of
        // rawdata.color.dng_color at 0, so presence is a non-zero matrix; it marks a missing
        // CalibrationIlluminant with 0xFFFF (not an EXIF LightSource code), which we report as 0,
        // "unknown", the DNG default.
        for k in 0..<2 {
            let values = (0..<3).flatMap { r in (0..<3).map { c in lr.dngColorMatrix(k, row: r, column: c) } }
            guard values.contains(where: { $0 != 0 }), values.allSatisfy(\.isFinite) else { continue }
            let code = lr.dngIlluminant(k)
            meta.colorMatrices.append(ColorMatrix(illuminant: code > 255 ? 0 : code, values: values))
        }
        return meta
    }
}
