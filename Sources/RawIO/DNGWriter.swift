import Foundation
import RawSupport

/// Writes ``BayerImage`` values as uncompressed DNG files that raw converters open directly.
///
/// The file is a little-endian TIFF with a single IFD holding the raw CFA image
/// (`NewSubFileType` 0, `PhotometricInterpretation` 32803 CFA, 16 bits per sample, one strip,
/// no compression, no preview) and the DNG 1.4 tags a raw converter needs:
///
/// - `DNGVersion` 1.4.0.0 and `DNGBackwardVersion` 1.1.0.0 (every tag written exists since
///   DNG 1.1, so older readers are not turned away);
/// - the CFA description: `CFARepeatPatternDim` 2x2, `CFAPattern`, `CFAPlaneColor` R,G,B,
///   `CFALayout` 1 (rectangular);
/// - levels: `BlackLevelRepeatDim` 2x2 with four `BlackLevel` values per CFA position (LONG when
///   all are whole numbers, RATIONAL when one has a fraction), `WhiteLevel` (LONG);
/// - colour: `ColorMatrix1`/`ColorMatrix2` (SRATIONAL) with `CalibrationIlluminant1`/`2`,
///   `AsShotNeutral` (RATIONAL);
/// - identification: `Make`, `Model`, `UniqueCameraModel`, `Software`, `Orientation`;
/// - capture settings, when the metadata holds them: `ExposureTime` and `ISOSpeedRatings` in an
///   EXIF sub-IFD (`ExifIFD` pointer, `ExifVersion` 0230), where EXIF readers look for them.
///
/// Tags are sorted ascending and every value stored outside the IFD starts on a word boundary.
/// Rationals are the best fraction with 32-bit terms (exact for any value that is such a fraction,
/// otherwise within about 1e-9 relative).
///
/// Defaults chosen so the file opens everywhere:
/// - With no colour matrix in the metadata, ``fallbackColorMatrix`` is written as
///   `ColorMatrix1` (by default the XYZ-to-linear-sRGB matrix under D65, i.e. the camera is taken
///   to see sRGB primaries); darktable, RawTherapee and Lightroom refuse or misrender a DNG
///   without a colour matrix.
/// - An empty make or model is written as `"Unknown"` (darktable's rawspeed rejects DNGs without
///   `Make`/`Model`).
/// - Without `asShotNeutral`, a neutral derived from `cameraWhiteBalance` (`G / multiplier`) is
///   written when present; otherwise no `AsShotNeutral` tag.
/// - Only the first two colour matrices are written (DNG has two slots).
///
/// Files are written to a temporary name in the destination folder and renamed into place.
public struct DNGWriter: Sendable {
    /// The text of the TIFF `Software` tag.
    public var software: String
    /// The TIFF/EXIF `Orientation` (1 = normal, 1...8 as in TIFF 6.0).
    public var orientation: Int
    /// The `UniqueCameraModel` tag; `nil` derives it from make and model.
    public var uniqueCameraModel: String?
    /// The colour matrix written as `ColorMatrix1` when the image's metadata has none.
    public var fallbackColorMatrix: ColorMatrix

    /// XYZ (D65) to linear sRGB, the IEC 61966-2-1 matrix, with calibration illuminant D65 (21).
    ///
    /// It maps the D65 white point to (1, 1, 1), so a camera described by it is treated as an
    /// sRGB camera with neutral white balance at D65.
    public static let sRGBColorMatrix = ColorMatrix(illuminant: 21, values: [
        3.2406, -1.5372, -0.4986,
        -0.9689, 1.8758, 0.0415,
        0.0557, -0.2040, 1.0570,
    ])

    /// Creates a writer.
    /// - Parameters:
    ///   - software: the `Software` tag.
    ///   - orientation: the TIFF orientation, 1...8.
    ///   - uniqueCameraModel: the `UniqueCameraModel` tag, or `nil` for "make model".
    ///   - fallbackColorMatrix: written as `ColorMatrix1` when the metadata has no colour matrix.
    public init(software: String = "raw2raw", orientation: Int = 1, uniqueCameraModel: String? = nil,
                fallbackColorMatrix: ColorMatrix = DNGWriter.sRGBColorMatrix) {
        precondition((1...8).contains(orientation), "TIFF orientation must be 1...8, got \(orientation)")
        self.software = software
        self.orientation = orientation
        self.uniqueCameraModel = uniqueCameraModel
        self.fallbackColorMatrix = fallbackColorMatrix
    }

