import Foundation
import Testing
@testable import RawIO

@Suite("DNG writer")
struct DNGWriterTests {
    /// A mosaic with samples spread over [0, white] (including 0, exactly white and values below black).
    static func mosaic(pattern: CFAPattern, width: Int, height: Int, blacks: [Double], white: Int,
                       metadata: RawMetadata = RawMetadata(make: "TestMake", model: "TestModel 1"), seed: UInt64 = 1) -> BayerImage {
        var rng = WriteTestRandom(seed: seed)
        var samples = (0..<(width * height)).map { _ in UInt16(rng.int(in: 0...white)) }
        samples[0] = 0
        samples[samples.count - 1] = UInt16(white)
        return BayerImage(width: width, height: height, samples: samples, pattern: pattern,
                          blackLevels: BlackLevels(rowMajor: blacks), whiteLevel: white, metadata: metadata)
    }

    static func roundTrip(_ image: BayerImage, writer: DNGWriter = DNGWriter()) throws -> (BayerImage, [UInt8]) {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let url = folder.file("image.dng")
        try image.writeDNG(to: url, using: writer)
        #expect(folder.contents() == ["image.dng"], "no temporary file may be left behind")
        let bytes = [UInt8](try Data(contentsOf: url))
        return (try BayerImage(contentsOf: url), bytes)
    }

    @Test("round trip through LibRaw is bit-exact for every CFA phase", arguments: CFAPattern.allCases)
    func phases(pattern: CFAPattern) throws {
        let image = Self.mosaic(pattern: pattern, width: 64, height: 48, blacks: [64, 66, 60, 62], white: 4095)
        let (back, _) = try Self.roundTrip(image)
        #expect(back.width == 64 && back.height == 48)
        #expect(back.pattern == pattern)
        #expect(back.blackLevels == [64, 66, 60, 62])
        #expect(back.whiteLevel == 4095)
        #expect(back.samples == image.samples)
        #expect(back.metadata.make == "TestMake")
        #expect(back.metadata.model == "TestModel 1")
    }

    @Test("odd sizes, white levels and per-position blacks survive",
          arguments: [(65, 47, 1023), (33, 23, 4095), (40, 31, 16383), (23, 25, 65535)])
    func sizesAndLevels(width: Int, height: Int, white: Int) throws {
        for (k, pattern) in CFAPattern.allCases.enumerated() {
            let blacks: [Double] = white == 65535 ? [0, 0, 0, 0] : [Double(16 + k), Double(20 + k), 18, Double(white / 16)]
            let image = Self.mosaic(pattern: pattern, width: width, height: height, blacks: blacks, white: white, seed: UInt64(width * 31 + k))
            let (back, _) = try Self.roundTrip(image)
            #expect(back.width == width && back.height == height)
            #expect(back.pattern == pattern)
            #expect(back.blackLevels.rowMajor == blacks)
            #expect(back.whiteLevel == white)
            #expect(back.samples == image.samples)
        }
    }

    @Test("colour metadata comes back within rational precision")
    func metadata() throws {
        let m1 = ColorMatrix(illuminant: 17, values: [1.0234, -0.4012, -0.0751, -0.3522, 1.1543, 0.2212, -0.0517, 0.1399, 0.6088])
        let m2 = ColorMatrix(illuminant: 21, values: [0.7034, -0.1899, -0.0717, -0.4517, 1.2571, 0.2196, -0.0887, 0.1843, 0.5882])
        let meta = RawMetadata(make: "TestMake", model: "TestModel 2", iso: 200, exposureTime: 1.0 / 125,
                               asShotNeutral: [0.4873, 1, 0.6312], colorMatrices: [m1, m2])
        let image = Self.mosaic(pattern: .grbg, width: 32, height: 24, blacks: [512, 512, 512, 512], white: 16383, metadata: meta)
        let (back, bytes) = try Self.roundTrip(image)
        let got = back.metadata
        #expect(got.colorMatrices.count == 2)
        for (a, b) in zip(got.colorMatrices, [m1, m2]) {
            #expect(a.illuminant == b.illuminant)
            // LibRaw stores the matrices as Float.
            #expect(zip(a.values, b.values).allSatisfy { abs($0 - $1) < 1e-6 })
        }
        let neutral = try #require(got.asShotNeutral)
        #expect(zip(neutral, [0.4873, 1, 0.6312]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(got.iso == 200)
        #expect(abs((got.exposureTime ?? 0) - 1.0 / 125) < 1e-9)
        // The file itself holds the exact rationals.
        let dump = try #require(TIFFDump(bytes))
        #expect(dump.numbers(50721) == m1.values)
        #expect(dump.numbers(50722) == m2.values)
        #expect(dump.numbers(50728) == [0.4873, 1, 0.6312])
        #expect(dump.numbers(33434) == [1.0 / 125])
        #expect(dump.numbers(34855) == [200])
        #expect(dump.exifEntries.map(\.tag) == [33434, 34855, 36864])
    }

