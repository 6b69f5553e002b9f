/// One of the two cameras of a ``Raw2RawNetwork``: the public API names a camera by its side.
///
/// A camera's name (as in the dataset's folders) becomes a side only through
/// ``Raw2RawNetwork/side(of:)``, and a side its name through ``Raw2RawNetwork/name(of:)``.
public enum CameraSide: String, Codable, Sendable, CaseIterable {
    /// The first camera (`A`).
    case a
    /// The second camera (`B`).
    case b

    /// The other camera.
    public var other: CameraSide { self == .a ? .b : .a }
}

/// The direction of a mapping between the two cameras: the one way the public API names a direction.
///
/// The raw values (`A->B`, `B->A`) are those of evaluation reports.
public enum MappingDirection: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// From camera A's raw space to camera B's.
    case aToB = "A->B"
    /// From camera B's raw space to camera A's.
    case bToA = "B->A"

    /// The direction that maps images of `source` to the other camera.
    public init(from source: CameraSide) {
        self = source == .a ? .aToB : .bToA
    }

    /// The direction that maps images of the other camera into `target`.
    public init(to target: CameraSide) {
        self.init(from: target.other)
    }

    /// The camera whose images are mapped.
    public var source: CameraSide { self == .aToB ? .a : .b }

    /// The camera the images are mapped into.
    public var target: CameraSide { source.other }

    /// The other direction.
    public var reversed: MappingDirection { self == .aToB ? .bToA : .aToB }

    /// `A->B` or `B->A`.
    public var description: String { rawValue }

    /// `A to B` or `B to A`, for notes in sentences.
    var phrase: String { self == .aToB ? "A to B" : "B to A" }
}

/// One value per mapping direction, A to B and B to A (base mappings, exposure models, anchor gains, ...).
///
/// Read a value by name (``aToB``, ``bToA``) or by direction (`pair[.aToB]`).
public struct DirectionPair<Value> {
    /// The value of the direction A to B.
    public var aToB: Value
    /// The value of the direction B to A.
    public var bToA: Value

    /// Creates a pair from its two values.
    public init(aToB: Value, bToA: Value) {
        self.aToB = aToB
        self.bToA = bToA
    }

    /// Creates a pair by computing the value of each direction (A to B first).
    public init(_ value: (MappingDirection) throws -> Value) rethrows {
        self.init(aToB: try value(.aToB), bToA: try value(.bToA))
    }

    /// The value of `direction`.
    public subscript(direction: MappingDirection) -> Value {
        get { direction == .aToB ? aToB : bToA }
        set {
            if direction == .aToB { aToB = newValue } else { bToA = newValue }
        }
    }

    /// The pair of `transform`ed values (A to B first).
    public func map<T>(_ transform: (Value) throws -> T) rethrows -> DirectionPair<T> {
        DirectionPair<T>(aToB: try transform(aToB), bToA: try transform(bToA))
    }
}

extension DirectionPair: Sendable where Value: Sendable {}
extension DirectionPair: Equatable where Value: Equatable {}
extension DirectionPair: Hashable where Value: Hashable {}
/// Encoded as an object with the keys `aToB` and `bToA`.
extension DirectionPair: Codable where Value: Codable {}

extension DirectionPair {
    /// Both values when both are present, else `nil`.
    public func unwrapped<Wrapped>() -> DirectionPair<Wrapped>? where Value == Wrapped? {
        guard let a = aToB, let b = bToA else { return nil }
        return DirectionPair<Wrapped>(aToB: a, bToA: b)
    }
}
