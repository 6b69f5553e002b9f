import Foundation
import Testing
@testable import RawIO

@Suite("Inspect summaries")
struct RawFileInfoTests {
    @Test("the JSON line has the documented keys and values")
    func jsonKeys() throws {
        let url = Fixtures.url("dng/gbrg-14bit-perchan-black-64x48.dng")
        let info = RawFileInfo(file: "perchan.dng", image: try BayerImage(contentsOf: url))
        let line = info.jsonLine()
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for key in ["file", "width", "height", "cfa", "blackLevels", "blackLevelsCFA", "whiteLevel", "make", "model", "asShotNeutral", "colorMatrices"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["iso"] == nil)  // not recorded in this file: left out
        #expect(object["file"] as? String == "perchan.dng")
        #expect(object["cfa"] as? String == "GBRG")
        #expect((object["width"] as? NSNumber)?.intValue == 64)
        #expect((object["height"] as? NSNumber)?.intValue == 48)
        #expect((object["whiteLevel"] as? NSNumber)?.intValue == 16383)
        // GBRG: R at (1,0), Gr (1,1), Gb (0,0), B (0,1); per-position [1024, 1040, 1056, 1072].
        #expect((object["blackLevels"] as? [NSNumber])?.map(\.doubleValue) == [1056, 1072, 1024, 1040])
        #expect((object["blackLevelsCFA"] as? [NSNumber])?.map(\.doubleValue) == [1024, 1040, 1056, 1072])
        #expect(object["make"] as? String == "TestData")
        #expect(object["model"] as? String == "GBRGperchan")
        let decoded = try JSONDecoder().decode(RawFileInfo.self, from: Data(line.utf8))
        #expect(decoded == info)
    }

    @Test("the text summary names the file and its facts")
    func summary() throws {
        let url = Fixtures.url("dng/bggr-dual-illuminant-b512-w64000.dng")
        let text = RawFileInfo(file: "dual.dng", image: try BayerImage(contentsOf: url)).summary
        #expect(text.hasPrefix("dual.dng\n"))
        #expect(text.contains("64 x 48"))
        #expect(text.contains("BGGR"))
        #expect(text.contains("64000"))
        #expect(text.contains("standard light A"))
        #expect(text.contains("D65"))
    }
}
