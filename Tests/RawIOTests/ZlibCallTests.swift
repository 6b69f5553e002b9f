import Foundation
import Testing
@testable import RawIO

@Suite("zlib calls")
struct ZlibCallTests {
    static func sample(_ count: Int) -> [UInt8] {
        var rng = WriteTestRandom(seed: 42)
        // Compressible: runs and a small alphabet.
        return (0..<count).map { i in i % 97 < 40 ? 0 : UInt8(rng.int(in: 0...15)) }
    }

    @Test("deflate and compress streams inflate back exactly", arguments: [0, 1, 1000, 300_000])
    func roundTrip(count: Int) throws {
        let data = Self.sample(count)
        for z in [try Zlib.deflate(data[...]), Zlib.compress(data), try Zlib.deflate(data[...], level: 0)] {
            guard case .complete(let back) = try Zlib.inflate(z[...], limit: count + 1) else {
                Issue.record("stream did not complete"); continue
            }
            #expect(back == data)
        }
    }

    @Test("inflate never produces more than its limit and reports how it stopped")
    func bounded() throws {
        let data = Self.sample(100_000)
        let z = try Zlib.deflate(data[...])
        guard case .limitReached(let head) = try Zlib.inflate(z[...], limit: 1234) else {
            Issue.record("expected .limitReached"); return
        }
        #expect(head == Array(data.prefix(1234)))
        guard case .truncated(let part) = try Zlib.inflate(z.prefix(z.count / 2), limit: 200_000) else {
            Issue.record("expected .truncated"); return
        }
        #expect(part.count < data.count && part == Array(data.prefix(part.count)))
        var bad = z
        bad[0] = 0x00  // not a zlib header
        #expect(throws: ZlibFailure.self) { try Zlib.inflate(bad[...], limit: 10) }
    }

    @Test("crc32 gives the standard check value")
    func crc() {
        let check = Array("123456789".utf8).withUnsafeBytes { Zlib.crc32(0, $0) }
        #expect(check == 0xCBF4_3926)
        let split = Array("12345".utf8).withUnsafeBytes { a in Array("6789".utf8).withUnsafeBytes { b in Zlib.crc32(Zlib.crc32(0, a), b) } }
        #expect(split == check)
    }
}
