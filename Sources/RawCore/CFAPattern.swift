/// A colour filter of one photosite in a Bayer mosaic.
public enum CFAColor: String, Sendable, Codable, CaseIterable {
    /// The red filter.
    case red = "R"
    /// A green filter.
    case green = "G"
    /// The blue filter.
    case blue = "B"
}

/// The four channels of a packed (half-resolution, 4-channel) raw image, in storage order.
///
/// The order is R, Gr, Gb, B whatever the phase of the sensor's CFA: `Gr` is the green on the
/// same row as red, `Gb` the green on the same row as blue.
public enum PackedChannel: Int, Sendable, Codable, CaseIterable {
    /// Red.
    case red = 0
    /// The green on the red rows.
    case greenRed = 1
    /// The green on the blue rows.
    case greenBlue = 2
    /// Blue.
    case blue = 3
}

/// The phase of a 2x2 Bayer colour filter array, named row-major from the top-left photosite.
///
/// `GRBG` means: row 0 is green, red; row 1 is blue, green.
public enum CFAPattern: String, Sendable, Codable, CaseIterable {
    /// Red at (0,0), blue at (1,1).
    case rggb = "RGGB"
    /// Blue at (0,0), red at (1,1).
    case bggr = "BGGR"
    /// Green at (0,0), red at (0,1), blue at (1,0).
    case grbg = "GRBG"
    /// Green at (0,0), blue at (0,1), red at (1,0).
    case gbrg = "GBRG"

    /// Creates a pattern from its four colours, row-major over the 2x2 tile; `nil` if they are not a Bayer tile.
    public init?(colors: [CFAColor]) {
        guard colors.count == 4 else { return nil }
        let name = colors.map(\.rawValue).joined()
        self.init(rawValue: name)
    }

    /// The colour of the photosite at `row`, `column` (any non-negative coordinates; the tile repeats).
    @inlinable
    public func color(row: Int, column: Int) -> CFAColor {
        let p = positions
        let r = row & 1, c = column & 1
        if r == p.red.row && c == p.red.column { return .red }
        if r == p.blue.row && c == p.blue.column { return .blue }
        return .green
    }

    /// The four colours, row-major over the 2x2 tile at (0,0).
    public var colors: [CFAColor] {
        [color(row: 0, column: 0), color(row: 0, column: 1), color(row: 1, column: 0), color(row: 1, column: 1)]
    }

    /// Where each packed channel sits in the 2x2 tile at (0,0), in the order R, Gr, Gb, B.
    @inlinable
    public var positions: (red: (row: Int, column: Int), greenRed: (row: Int, column: Int),
                           greenBlue: (row: Int, column: Int), blue: (row: Int, column: Int)) {
        switch self {
        case .rggb: return ((0, 0), (0, 1), (1, 0), (1, 1))
        case .bggr: return ((1, 1), (1, 0), (0, 1), (0, 0))
        case .grbg: return ((0, 1), (0, 0), (1, 1), (1, 0))
        case .gbrg: return ((1, 0), (1, 1), (0, 0), (0, 1))
        }
    }

    /// The position in the 2x2 tile of `channel`.
    @inlinable
    public func position(of channel: PackedChannel) -> (row: Int, column: Int) {
        let p = positions
        switch channel {
        case .red: return p.red
        case .greenRed: return p.greenRed
        case .greenBlue: return p.greenBlue
        case .blue: return p.blue
        }
    }

    /// The packed channel of the photosite at `row`, `column`.
    @inlinable
    public func channel(row: Int, column: Int) -> PackedChannel {
        let r = row & 1, c = column & 1
        for channel in PackedChannel.allCases {
            let p = position(of: channel)
            if p.row == r && p.column == c { return channel }
        }
        preconditionFailure("unreachable: every 2x2 position holds one channel")
    }

    /// The pattern seen when the mosaic is cropped by `rowOffset` rows and `columnOffset` columns.
    public func shifted(rows rowOffset: Int, columns columnOffset: Int) -> CFAPattern {
        let cs = (0..<2).flatMap { r in (0..<2).map { c in color(row: r + rowOffset, column: c + columnOffset) } }
        return CFAPattern(colors: cs)!
    }

    /// The DNG `CFAPattern` tag values (0 = red, 1 = green, 2 = blue), row-major.
    public var dngCFAPattern: [UInt8] {
        colors.map { $0 == .red ? 0 : ($0 == .green ? 1 : 2) }
    }
}
