import RawSupport
import Foundation
import RawCore

/// A mapping is stored as a self-describing JSON object:
///
/// ```json
/// {
///   "format": "raw2raw.ColorMapping", "version": 1, "kind": "poly16",
///   "inputs": ["r", "gr", "gb", "b"], "outputs": ["R", "Gr", "Gb", "B"],
///   "terms": ["r", "gr", ..., "r*gr*gb*b", "1"],
///   "coefficients": [[0.92, 0.03, 0.02, 0.01], ...],
///   "statistics": { "usedSamples": 1000000, "rmse": [...], ... }
/// }
/// ```
///
/// `coefficients` has one row per term and one column per output. Doubles are written with the
/// shortest representation that reads back to the same value, so a reload is exact. Decoding
/// checks the format, that the term list is the kind's, and the matrix shape.
extension ColorMapping: Codable {
    /// The value of the `format` field.
    public static let jsonFormat = "raw2raw.ColorMapping"
    /// The version of the JSON layout this library writes and reads.
    public static let jsonVersion = 1

    private enum CodingKeys: String, CodingKey {
        case format, version, kind, inputs, outputs, terms, coefficients, statistics
    }

    /// Encodes the mapping (see the layout above).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.jsonFormat, forKey: .format)
        try c.encode(Self.jsonVersion, forKey: .version)
        try c.encode(kind, forKey: .kind)
        try c.encode(kind.inputChannelNames, forKey: .inputs)
        try c.encode(kind.outputChannelNames, forKey: .outputs)
        try c.encode(kind.terms.map(\.name), forKey: .terms)
        let q = kind.outputCount
        try c.encode((0..<kind.termCount).map { Array(coefficients[($0 * q)..<($0 * q + q)]) }, forKey: .coefficients)
        try c.encodeIfPresent(statistics, forKey: .statistics)
    }

    /// Decodes and validates a mapping.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format = try c.decode(String.self, forKey: .format)
        guard format == Self.jsonFormat else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription: "format is '\(format)', expected '\(Self.jsonFormat)'")
        }
        let version = try c.decode(Int.self, forKey: .version)
        guard version == Self.jsonVersion else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "version \(version) is not supported (this library reads version \(Self.jsonVersion))")
        }
        let kindName = try c.decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: kindName) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown kind '\(kindName)' (known: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let terms = try c.decode([String].self, forKey: .terms)
        let expected = kind.terms.map(\.name)
        guard terms == expected else {
            throw DecodingError.dataCorruptedError(forKey: .terms, in: c, debugDescription: "the terms of \(kind.rawValue) are \(expected), the file lists \(terms)")
        }
        let rows = try c.decode([[Double]].self, forKey: .coefficients)
        guard rows.count == kind.termCount, rows.allSatisfy({ $0.count == kind.outputCount }) else {
            throw DecodingError.dataCorruptedError(forKey: .coefficients, in: c, debugDescription: "coefficients must be \(kind.termCount) rows of \(kind.outputCount) values, got \(rows.count) rows of \(rows.map(\.count))")
        }
        let statistics = try c.decodeIfPresent(FitStatistics.self, forKey: .statistics)
        do {
            try self.init(kind: kind, coefficients: rows.flatMap { $0 }, statistics: statistics)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .coefficients, in: c, debugDescription: error.description)
        }
    }

    private static func makeEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    private static func makeDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// The mapping as pretty-printed JSON (UTF-8).
    public func jsonData() -> Data {
        do { return try Self.makeEncoder().encode(self) } catch {
            preconditionFailure("encoding a ColorMapping cannot fail: \(error)")
        }
    }

    /// Reads a mapping from JSON data.
    /// - Throws: ``CalibrationError/invalidMappingFile(path:reason:)`` (path `<data>`).
    public init(jsonData data: Data) throws(CalibrationError) {
        try self.init(jsonData: data, path: "<data>")
    }

    private init(jsonData data: Data, path: String) throws(CalibrationError) {
        do {
            self = try Self.makeDecoder().decode(ColorMapping.self, from: data)
        } catch let error as DecodingError {
            throw .invalidMappingFile(path: path, reason: Self.explain(error))
        } catch {
            throw .invalidMappingFile(path: path, reason: "\(error)")
        }
    }

    /// Reads a mapping from a JSON file written by ``write(to:)``.
    /// - Throws: ``CalibrationError/invalidMappingFile(path:reason:)`` naming the file.
    public init(contentsOf url: URL) throws(CalibrationError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "cannot read it: \(error.localizedDescription)" : "no such file"
            throw .invalidMappingFile(path: url.path, reason: reason)
        }
        try self.init(jsonData: data, path: url.path)
    }

    /// Writes the mapping as JSON, through a temporary file in the same folder renamed into place.
    /// - Throws: ``CalibrationError/writeFailed(path:reason:)``.
    public func write(to url: URL) throws(CalibrationError) {
        try AtomicFile.write(jsonData(), to: url) { CalibrationError.writeFailed(path: $0.path, reason: $0.reason) }
    }

    private static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON (\(ctx.debugDescription))" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        case .keyNotFound(let key, let ctx):
            return "missing field '\(key.stringValue)' at \(path(ctx.codingPath))"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
