import Foundation
import RawSupport
@testable import RawIO

/// Locations of the test fixtures (copied from the shared test data; see Fixtures/*/README.md).
enum Fixtures {
    static let root: URL = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            preconditionFailure("the RawIOTests bundle holds no Fixtures folder")
        }
        return url
    }()

    static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    static func data(_ relativePath: String) throws -> Data { try Data(contentsOf: url(relativePath)) }

    static func json(_ relativePath: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: try data(relativePath))
        guard let dict = object as? [String: Any] else { throw FixtureError.malformed(relativePath) }
        return dict
    }

    /// File names in a fixture folder with the given extension, sorted.
    static func names(in folder: String, withExtension ext: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(folder).path)
            .filter { $0.hasSuffix("." + ext) }.sorted()
    }

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("RawIOTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

enum FixtureError: Error, CustomStringConvertible {
    case malformed(String)
    var description: String {
        switch self { case .malformed(let what): return "malformed fixture: \(what)" }
    }
}

/// The kind of a ``RawIOError``, for comparing errors without their messages.
func kind(_ error: RawIOError) -> String {
    switch error {
    case .fileNotFound: return "fileNotFound"
    case .unreadable: return "unreadable"
    case .notARawFile: return "notARawFile"
    case .corrupt: return "corrupt"
    case .unsupportedLayout: return "unsupportedLayout"
    case .unsupportedFormat: return "unsupportedFormat"
    case .libraw: return "libraw"
    case .missingVariable: return "missingVariable"
    case .writeFailed: return "writeFailed"
    }
}

/// Reads a file through the public API and returns the error it gives, or `nil` when it reads.
func readError(_ url: URL) -> RawIOError? {
    do {
        _ = try BayerImage(contentsOf: url)
        return nil
    } catch {
        return error
    }
}

/// The SHA-256 digest (RawSupport's, checked against FIPS 180-4 vectors in RawCoreTests) of
/// samples as little-endian UInt16, row-major: the reference JSON's convention.
func sha256Hex(littleEndian samples: [UInt16]) -> String {
    var bytes = [UInt8](repeating: 0, count: samples.count * 2)
    for (i, v) in samples.enumerated() {
        bytes[2 * i] = UInt8(v & 0xFF)
        bytes[2 * i + 1] = UInt8(v >> 8)
    }
    return SHA256.hexDigest(Data(bytes))
}
