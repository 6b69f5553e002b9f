import Foundation
import Testing
@testable import RawIO
#if canImport(Glibc)
import Glibc
#endif

@Suite("Bad input gives typed errors, never a crash")
struct BadFileTests {
    /// Every file of `bad/` with the error kinds that describe it sensibly.
    static let expectations: [String: Set<String>] = [
        "empty.dng": ["notARawFile"],
        "truncated-100-bytes.dng": ["corrupt"],
        "truncated-half.dng": ["corrupt"],
        "random-4KiB.dng": ["notARawFile"],
        "png-renamed.dng": ["notARawFile"],
        "text-renamed.dng": ["notARawFile"],
        "flip-ifd-entry-count.dng": ["corrupt"],
        "flip-tileoffsets.dng": ["corrupt"],
        "flip-bitspersample-and-type.dng": ["corrupt", "notARawFile"],
        "overclaim-dimensions.dng": ["corrupt"],
        "overclaim-bytecount.dng": ["corrupt"],
        "linearraw-not-bayer.dng": ["unsupportedLayout"],
    ]

    @Test("the expectations cover every file in bad/")
    func everyBadFileIsListed() throws {
        #expect(try Fixtures.names(in: "bad", withExtension: "dng") == Self.expectations.keys.sorted())
    }

    @Test("each bad file is rejected with a typed error naming it", arguments: expectations.keys.sorted())
    func rejected(name: String) throws {
        let url = Fixtures.url("bad/\(name)")
        let error = try #require(readError(url), "\(name) was accepted")
        #expect(Self.expectations[name]!.contains(kind(error)), "\(name): \(error)")
        #expect(error.path == url.path)
        #expect(error.description.contains(name))
        #expect(!error.description.contains("\n"))
    }

    @Test("the reasons say what is wrong")
    func reasons() {
        func reason(_ name: String) -> String { readError(Fixtures.url("bad/\(name)"))?.description ?? "" }
        #expect(reason("flip-ifd-entry-count.dng").contains("65305 entries"))
        #expect(reason("flip-tileoffsets.dng").contains("past the end of the file"))
        #expect(reason("overclaim-bytecount.dng").contains("2147483632 bytes"))
        #expect(reason("png-renamed.dng").contains("PNG"))
        #expect(reason("text-renamed.dng").contains("text"))
        #expect(reason("linearraw-not-bayer.dng").contains("colour filter array"))
    }

    @Test("a missing file")
    func missing() {
        let url = Fixtures.url("dng/no-such-file.dng")
        #expect(readError(url) == .fileNotFound(path: url.path))
    }

    @Test("a directory")
    func directory() throws {
        let error = try #require(readError(Fixtures.url("dng")))
        #expect(kind(error) == "unreadable")
    }

    @Test("a file without read permission", .enabled(if: geteuid() != 0, "root reads any file"))
    func unreadable() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("locked.dng")
        try Fixtures.data("dng/s9-like.dng").write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: url.path)
        let error = try #require(readError(url))
        #expect(kind(error) == "unreadable")
    }

    @Test("a FIFO is refused at once instead of blocking")
    func fifo() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("pipe.dng")
        #expect(mkfifo(url.path, 0o600) == 0)
        let error = try #require(readError(url))
        #expect(kind(error) == "unreadable")
    }

    @Test("a BigTIFF header is an unsupported format")
    func bigTIFF() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("big.tif")
        var bytes: [UInt8] = [0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0]
        bytes += [UInt8](repeating: 0, count: 64)
        try Data(bytes).write(to: url)
        let error = try #require(readError(url))
        #expect(kind(error) == "unsupportedFormat")
    }

    @Test("truncating a DNG anywhere gives .corrupt or .notARawFile, never a crash")
    func truncations() throws {
        let whole = try Fixtures.data("dng/s9-like.dng")
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The pixel tile ends at the end of the file, so every truncation cuts it.
        for (i, length) in stride(from: 1, to: whole.count, by: 97).enumerated() {
            let url = folder.appendingPathComponent("cut-\(i).dng")
            try whole.prefix(length).write(to: url)
            let error = try #require(readError(url), "a file cut to \(length) bytes was accepted")
            #expect(["corrupt", "notARawFile"].contains(kind(error)), "\(length) bytes: \(error)")
        }
    }

    @Test("flipping any byte of the header and IFD never crashes, and reads stay sane")
    func byteFlips() throws {
        let whole = try Fixtures.data("dng/s9-like.dng")
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var accepted = 0, rejected = 0
        for offset in 0..<460 {  // header, IFD0 and its out-of-line values; pixels start at 460
            var bytes = [UInt8](whole)
            bytes[offset] ^= 0xFF
            let url = folder.appendingPathComponent("flip-\(offset).dng")
            try Data(bytes).write(to: url)
            do {
                let image = try BayerImage(contentsOf: url)
                // Whatever a flipped tag did, an accepted image is self-consistent.
                #expect(image.samples.count == image.width * image.height)
                #expect(image.blackLevels.rowMajor.allSatisfy { $0 < Double(image.whiteLevel) })
                accepted += 1
            } catch {
                #expect(!error.description.isEmpty && error.path == url.path)
                rejected += 1
            }
        }
        #expect(accepted + rejected == 460)
        #expect(rejected > 0)
    }
}

@Suite("LibRaw's error reports", .serialized)
struct LibRawCallbackTests {
    /// Runs `body` with file descriptor 2 redirected to a file; returns what was written.
    static func capturingStandardError(_ body: () -> Void) throws -> String {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("stderr.txt").path
        fflush(nil)
        let saved = dup(2)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(fd, 2)
        body()
        fflush(nil)
        dup2(saved, 2)
        close(fd)
        close(saved)
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test("a data error LibRaw reports during unpack becomes .corrupt, and nothing reaches stderr")
    func dataErrorCallback() throws {
        // Bypass the structure check so that LibRaw itself meets the truncated pixel data.
        let path = Fixtures.url("bad/truncated-half.dng").path
        var result: RawIOError?
        var offsets: [Int] = []
        let printed = try Self.capturingStandardError {
            do throws(RawIOError) {
                let lr = try LibRawProcessor(path: path)
                try lr.open()
                defer { offsets = lr.dataErrorOffsets }
                try lr.unpack()
            } catch {
                result = error
            }
        }
        let error = try #require(result)
        #expect(kind(error) == "corrupt")
        #expect(offsets == [-1])  // LibRaw's "unexpected end of file"
        #expect(!printed.contains("Unexpected end of file"), "LibRaw printed: \(printed)")
        #expect(!printed.contains("data corrupted"))
    }
}
