import Foundation

/// A file format that holds (or packs into) a ``PackedImage``.
public enum PackedImageFormat: String, Sendable, Codable, CaseIterable {
    /// A MATLAB v5 `.mat` file holding a `raw_rggb` variable (the paper's extracted dataset).
    case mat
    /// A DNG raw file, decoded and packed on load.
    case dng

    /// The format of a file, from its extension (case-insensitive); `nil` for other files.
    public init?(url: URL) {
        switch url.pathExtension.lowercased() {
        case "mat": self = .mat
        case "dng": self = .dng
        default: return nil
        }
    }
}

/// One image file of a dataset: where it is and how to load it. Holds no pixels.
public struct PackedImageFile: Sendable, Hashable {
    /// The file.
    public let url: URL
    /// Its format.
    public let format: PackedImageFormat

    /// Creates a reference to a file of a known format.
    public init(url: URL, format: PackedImageFormat) {
        self.url = url
        self.format = format
    }

    /// Creates a reference to a `.mat` or `.dng` file; `nil` for any other extension.
    public init?(url: URL) {
        guard let f = PackedImageFormat(url: url) else { return nil }
        self.init(url: url, format: f)
    }

    /// The file name without its extension: what pairs images across cameras.
    public var name: String { url.deletingPathExtension().lastPathComponent }

    /// Reads the file as a packed image.
    ///
    /// `.mat` files are read through ``PackedImage/init(contentsOfMAT:variable:)`` (variable
    /// `raw_rggb`); `.dng` files are decoded with ``BayerImage/init(contentsOf:)`` and packed with
    /// ``BayerImage/packed()`` (black-subtracted, normalized per CFA position).
    /// - Throws: ``RawIOError`` naming the file.
    public func load() throws(RawIOError) -> PackedImage {
        switch format {
        case .mat: return try PackedImage(contentsOfMAT: url, variable: "raw_rggb")
        case .dng: return try BayerImage(contentsOf: url).packed()
        }
    }
}
