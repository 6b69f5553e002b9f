import Foundation
import Testing
@testable import RawIO

@Suite struct InMemorySetTests {
    static let images = (0..<4).map { DatasetFolder.image(height: 6, width: 8, seed: $0) }
    static let others = (0..<4).map { DatasetFolder.image(height: 6, width: 8, seed: 10 + $0) }

    @Test("an in-memory set reads, names and subsets its images without files")
    func imageSet() throws {
        let set = PackedImageSet(images: Self.images)
        #expect(set.isInMemory && set.files.isEmpty && set.folder == nil && set.cache == nil && set.warnings.isEmpty)
        #expect(set.count == 4)
        #expect(set.names == ["image_0000", "image_0001", "image_0002", "image_0003"])
        for i in 0..<4 { #expect(try set.image(at: i) == Self.images[i]) }
        let sub = set.subset([3, 1])
        #expect(sub.isInMemory && sub.names == ["image_0003", "image_0001"])
        #expect(try sub.image(at: 0) == Self.images[3])
        #expect(try sub.image(at: 1) == Self.images[1])
        let named = PackedImageSet(images: Array(Self.images.prefix(2)), names: ["x", "y"])
        #expect(named.names == ["x", "y"] && named.location(at: 1) == "in-memory image y")
    }

    @Test("an in-memory pair set reads, swaps, splits and subsamples its pairs")
    func pairSet() throws {
        let pairs = PackedImagePairSet(imagesA: Self.images, imagesB: Self.others, names: ["p0", "p1", "p2", "p3"])
        #expect(pairs.isInMemory && pairs.filesA.isEmpty && pairs.filesB.isEmpty && pairs.count == 4)
        #expect(pairs.names == ["p0", "p1", "p2", "p3"])
        let p2 = try pairs.pair(at: 2)
        #expect(p2.a == Self.images[2] && p2.b == Self.others[2])
        let swapped = try pairs.swapped.pair(at: 2)
        #expect(swapped.a == Self.others[2] && swapped.b == Self.images[2])
        #expect(pairs.setA.names == pairs.names && pairs.setB.isInMemory)
        #expect(try pairs.setB.image(at: 1) == Self.others[1])
        let sub = pairs.subset([1, 0])
        #expect(sub.names == ["p1", "p0"])
        #expect(try sub.pair(at: 0).b == Self.others[1])
        try pairs.checkSizes()
        let sampled = try pairs.evenlySubsampled(maxPixelsPerPair: 12)
        #expect(sampled.a == Self.images.map { $0.evenSubsample(maxPixels: 12) })
        #expect(sampled.b == Self.others.map { $0.evenSubsample(maxPixels: 12) })
        #expect(PackedImagePairSet(imagesA: Self.images, imagesB: Self.others).names.first == "pair_0000")
        #expect(pairs.locations(at: 1).a == "in-memory pair p1 (A)")
    }

    @Test("digests identify in-memory pixels and names; sets of files have none")
    func digests() throws {
        let set = PackedImageSet(images: Self.images)
        #expect(set.contentDigest == PackedImageSet(images: Self.images).contentDigest)
        var changed = Self.images
        changed[2].values[5] += 1e-6
        #expect(set.contentDigest != PackedImageSet(images: changed).contentDigest)
        #expect(set.contentDigest != PackedImageSet(images: Self.images, names: ["a", "b", "c", "d"]).contentDigest)
        let pairs = PackedImagePairSet(imagesA: Self.images, imagesB: Self.others)
        #expect(pairs.contentDigest != pairs.swapped.contentDigest)

        let d = DatasetFolder()
        defer { try? FileManager.default.removeItem(at: d.root) }
        d.writeMAT(.unpaired, "cam", "u0")
        let files = try PackedImageSet(folder: d.folder(.unpaired, "cam"))
        #expect(!files.isInMemory && files.contentDigest == nil && files.names == ["u0"])
        #expect(files.location(at: 0) == files.files[0].url.path)
    }
}
