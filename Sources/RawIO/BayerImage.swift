/// A visible raw Bayer mosaic with its levels and capture metadata.
///
/// Samples are stored row-major as `UInt16`, one per photosite, exactly as the sensor recorded
/// them (no black subtraction, no scaling). `blackLevels` is given per position of the 2x2 CFA
/// tile at (0,0), row-major: `[(0,0), (0,1), (1,0), (1,1)]`.
public struct BayerImage: Sendable, Equatable {
    /// Width in photosites.
    public var width: Int
    /// Height in photosites.
    public var height: Int
    /// Row-major samples, `width * height` of them.
    public var samples: [UInt16]
    /// The phase of the colour filter array at (0,0).
    public var pattern: CFAPattern
    /// Black level of each position of the 2x2 CFA tile at (0,0), row-major.
    public var blackLevels: [Double]
    /// The sample value at which the sensor saturates.
    public var whiteLevel: Int
    /// Capture metadata.
    public var metadata: RawMetadata

    /// Creates a mosaic. Shape and level mistakes are programming errors (preconditions).
    public init(width: Int, height: Int, samples: [UInt16], pattern: CFAPattern,
                blackLevels: [Double], whiteLevel: Int, metadata: RawMetadata = RawMetadata()) {
        precondition(width > 0 && height > 0, "BayerImage needs a positive size, got \(width)x\(height)")
        precondition(samples.count == width * height,
                     "BayerImage \(width)x\(height) needs \(width * height) samples, got \(samples.count)")
        precondition(blackLevels.count == 4, "BayerImage needs 4 black levels (2x2 tile, row-major), got \(blackLevels.count)")
        precondition(blackLevels.allSatisfy { $0 < Double(whiteLevel) },
                     "every black level must be below the white level \(whiteLevel), got \(blackLevels)")
        self.width = width
        self.height = height
        self.samples = samples
        self.pattern = pattern
        self.blackLevels = blackLevels
        self.whiteLevel = whiteLevel
        self.metadata = metadata
    }

    /// The sample at `row`, `column`.
    @inlinable
    public subscript(row: Int, column: Int) -> UInt16 {
        get { samples[row * width + column] }
        set { samples[row * width + column] = newValue }
    }

    /// Black levels in packed channel order R, Gr, Gb, B.
    public var packedBlackLevels: [Double] {
        PackedChannel.allCases.map { ch in
            let p = pattern.position(of: ch)
            return blackLevels[p.row * 2 + p.column]
        }
    }

    /// The black level of the photosite at `row`, `column`.
    @inlinable
    public func blackLevel(row: Int, column: Int) -> Double {
        blackLevels[(row & 1) * 2 + (column & 1)]
    }
}
