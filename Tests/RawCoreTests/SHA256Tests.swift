import Foundation
import Testing
import RawSupport

@Suite("SHA-256") struct SHA256Tests {
    /// The FIPS 180-4 examples (NIST "SHA256.pdf" and the NIST CAVS short/long messages).
    @Test("the FIPS 180-4 test vectors", arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",          // 448 bits
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",   // 896 bits
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func vectors(message: String, digest: String) {
        #expect(SHA256.hexDigest(Data(message.utf8)) == digest)
    }

    @Test("one million 'a', hashed whole and in uneven pieces")
    func millionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let data = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hexDigest(data) == expected)
        var h = SHA256()
        var offset = 0, piece = 1
        while offset < data.count {     // pieces of 1, 2, ..., 199 bytes cross every block boundary offset
            let end = min(data.count, offset + piece)
            h.update(data[offset..<end])
            offset = end
            piece = piece % 199 + 1
        }
        #expect(SHA256.hex(h.finalize()) == expected)
    }

    @Test("a file's digest is the one sha256sum prints")
    func file() throws {
        // 3,000,001 bytes, byte i = (31 i + i >> 7) mod 251: more than two 1 MiB read pieces and a tail.
        // Made and hashed with the shell when this test was written:
        //   python3 -c "import sys; sys.stdout.buffer.write(bytes((i*31 + (i>>7)) % 251 for i in range(3_000_001)))" > f.bin
        //   sha256sum f.bin
        let expected = "b2dbb52058eea29b5b2c6131ea9eb2dbf2dcf9162d5438cf6d2e246e477f4e89"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("f.bin")
        try Data((0..<3_000_001).map { UInt8((31 * $0 + ($0 >> 7)) % 251) }).write(to: url)
        #expect(try SHA256.hexDigest(ofFileAt: url) == expected)
        #expect(SHA256.hexDigest(try Data(contentsOf: url)) == expected)
    }
}
