import CZlib
import Foundation
import Testing
@testable import RawIO

/// A PNG reader for the tests: checks the structure and every CRC, inflates with zlib and undoes
/// the five PNG filters. Only 8-bit RGB, non-interlaced (what RawIO writes).
struct DecodedPNG {
    var width = 0
    var height = 0
    var pixels: [UInt8] = []
    var chunkTypes: [String] = []

    enum Failure: Error { case bad(String) }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Failure.bad("signature") }
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var i = 8
        var idat: [UInt8] = []
        while i < bytes.count {
            guard i + 12 <= bytes.count else { throw Failure.bad("chunk header past the end") }
            let length = u32(i)
            guard i + 12 + length <= bytes.count else { throw Failure.bad("chunk data past the end") }
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            let body = Array(bytes[(i + 8)..<(i + 8 + length)])
            let stored = UInt32(u32(i + 8 + length))
            let computed = Array(bytes[(i + 4)..<(i + 8 + length)]).withUnsafeBufferPointer {
                UInt32(crc32(0, $0.baseAddress, uInt($0.count)))
            }
            guard stored == computed else { throw Failure.bad("CRC of \(type)") }
            chunkTypes.append(type)
            switch type {
            case "IHDR":
                guard length == 13 else { throw Failure.bad("IHDR length") }
                width = u32(i + 8)
                height = u32(i + 12)
                guard body[8] == 8, body[9] == 2, body[10] == 0, body[11] == 0, body[12] == 0 else { throw Failure.bad("IHDR fields \(body[8...])") }
            case "IDAT": idat += body
            default: break
            }
            i += 12 + length
        }
        let rowBytes = width * 3
        var raw = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { dst in
            idat.withUnsafeBufferPointer { src in uncompress(dst.baseAddress, &rawLength, src.baseAddress, uLong(src.count)) }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { throw Failure.bad("inflate status \(status), \(rawLength) bytes") }
        pixels = [UInt8](repeating: 0, count: height * rowBytes)
        for y in 0..<height {
            let filter = raw[y * (rowBytes + 1)]
            for x in 0..<rowBytes {
                let v = raw[y * (rowBytes + 1) + 1 + x]
                let a = x >= 3 ? Int(pixels[y * rowBytes + x - 3]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * rowBytes + x]) : 0
                let c = x >= 3 && y > 0 ? Int(pixels[(y - 1) * rowBytes + x - 3]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure.bad("filter type \(filter)")
                }
                pixels[y * rowBytes + x] = UInt8(truncatingIfNeeded: Int(v) + predictor)
            }
        }
    }
}

@Suite("Preview pictures and PNG")
struct PreviewTests {
    /// The paper's rendering, written out independently: greens averaged, x0.9, gamma 1/1.6.
    static func expectedByte(_ v: Double) -> Int {
        let x = v.isNaN ? 0 : min(max(0.9 * v, 0), 1)
        return Int((pow(x, 1 / 1.6) * 255).rounded())
    }

    static func rampImage() -> PackedImage {
        var image = PackedImage(height: 5, width: 7)
        for y in 0..<5 { for x in 0..<7 { for ch in PackedChannel.allCases {
            image[y, x, ch] = Float(y * 7 + x) / 34 * Float(ch.rawValue + 1) / 4 + (ch == .greenBlue ? 0.05 : 0)
        } } }
        return image
    }

    @Test("preview follows the paper's rendering")
    func rendering() {
        let packed = Self.rampImage()
        let picture = packed.preview()
        #expect(picture.width == 7 && picture.height == 5)
        for y in 0..<5 { for x in 0..<7 {
            let p = packed.pixel(y: y, x: x)
            let expected = [Double(p[0]), (Double(p[1]) + Double(p[2])) / 2, Double(p[3])].map(Self.expectedByte)
            let got = picture[y, x]
            for k in 0..<3 { #expect(abs(Int(got[k]) - expected[k]) <= 1, "(\(y), \(x)) channel \(k)") }
        } }
    }

    @Test("clipping, NaN and the end points")
    func endPoints() {
        let packed = PackedImage(height: 1, width: 4, values: [0, 0, 0, 1,   1, 1, 1, 2,   -1, .nan, .nan, .infinity,   0.5, 0.25, 0.75, 1 / 0.9])
        let picture = packed.preview()
        #expect(picture[0, 0] == SIMD3(0, 0, 239))  // 255 * 0.9^(1/1.6) = 238.75
        #expect(picture[0, 1] == SIMD3(239, 239, 255))
        #expect(picture[0, 2] == SIMD3(0, 0, 255))
        #expect(picture[0, 3] == SIMD3(UInt8(Self.expectedByte(0.5)), UInt8(Self.expectedByte(0.5)), 255))
    }

    @Test("the PNG has a valid structure and decodes to the same pixels")
    func pngRoundTrip() throws {
        let picture = Self.rampImage().preview()
        let decoded = try DecodedPNG(picture.pngData())
        #expect(decoded.chunkTypes.first == "IHDR" && decoded.chunkTypes.last == "IEND")
        #expect(decoded.chunkTypes.filter { $0 == "IDAT" }.count >= 1)
        #expect(decoded.width == 7 && decoded.height == 5)
        #expect(decoded.pixels == picture.pixels)
    }

    @Test("a preview of a real raw file round-trips through a PNG file written atomically")
    func writeFile() throws {
        let image = try BayerImage(contentsOf: Fixtures.url("dng/s9-like.dng"))
        let picture = image.packed().preview()
        #expect(picture.width == 48 && picture.height == 32)
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("s9.png")
        try Data("old content".utf8).write(to: url)
        try picture.writePNG(to: url)
        let decoded = try DecodedPNG(Data(contentsOf: url))
        #expect(decoded.pixels == picture.pixels)
        // Only the PNG is left in the folder: the temporary file was renamed over the old one.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["s9.png"])
    }

    @Test("writing into a missing folder or over a directory fails with .writeFailed")
    func writeFailures() throws {
        let picture = Self.rampImage().preview()
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no/such/folder/out.png")
        #expect(throws: RawIOError.self) { try picture.writePNG(to: missing) }
        do {
            try picture.writePNG(to: folder)
            Issue.record("writing over a directory succeeded")
        } catch {
            #expect(kind(error) == "writeFailed")
            #expect(error.path == folder.path)
        }
    }

    @Test("a larger picture spans several IDAT chunks and still decodes")
    func largePicture() throws {
        var pixels = [UInt8](repeating: 0, count: 700 * 600 * 3)
        var state: UInt32 = 12345
        for i in pixels.indices {  // incompressible noise, so the stream exceeds one 1 MiB chunk
            state = state &* 1664525 &+ 1013904223
            pixels[i] = UInt8(state >> 24)
        }
        let picture = RGBImage8(width: 700, height: 600, pixels: pixels)
        let decoded = try DecodedPNG(picture.pngData())
        #expect(decoded.chunkTypes.filter { $0 == "IDAT" }.count >= 2)
        #expect(decoded.pixels == pixels)
    }
}
