/// A DNG colour matrix (XYZ to camera colour) with the illuminant it was calibrated under.
public struct ColorMatrix: Sendable, Equatable, Codable {
    /// The EXIF LightSource code of the calibration illuminant (e.g. 17 = Standard light A, 21 = D65).
    public var illuminant: Int
    /// Row-major 3x3 matrix: rows are camera colours R, G, B; columns X, Y, Z (DNG `ColorMatrix1/2`).
    public var values: [Double]

    /// Creates a colour matrix; `values` must hold 9 numbers, row-major.
    public init(illuminant: Int, values: [Double]) {
        precondition(values.count == 9, "ColorMatrix needs 9 values (3x3 row-major), got \(values.count)")
        self.illuminant = illuminant
        self.values = values
    }
}

/// Capture metadata of a raw image.
public struct RawMetadata: Sendable, Equatable, Codable {
    /// Camera manufacturer as the file names it.
    public var make: String
    /// Camera model as the file names it.
    public var model: String
    /// ISO speed, if recorded.
    public var iso: Double?
    /// Exposure time in seconds, if recorded.
    public var exposureTime: Double?
    /// The camera-space colour of a neutral under the capture light (DNG `AsShotNeutral`), R, G, B.
    public var asShotNeutral: [Double]?
    /// The camera's white-balance multipliers R, G, B, G2 (LibRaw `cam_mul`; G2 of 0 means "as G").
    public var cameraWhiteBalance: [Double]?
    /// DNG `ColorMatrix1`/`ColorMatrix2` with their calibration illuminants, in tag order.
    public var colorMatrices: [ColorMatrix]

    /// Creates metadata; every field but make and model is optional.
    public init(make: String = "", model: String = "", iso: Double? = nil, exposureTime: Double? = nil,
                asShotNeutral: [Double]? = nil, cameraWhiteBalance: [Double]? = nil,
                colorMatrices: [ColorMatrix] = []) {
        self.make = make
        self.model = model
        self.iso = iso
        self.exposureTime = exposureTime
        self.asShotNeutral = asShotNeutral
        self.cameraWhiteBalance = cameraWhiteBalance
        self.colorMatrices = colorMatrices
    }
}
