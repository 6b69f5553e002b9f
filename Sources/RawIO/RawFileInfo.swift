import Foundation

/// A summary of a decoded raw file: size, CFA, levels and capture metadata, as `raw2raw inspect`
/// reports it.
///
/// Encoded as JSON (``jsonLine()``) it has the keys `file`, `width`, `height`, `cfa`,
/// `blackLevels` (packed order R, Gr, Gb, B), `blackLevelsCFA` (row-major over the 2x2 tile at
/// (0,0)), `whiteLevel`, `make`, `model`, and, where the file records them, `iso`,
/// `exposureTime`, `asShotNeutral`, `cameraWhiteBalance` and `colorMatrices`.
public struct RawFileInfo: Sendable, Equatable, Codable {
    /// The file as the caller named it.
    public var file: String
    /// Visible width in photosites.
    public var width: Int
    /// Visible height in photosites.
    public var height: Int
    /// The CFA phase, row-major over the 2x2 tile at (0,0), e.g. `"GRBG"`.
    public var cfa: String
    /// Black levels in packed channel order R, Gr, Gb, B.
    public var blackLevels: [Double]
    /// Black levels per position of the 2x2 tile at (0,0), row-major.
    public var blackLevelsCFA: [Double]
    /// The white (saturation) level.
    public var whiteLevel: Int
    /// Camera manufacturer.
    public var make: String
    /// Camera model.
    public var model: String
    /// ISO speed, if recorded.
    public var iso: Double?
    /// Exposure time in seconds, if recorded.
    public var exposureTime: Double?
    /// DNG `AsShotNeutral` (R, G, B), if recorded.
    public var asShotNeutral: [Double]?
    /// LibRaw's camera white-balance multipliers (R, G, B, G2), if recorded.
    public var cameraWhiteBalance: [Double]?
    /// DNG colour matrices with their illuminants; `nil` when the file holds none.
    public var colorMatrices: [ColorMatrix]?

    /// Summarizes `image`, read from `file`.
    public init(file: String, image: BayerImage) {
        self.file = file
        width = image.width
        height = image.height
        cfa = image.pattern.rawValue
        blackLevels = image.packedBlackLevels
        blackLevelsCFA = image.blackLevels.rowMajor
        whiteLevel = image.whiteLevel
        make = image.metadata.make
        model = image.metadata.model
        iso = image.metadata.iso
        exposureTime = image.metadata.exposureTime
        asShotNeutral = image.metadata.asShotNeutral
        cameraWhiteBalance = image.metadata.cameraWhiteBalance
        colorMatrices = image.metadata.colorMatrices.isEmpty ? nil : image.metadata.colorMatrices
    }

    /// One line of JSON (sorted keys, no trailing newline); absent values are left out.
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain numbers, strings and arrays cannot fail.
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("RawFileInfo is always encodable as JSON")
        }
        return text
    }

    /// A few lines of text for people, one fact per line.
    public var summary: String {
        func number(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
        }
        func list(_ v: [Double]) -> String { v.map(number).joined(separator: " ") }
        var lines = [file]
        lines.append("  size             \(width) x \(height) photosites, CFA \(cfa)")
        let names = ["R", "Gr", "Gb", "B"]
        lines.append("  black level      " + zip(names, blackLevels).map { "\($0) \(number($1))" }.joined(separator: ", ")
                     + "  (per CFA position: \(list(blackLevelsCFA)))")
        lines.append("  white level      \(whiteLevel)")
        lines.append("  camera           \([make, model].filter { !$0.isEmpty }.joined(separator: " "))")
        if let iso { lines.append("  ISO              \(number(iso))") }
        if let t = exposureTime {
            let text = t < 1 && t > 0 ? "1/\(number((1 / t).rounded())) s (\(t) s)" : "\(number(t)) s"
            lines.append("  exposure time    \(text)")
        }
        if let n = asShotNeutral { lines.append("  as-shot neutral  \(list(n))") }
        if let wb = cameraWhiteBalance { lines.append("  camera WB        \(list(wb))") }
        for (i, m) in (colorMatrices ?? []).enumerated() {
            lines.append("  ColorMatrix\(i + 1)     illuminant \(m.illuminant) (\(ColorMatrix.illuminantName(m.illuminant)))")
            for r in 0..<3 {
                lines.append("                   " + m.values[(3 * r)..<(3 * r + 3)].map { String(format: "%8.4f", $0) }.joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension ColorMatrix {
    /// The name of an EXIF `LightSource` code, as DNG `CalibrationIlluminant` uses them.
    public static func illuminantName(_ code: Int) -> String {
        switch code {
        case 0: return "unknown"
        case 1: return "daylight"
        case 2: return "fluorescent"
        case 3: return "tungsten"
        case 4: return "flash"
        case 9: return "fine weather"
        case 10: return "cloudy"
        case 11: return "shade"
        case 12: return "daylight fluorescent"
        case 13: return "day white fluorescent"
        case 14: return "cool white fluorescent"
        case 15: return "white fluorescent"
        case 16: return "warm white fluorescent"
        case 17: return "standard light A"
        case 18: return "standard light B"
        case 19: return "standard light C"
        case 20: return "D55"
        case 21: return "D65"
        case 22: return "D75"
        case 23: return "D50"
        case 24: return "ISO studio tungsten"
        case 255: return "other"
        default: return "code \(code)"
        }
    }
}
