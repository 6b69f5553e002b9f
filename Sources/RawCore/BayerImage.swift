/// A visible raw Bayer mosaic with its levels and capture metadata.
///
/// Samples are stored row-major as `UInt16`, one per photosite, exactly as the sensor recorded
/// them (no black subtraction, no scaling). The size, CFA phase and levels are fixed at creation
/// (every black level below the white level); samples change through ``subscript(_:_:)``
/// or ``samples`` element by element, never their count.
public struct BayerImage: Sendable, Equatable {
    /// Width in photosites.
    public private(set) var width: Int
    /// Height in photosites.
    public private(set) var height: Int
    private var storage: [UInt16]
    /// The phase of the colour filter array at (0,0).
    public private(set) var pattern: CFAPattern
    /// Black level of each position of the 2x2 CFA tile at (0,0).
    public private(set) var blackLevels: BlackLevels
    /// The sample value at which the sensor saturates.
    public private(set) var whiteLevel: Int
    /// Capture metadata.
    public var metadata: RawMetadata

    /// Creates a mosaic. Shape and level mistakes are programming errors (preconditions).
    public init(width: Int, height: Int, samples: [UInt16], pattern: CFAPattern,
                blackLevels: BlackLevels, whiteLevel: Int, metadata: RawMetadata = RawMetadata()) {
        precondition(width > 0 && height > 0, "BayerImage needs a positive size, got \(width)x\(height)")
        precondition(samples.count == width * height,
                     "BayerImage \(width)x\(height) needs \(width * height) samples, got \(samples.count)")
        precondition(whiteLevel > 0 && whiteLevel <= Int(UInt16.max), "the white level \(whiteLevel) does not fit UInt16")
        precondition(blackLevels.maximum < Double(whiteLevel),
                     "every black level must be below the white level \(whiteLevel), got \(blackLevels)")
        self.width = width
        self.height = height
        self.storage = samples
        self.pattern = pattern
        self.blackLevels = blackLevels
        self.whiteLevel = whiteLevel
        self.metadata = metadata
    }

    /// Row-major samples, `width * height` of them. Elements may be changed; a change of the
    /// count is a programming error (precondition).
    public var samples: [UInt16] {
        get { storage }
        _modify {
            yield &storage
            precondition(storage.count == width * height,
                         "BayerImage \(width)x\(height) needs \(width * height) samples, got \(storage.count)")
        }
    }

    /// The sample at `row`, `column`.
    @inlinable
    public subscript(row: Int, column: Int) -> UInt16 {
        get { samples[row * width + column] }
        set { samples[row * width + column] = newValue }
    }

    /// Black levels in packed channel order R, Gr, Gb, B.
    public var packedBlackLevels: [Double] { blackLevels.packed(for: pattern) }

    /// The black level of the photosite at `row`, `column`.
    @inlinable
    public func blackLevel(row: Int, column: Int) -> Double {
        blackLevels[row: row, column: column]
    }
}
