/// The black level of each position of a Bayer mosaic's 2x2 tile.
///
/// Positions are those of the tile at (0, 0), whatever colour sits there; ``packed(for:)`` gives
/// the levels in packed channel order (R, Gr, Gb, B) for a CFA phase. Encoded as a JSON array of
/// four numbers, row-major.
public struct BlackLevels: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// Level at row 0, column 0.
    public let topLeft: Double
    /// Level at row 0, column 1.
    public let topRight: Double
    /// Level at row 1, column 0.
    public let bottomLeft: Double
    /// Level at row 1, column 1.
    public let bottomRight: Double

    /// Creates levels for the four positions of the 2x2 tile.
    public init(topLeft: Double, topRight: Double, bottomLeft: Double, bottomRight: Double) {
        precondition([topLeft, topRight, bottomLeft, bottomRight].allSatisfy { $0.isFinite && $0 >= 0 },
                     "black levels are finite and non-negative, got \([topLeft, topRight, bottomLeft, bottomRight])")
        self.topLeft = topLeft
        self.topRight = topRight
        self.bottomLeft = bottomLeft
        self.bottomRight = bottomRight
    }

    /// The same level at every position.
    public init(uniform level: Double) {
        self.init(topLeft: level, topRight: level, bottomLeft: level, bottomRight: level)
    }

    /// Creates levels from four values, row-major over the 2x2 tile at (0, 0).
    public init(rowMajor values: [Double]) {
        precondition(values.count == 4, "black levels are 4 values (2x2 tile, row-major), got \(values.count)")
        self.init(topLeft: values[0], topRight: values[1], bottomLeft: values[2], bottomRight: values[3])
    }

    /// Creates levels from four values in packed channel order (R, Gr, Gb, B) for `pattern`.
    public init(packed values: [Double], pattern: CFAPattern) {
        precondition(values.count == 4, "black levels are 4 values (R, Gr, Gb, B), got \(values.count)")
        var rowMajor = [Double](repeating: 0, count: 4)
        for channel in PackedChannel.allCases {
            let p = pattern.position(of: channel)
            rowMajor[p.row * 2 + p.column] = values[channel.rawValue]
        }
        self.init(rowMajor: rowMajor)
    }

    /// Creates levels from a literal of four values, row-major: `[512, 512, 512, 512]`.
    public init(arrayLiteral elements: Double...) {
        self.init(rowMajor: elements)
    }

    /// The four levels, row-major over the 2x2 tile at (0, 0).
    public var rowMajor: [Double] { [topLeft, topRight, bottomLeft, bottomRight] }

    /// The level of the photosite at `row`, `column` (any non-negative coordinates; the tile repeats).
    @inlinable
    public subscript(row row: Int, column column: Int) -> Double {
        switch ((row & 1) << 1) | (column & 1) {
        case 0: return topLeft
        case 1: return topRight
        case 2: return bottomLeft
        default: return bottomRight
        }
    }

    /// The levels in packed channel order (R, Gr, Gb, B) for a mosaic of `pattern`.
    public func packed(for pattern: CFAPattern) -> [Double] {
        PackedChannel.allCases.map { channel in
            let p = pattern.position(of: channel)
            return self[row: p.row, column: p.column]
        }
    }

    /// The highest of the four levels.
    public var maximum: Double { Swift.max(Swift.max(topLeft, topRight), Swift.max(bottomLeft, bottomRight)) }

    /// The levels as `[a, b, c, d]`, row-major.
    public var description: String { "\(rowMajor)" }

    /// Decodes a JSON array of four numbers, row-major.
    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        var values: [Double] = []
        while !c.isAtEnd { values.append(try c.decode(Double.self)) }
        guard values.count == 4, values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "black levels are 4 finite, non-negative numbers (row-major), got \(values)"))
        }
        self.init(rowMajor: values)
    }

    /// Encodes the levels as a JSON array of four numbers, row-major.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(contentsOf: rowMajor)
    }
}