    /// Writes `image` as a DNG file at `url` (temporary file in the same folder, then renamed).
    ///
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` when a value cannot be stored in DNG
    ///   (a negative or non-finite black level, an orientation outside 1...8, a colour matrix
    ///   entry no SRATIONAL holds) or the file cannot be written.
    public func write(_ image: BayerImage, to url: URL) throws(RawIOError) {
        let bytes = try encode(image, path: url.path)
        try AtomicFile.write(bytes, to: url, error: RawIOError.init)
    }

    /// The bytes of the DNG file for `image`; `path` names the file in errors.
    func encode(_ image: BayerImage, path: String) throws(RawIOError) -> [UInt8] {
        guard image.samples.count * 2 < Int(UInt32.max) - (1 << 20) else {
            throw .writeFailed(path: path, reason: "a \(image.width)x\(image.height) mosaic needs more than the 4 GiB a classic TIFF/DNG can address")
        }
        guard (1...8).contains(orientation) else {
            throw .writeFailed(path: path, reason: "TIFF orientation must be 1...8, got \(orientation)")
        }
        var entries: [TIFFEncoder.Entry] = []
        let meta = image.metadata
        let make = meta.make.isEmpty ? "Unknown" : meta.make
        let model = meta.model.isEmpty ? "Unknown" : meta.model
        let unique = uniqueCameraModel ?? (model.hasPrefix(make) ? model : "\(make) \(model)")

        entries.append(.longs(254, [0]))  // NewSubFileType: main image
        entries.append(.longs(256, [UInt32(image.width)]))  // ImageWidth
        entries.append(.longs(257, [UInt32(image.height)]))  // ImageLength
        entries.append(.shorts(258, [16]))  // BitsPerSample
        entries.append(.shorts(259, [1]))  // Compression: none
        entries.append(.shorts(262, [32803]))  // PhotometricInterpretation: CFA
        entries.append(.ascii(271, make))  // Make
        entries.append(.ascii(272, model))  // Model
        entries.append(.longs(273, [0]))  // StripOffsets (patched by the encoder)
        entries.append(.shorts(274, [UInt16(orientation)]))  // Orientation
        entries.append(.shorts(277, [1]))  // SamplesPerPixel
        entries.append(.longs(278, [UInt32(image.height)]))  // RowsPerStrip: one strip
        entries.append(.longs(279, [UInt32(image.width * image.height * 2)]))  // StripByteCounts
        entries.append(.shorts(284, [1]))  // PlanarConfiguration: chunky
        entries.append(.ascii(305, software))  // Software
        entries.append(.shorts(33421, [2, 2]))  // CFARepeatPatternDim
        entries.append(.bytes(33422, image.pattern.dngCFAPattern))  // CFAPattern
        var exif: [TIFFEncoder.Entry] = []
        if let t = meta.exposureTime, t.isFinite, t > 0 {
            exif.append(.rationals(33434, [Self.exposureRational(t)]))  // ExposureTime
        }
        if let iso = meta.iso, iso.isFinite, iso >= 1, iso <= 65535 {
            exif.append(.shorts(34855, [UInt16(iso.rounded())]))  // ISOSpeedRatings
        }
        if !exif.isEmpty {
            exif.append(.undefined(36864, Array("0230".utf8)))  // ExifVersion 2.3
        }
        entries.append(.bytes(50706, [1, 4, 0, 0]))  // DNGVersion
        entries.append(.bytes(50707, [1, 1, 0, 0]))  // DNGBackwardVersion
        entries.append(.ascii(50708, unique))  // UniqueCameraModel
        entries.append(.bytes(50710, [0, 1, 2]))  // CFAPlaneColor: R, G, B
        entries.append(.shorts(50711, [1]))  // CFALayout: rectangular
        entries.append(.shorts(50713, [2, 2]))  // BlackLevelRepeatDim
        entries.append(try blackLevelEntry(image.blackLevels.rowMajor, path: path))  // BlackLevel
        guard image.whiteLevel > 0, image.whiteLevel <= Int(UInt32.max) else {
            throw .writeFailed(path: path, reason: "white level \(image.whiteLevel) does not fit a DNG WhiteLevel")
        }
        entries.append(.longs(50717, [UInt32(image.whiteLevel)]))  // WhiteLevel

        let matrices = meta.colorMatrices.isEmpty ? [fallbackColorMatrix] : Array(meta.colorMatrices.prefix(2))
        for (k, m) in matrices.enumerated() {
            guard m.values.allSatisfy({ $0.isFinite && abs($0) < Double(Int32.max) }) else {
                throw .writeFailed(path: path, reason: "colour matrix \(k + 1) holds a value an SRATIONAL cannot store: \(m.values)")
            }
            guard (0...65535).contains(m.illuminant) else {
                throw .writeFailed(path: path, reason: "calibration illuminant \(m.illuminant) is not a 16-bit EXIF LightSource code")
            }
            entries.append(.signedRationals(UInt16(50721 + k), m.values.map(RationalApproximation.signedRational)))
            entries.append(.shorts(UInt16(50778 + k), [UInt16(m.illuminant)]))
        }
        if let neutral = Self.asShotNeutral(meta) {
            entries.append(.rationals(50728, neutral.map(RationalApproximation.rational)))  // AsShotNeutral
        }

        let encoder = TIFFEncoder()
        return encoder.encode(entries: entries, exifEntries: exif, stripByteCount: image.samples.count * 2) { strip in
            image.samples.withUnsafeBytes { src in
                #if _endian(little)
                strip.copyMemory(from: src)
                #else
                let s = src.bindMemory(to: UInt16.self)
                for i in s.indices { strip.storeBytes(of: s[i].littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
                #endif
            }
        }
    }

    /// `BlackLevel`: four LONGs when every level is a whole number, else four RATIONALs.
    private func blackLevelEntry(_ levels: [Double], path: String) throws(RawIOError) -> TIFFEncoder.Entry {
        guard levels.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= Double(UInt32.max) }) else {
            throw .writeFailed(path: path, reason: "black levels \(levels) cannot be stored in DNG (they must be finite and not negative)")
        }
        if levels.allSatisfy({ $0 == $0.rounded() }) {
            return .longs(50714, levels.map { UInt32($0) })
        }
        return .rationals(50714, levels.map(RationalApproximation.rational))
    }

    /// `AsShotNeutral` from the metadata, or from the camera multipliers (`G / multiplier`).
    static func asShotNeutral(_ meta: RawMetadata) -> [Double]? {
        func valid(_ v: [Double]) -> Bool { v.count >= 3 && v.prefix(3).allSatisfy { $0.isFinite && $0 > 0 } }
        if let n = meta.asShotNeutral, valid(n) { return Array(n.prefix(3)) }
        if let m = meta.cameraWhiteBalance, valid(m) {
            return [m[1] / m[0], 1, m[1] / m[2]]
        }
        return nil
    }

    /// An exposure time as a RATIONAL: `1/n` for the usual shutter speeds, else the best fraction.
    static func exposureRational(_ t: Double) -> (numerator: UInt32, denominator: UInt32) {
        if t < 1 {
            let n = (1 / t).rounded()
            if n <= Double(UInt32.max), abs(1 / n - t) <= 1e-9 * t { return (1, UInt32(n)) }
        }
        return RationalApproximation.rational(t)
    }
}

extension BayerImage {
    /// Writes the mosaic as an uncompressed DNG file (see ``DNGWriter`` for the tags written).
    ///
    /// Reading the file back with ``init(contentsOf:)`` gives the same samples, pattern, black
    /// levels (whole numbers; LibRaw reads black levels as integers), white level and metadata.
    /// - Parameters:
    ///   - url: the destination; written to a temporary file in the same folder, then renamed.
    ///   - writer: the writer and its options.
    /// - Throws: ``RawIOError/writeFailed(path:reason:)``.
    public func writeDNG(to url: URL, using writer: DNGWriter = DNGWriter()) throws(RawIOError) {
        try writer.write(self, to: url)
    }
}
