import Foundation
import RawSupport

/// The checksum list of a model folder or checkpoint, `checksums.sha256`: one line per file,
/// `<SHA-256 in lowercase hex>  <file name>`, the format `sha256sum` writes, so
/// `cd MODEL && sha256sum -c checksums.sha256` checks a folder without raw2raw.
///
/// Why a separate list rather than a checksum field inside `model.json`: a file cannot hold its
/// own checksum, and a field computed over "the JSON without that field" needs a canonical JSON
/// form, ignores damage that a re-encoding hides (a changed space) and is checked by no standard
/// tool. The list holds the digests of the exact bytes of every other file; it is written last
/// (atomically), after the files it lists, so a folder whose save was interrupted either has the
/// previous list, which then no longer matches (the mix of old and new files is refused), or,
/// for a first save, no list at all.
struct ChecksumList: Equatable {
    /// The list's file name in a model folder and in a checkpoint folder.
    static let fileName = "checksums.sha256"

    /// Each file's name (in the list's folder) and SHA-256 digest, in the order written.
    var entries: [Entry]

    struct Entry: Equatable {
        var name: String
        var digest: String
    }

    /// A list of the digests of `files` (name and bytes).
    init(files: [(name: String, bytes: Data)]) {
        entries = files.map { Entry(name: $0.name, digest: SHA256.hexDigest($0.bytes)) }
    }

    init(entries: [Entry]) { self.entries = entries }

    /// The recorded digest of `name`, if listed.
    func digest(of name: String) -> String? { entries.first { $0.name == name }?.digest }

    /// The list's bytes: `sha256sum`'s text format, one line per entry.
    func encoded() -> Data {
        Data(entries.map { "\($0.digest)  \($0.name)\n" }.joined().utf8)
    }

    /// Parses `sha256sum` text; returns what is wrong (naming the line) when it is not a list.
    ///
    /// Strict, so that any changed byte of a list is noticed: lowercase digits, two spaces (text
    /// mode, as written), a plain file name, every line ended by a newline, no name twice.
    static func parse(_ data: Data) -> Result<ChecksumList, ChecksumListProblem> {
        guard let text = String(data: data, encoding: .utf8) else { return .failure(.init("it is not UTF-8 text")) }
        guard text.hasSuffix("\n") else { return .failure(.init("its last line is incomplete")) }
        var entries: [Entry] = []
        for (i, line) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line.utf8)
            let name = String(decoding: bytes.dropFirst(66), as: UTF8.self)
            guard bytes.count > 66, bytes[64] == UInt8(ascii: " "), bytes[65] == UInt8(ascii: " "),
                  bytes[..<64].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                  !name.contains("/"), name != ".", name != ".." else {
                return .failure(.init("line \(i + 1) is not '<64 lowercase hex digits>  <file name>'"))
            }
            guard !entries.contains(where: { $0.name == name }) else {
                return .failure(.init("line \(i + 1) lists \(name) a second time"))
            }
            entries.append(Entry(name: name, digest: String(decoding: bytes[..<64], as: UTF8.self)))
        }
        guard !entries.isEmpty else { return .failure(.init("it lists no file")) }
        return .success(ChecksumList(entries: entries))
    }

    /// The checksum list of `folder`: `nil` when the folder has none (written before raw2raw
    /// recorded checksums).
    /// - Throws: ``ModelError/checksumList(path:reason:)`` when the list cannot be read or parsed.
    static func read(in folder: URL) throws(ModelError) -> ChecksumList? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .checksumList(path: url.path, reason: "cannot read the file") }
        switch parse(data) {
        case .success(let list): return list
        case .failure(let problem): throw .checksumList(path: url.path, reason: problem.reason)
        }
    }

    /// Checks `bytes`, the content of the file `name` of `folder`, against the list.
    /// - Throws: ``ModelError/checksumList(path:reason:)`` when `name` is not listed,
    ///   ``ModelError/checksumMismatch(path:expected:found:)`` when its digest differs.
    func verify(_ bytes: Data, name: String, in folder: URL) throws(ModelError) {
        guard let expected = digest(of: name) else {
            throw .checksumList(path: folder.appendingPathComponent(Self.fileName).path, reason: "it has no checksum for \(name)")
        }
        let found = SHA256.hexDigest(bytes)
        guard found == expected else {
            throw .checksumMismatch(path: folder.appendingPathComponent(name).path, expected: expected, found: found)
        }
    }

    /// Checks that the list names exactly `names` (a damaged name would leave a file unchecked).
    /// - Throws: ``ModelError/checksumList(path:reason:)`` naming a missing or unknown entry.
    func requireExactly(_ names: Set<String>, in folder: URL) throws(ModelError) {
        let listed = Set(entries.map(\.name))
        let path = folder.appendingPathComponent(Self.fileName).path
        if let missing = names.subtracting(listed).sorted().first { throw .checksumList(path: path, reason: "it has no checksum for \(missing)") }
        if let extra = listed.subtracting(names).sorted().first {
            throw .checksumList(path: path, reason: "it lists \(extra), which is not one of the folder's files (\(names.sorted().joined(separator: ", ")))")
        }
    }
}

/// What is wrong with a checksum list's text.
struct ChecksumListProblem: Error, Equatable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// How the files of a model folder were checked when it was loaded (``Raw2RawNetwork/integrity``).
///
/// Saving a model folder records the SHA-256 of `model.json` and `model.safetensors` in
/// `checksums.sha256`; loading verifies both and refuses a damaged file with
/// ``ModelError/checksumMismatch(path:expected:found:)``. Folders saved before raw2raw recorded
/// checksums still load, as ``unverified(folder:)``, and a program should show ``warning``.
public enum ModelIntegrity: Sendable, Equatable {
    /// The network was created or trained in memory, not loaded from a model folder.
    case notLoaded
    /// Every file of the model folder matched the checksum recorded when it was saved.
    case verified
    /// The model folder has no `checksums.sha256` (it was saved before raw2raw recorded
    /// checksums), so damage to its files could not be detected.
    case unverified(folder: String)

    /// A one-line warning for ``unverified(folder:)``; `nil` otherwise.
    public var warning: String? {
        guard case .unverified(let folder) = self else { return nil }
        return "\(folder) has no \(ChecksumList.fileName) (it was saved by an older raw2raw), so its files could not be checked "
            + "for damage; saving the model again (or training it again) records their checksums"
    }
}