    @Test("without a colour matrix the sRGB fallback is written as ColorMatrix1 (D65)")
    func fallbackMatrix() throws {
        let image = Self.mosaic(pattern: .rggb, width: 22, height: 22, blacks: [0, 0, 0, 0], white: 1023)
        let (back, bytes) = try Self.roundTrip(image)
        let dump = try #require(TIFFDump(bytes))
        #expect(dump.numbers(50721) == DNGWriter.sRGBColorMatrix.values)
        #expect(dump.numbers(50778) == [21])
        #expect(dump.entry(50722) == nil)
        #expect(dump.entry(50728) == nil, "no AsShotNeutral without white-balance metadata")
        #expect(back.metadata.colorMatrices.count == 1)
        #expect(back.metadata.colorMatrices.first?.illuminant == 21)
    }

    @Test("empty make and model are written as Unknown; camera multipliers become AsShotNeutral")
    func defaults() throws {
        let meta = RawMetadata(cameraWhiteBalance: [2.0, 1.0, 1.6, 0])
        let image = Self.mosaic(pattern: .bggr, width: 24, height: 22, blacks: [10, 10, 10, 10], white: 255, metadata: meta)
        let (back, bytes) = try Self.roundTrip(image)
        let dump = try #require(TIFFDump(bytes))
        #expect(dump.string(271) == "Unknown")
        #expect(dump.string(272) == "Unknown")
        #expect(dump.string(50708) == "Unknown")
        #expect(dump.numbers(50728) == [0.5, 1, 0.625])
        #expect(back.samples == image.samples)
        let neutral = try #require(back.metadata.asShotNeutral)
        #expect(zip(neutral, [0.5, 1, 0.625]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("fractional black levels are stored exactly as RATIONAL")
    func fractionalBlacks() throws {
        let blacks = [64.5, 66.25, 60.125, 62.75]
        let image = Self.mosaic(pattern: .gbrg, width: 24, height: 22, blacks: blacks, white: 4095)
        let (back, bytes) = try Self.roundTrip(image)
        let dump = try #require(TIFFDump(bytes))
        #expect(dump.entry(50714)?.type == 5)
        #expect(dump.numbers(50714) == blacks)
        #expect(back.samples == image.samples)
        // LibRaw keeps integer black levels: each comes back as the whole part.
        #expect(back.blackLevels.rowMajor == blacks.map { $0.rounded(.down) })
    }

    @Test("mosaics smaller than LibRaw's 22x22 minimum are still written correctly")
    func tiny() throws {
        let image = Self.mosaic(pattern: .gbrg, width: 3, height: 2, blacks: [1, 2, 3, 4], white: 255)
        let bytes = try DNGWriter().encode(image, path: "memory")
        let dump = try #require(TIFFDump(bytes))
        #expect(dump.numbers(256) == [3] && dump.numbers(257) == [2])
        let offset = Int(try #require(dump.numbers(273))[0])
        let stored = (0..<6).map { UInt16(bytes[offset + 2 * $0]) | UInt16(bytes[offset + 2 * $0 + 1]) << 8 }
        #expect(stored == image.samples)
        // LibRaw (like dcraw) refuses images under 22 photosites a side: a typed error, not a crash.
        let folder = WriteTestFolder()
        defer { folder.remove() }
        try image.writeDNG(to: folder.file("tiny.dng"))
        #expect(throws: RawIOError.self) { try BayerImage(contentsOf: folder.file("tiny.dng")) }
    }

    @Test("the file layout follows TIFF 6.0 / DNG 1.4")
    func layout() throws {
        let image = Self.mosaic(pattern: .grbg, width: 13, height: 7, blacks: [1, 2, 3, 4], white: 1000,
                                metadata: RawMetadata(make: "M", model: "N", asShotNeutral: [0.5, 1, 0.7]))
        let bytes = try DNGWriter(software: "test", orientation: 6).encode(image, path: "memory")
        let dump = try #require(TIFFDump(bytes))
        for ifd in [dump.entries, dump.exifEntries] {
            let tags = ifd.map(\.tag)
            #expect(tags == tags.sorted() && Set(tags).count == tags.count, "tags ascending, no duplicates")
        }
        #expect(dump.exifEntries.isEmpty, "no EXIF IFD without exposure metadata")
        for e in dump.entries + dump.exifEntries where !e.isInline {
            #expect(e.valueOffset % 2 == 0, "tag \(e.tag): value offset \(e.valueOffset) is not word aligned")
        }
        let required = [254, 256, 257, 258, 259, 262, 271, 272, 273, 274, 277, 278, 279, 284, 305,
                        33421, 33422, 50706, 50707, 50708, 50710, 50711, 50713, 50714, 50717, 50721, 50728, 50778]
        for t in required { #expect(dump.entry(t) != nil, "missing tag \(t)") }
        // Tag types per the DNG 1.4 specification.
        let types: [Int: Int] = [254: 4, 256: 4, 257: 4, 258: 3, 259: 3, 262: 3, 271: 2, 272: 2, 273: 4,
                                 274: 3, 277: 3, 278: 4, 279: 4, 284: 3, 305: 2, 33421: 3, 33422: 1,
                                 50706: 1, 50707: 1, 50708: 2, 50710: 1, 50711: 3, 50713: 3, 50714: 4,
                                 50717: 4, 50721: 10, 50728: 5, 50778: 3]
        for (t, ty) in types { #expect(dump.entry(t)?.type == ty, "tag \(t) type") }
        #expect(dump.numbers(254) == [0])
        #expect(dump.numbers(256) == [13] && dump.numbers(257) == [7])
        #expect(dump.numbers(258) == [16] && dump.numbers(259) == [1] && dump.numbers(262) == [32803])
        #expect(dump.numbers(274) == [6] && dump.numbers(277) == [1] && dump.numbers(284) == [1])
        #expect(dump.numbers(278) == [7] && dump.numbers(279) == [13 * 7 * 2])
        #expect(dump.numbers(33421) == [2, 2] && dump.numbers(33422) == [1, 0, 2, 1])
        #expect(dump.numbers(50706) == [1, 4, 0, 0] && dump.numbers(50707) == [1, 1, 0, 0])
        #expect(dump.numbers(50710) == [0, 1, 2] && dump.numbers(50711) == [1])
        #expect(dump.numbers(50713) == [2, 2] && dump.numbers(50714) == [1, 2, 3, 4] && dump.numbers(50717) == [1000])
        #expect(dump.string(305) == "test" && dump.string(271) == "M" && dump.string(50708) == "M N")
        // The strip holds the samples little-endian, row-major, and ends the file.
        let offset = Int(try #require(dump.numbers(273))[0])
        #expect(offset % 2 == 0 && offset + 13 * 7 * 2 == bytes.count)
        for i in [0, 1, 50, 90] {
            #expect(UInt16(bytes[offset + 2 * i]) | UInt16(bytes[offset + 2 * i + 1]) << 8 == image.samples[i])
        }
    }

    @Test("unwritable paths give typed errors (negative black levels cannot be made: BlackLevels rejects them)")
    func errors() throws {
        let folder = WriteTestFolder()
        defer { folder.remove() }
        let good = Self.mosaic(pattern: .rggb, width: 22, height: 22, blacks: [0, 0, 0, 0], white: 100)
        let missingFolder = folder.file("no/such/folder/x.dng")
        #expect(throws: RawIOError.writeFailed(path: missingFolder.path, reason: "the folder \(missingFolder.deletingLastPathComponent().path) does not exist")) {
            try good.writeDNG(to: missingFolder)
        }
        var rotated = DNGWriter()
        rotated.orientation = 9
        #expect(throws: RawIOError.writeFailed(path: folder.file("r.dng").path, reason: "TIFF orientation must be 1...8, got 9")) {
            try good.writeDNG(to: folder.file("r.dng"), using: rotated)
        }
        #expect(folder.contents().isEmpty, "a failed write leaves nothing behind")
        // Overwriting an existing file replaces it.
        try good.writeDNG(to: folder.file("b.dng"))
        var other = good
        other.samples[5] = 77
        try other.writeDNG(to: folder.file("b.dng"))
        #expect(try BayerImage(contentsOf: folder.file("b.dng")).samples == other.samples)
        #expect(folder.contents() == ["b.dng"])
    }

    @Test("rational approximation is exact for fractions and close otherwise")
    func rationals() {
        let a = RationalApproximation.rational(0.4873)
        #expect(a.numerator == 4873 && a.denominator == 10000)
        let r = RationalApproximation.rational(64.25)
        #expect(Double(r.numerator) / Double(r.denominator) == 64.25)
        for x in [0.0, 1.0, 3.2406, 1.0 / 3.0, 0.000123456, 12345.678, Double.pi] {
            let s = RationalApproximation.signedRational(-x)
            #expect(abs(Double(s.numerator) / Double(s.denominator) + x) <= 1e-9 * max(1, x))
            let u = RationalApproximation.rational(x)
            #expect(abs(Double(u.numerator) / Double(u.denominator) - x) <= 1e-9 * max(1, x))
        }
        let big = RationalApproximation.rational(1e12)
        #expect(big.numerator == UInt32.max && big.denominator == 1)
    }
}
