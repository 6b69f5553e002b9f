import Foundation
import Testing
@testable import RawIO

/// A dataset folder in the paper's layout, built in a temporary directory.
struct DatasetFolder {
    let root: URL

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-dataset-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func folder(_ split: DatasetSplit, _ camera: String) -> URL {
        let url = root.appendingPathComponent(split.relativePath(camera: camera))
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small packed image whose values encode `seed`.
    static func image(height: Int = 6, width: Int = 8, seed: Int) -> PackedImage {
        PackedImage(height: height, width: width,
                    values: (0..<(height * width * 4)).map { Float(($0 * 7 + seed * 13) % 97) / 97 })
    }

    @discardableResult
    func writeMAT(_ split: DatasetSplit, _ camera: String, _ name: String, height: Int = 6, width: Int = 8, seed: Int = 0) -> URL {
        let url = folder(split, camera).appendingPathComponent(name + ".mat")
        try! Self.image(height: height, width: width, seed: seed).writeMAT(to: url)
        return url
    }

    func touch(_ split: DatasetSplit, _ camera: String, _ file: String) {
        FileManager.default.createFile(atPath: folder(split, camera).appendingPathComponent(file).path, contents: Data([1, 2, 3]))
    }

    /// Two cameras with `unpaired` images each, `anchors` anchor pairs and `tests` test pairs.
    static func complete(unpaired: Int = 3, anchors: Int = 2, tests: Int = 2) -> DatasetFolder {
        let d = DatasetFolder()
        for cam in ["camA", "camB"] {
            for i in 0..<unpaired { d.writeMAT(.unpaired, cam, "\(cam)-u\(i)", seed: i) }
            for i in 0..<anchors { d.writeMAT(.anchor, cam, "a\(i)", seed: 10 + i + (cam == "camB" ? 50 : 0)) }
            for i in 0..<tests { d.writeMAT(.test, cam, "t\(i)", seed: 20 + i) }
        }
        return d
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

@Suite("Dataset layout")
struct DatasetLayoutTests {
    @Test("lists cameras and sets, pairs by name, loads lazily")
    func completeLayout() throws {
        let d = DatasetFolder.complete()
        defer { d.remove() }
        let layout = try DatasetLayout(root: d.root)
        #expect(layout.cameras == ["camA", "camB"])
        let ua = try layout.unpaired(camera: "camA")
        #expect(ua.count == 3)
        #expect(ua.names == ["camA-u0", "camA-u1", "camA-u2"])
        #expect(try ua.image(at: 1) == DatasetFolder.image(seed: 1))
        let anchors = try layout.anchorPairs(cameraA: "camA", cameraB: "camB")
        #expect(anchors.names == ["a0", "a1"])
        let p = try anchors.pair(at: 1)
        #expect(p.a == DatasetFolder.image(seed: 11))
        #expect(p.b == DatasetFolder.image(seed: 61))
        let swapped = try anchors.swapped.pair(at: 1)
        #expect(swapped.a == p.b)
        #expect(try layout.testPairs(cameraA: "camA", cameraB: "camB").count == 2)
        #expect(try layout.validate(cameraA: "camA", cameraB: "camB", requireTestPairs: true, checkSizes: true).isEmpty)
    }

    @Test("a camera that is not there names the ones that are")
    func unknownCamera() throws {
        let d = DatasetFolder.complete()
        defer { d.remove() }
        let layout = try DatasetLayout(root: d.root)
        #expect(throws: DatasetError.unknownCamera(name: "iphone", available: ["camA", "camB"])) {
            try layout.unpaired(camera: "iphone")
        }
        let message = DatasetError.unknownCamera(name: "iphone", available: ["camA", "camB"]).description
        #expect(message.contains("iphone") && message.contains("camA, camB"))
    }

    @Test("missing root and missing split folders are named")
    func missingFolders() throws {
        let d = DatasetFolder()
        defer { d.remove() }
        let nowhere = d.root.appendingPathComponent("nope")
        #expect(throws: DatasetError.missingFolder(path: nowhere.path)) { try DatasetLayout(root: nowhere) }
        #expect(throws: DatasetError.missingFolder(path: d.root.appendingPathComponent("paired").path)) {
            try DatasetLayout(root: d.root)
        }
        d.writeMAT(.unpaired, "camA", "x")
        d.writeMAT(.unpaired, "camB", "y")
        let layout = try DatasetLayout(root: d.root)
        let anchorFolder = layout.folder(.anchor, camera: "camA")
        #expect(throws: DatasetError.missingFolder(path: anchorFolder.path)) {
            try layout.anchorPairs(cameraA: "camA", cameraB: "camB")
        }
        #expect(!layout.hasFolder(.test, camera: "camA"))
    }

    @Test("names without a partner are listed; dropUnmatched keeps the rest and warns")
    func unmatchedNames() throws {
        let d = DatasetFolder.complete(tests: 0)
        defer { d.remove() }
        d.writeMAT(.anchor, "camA", "only-a")
        d.writeMAT(.anchor, "camB", "only-b1")
        d.writeMAT(.anchor, "camB", "only-b2")
        let strict = try DatasetLayout(root: d.root)
        let fa = strict.folder(.anchor, camera: "camA").path, fb = strict.folder(.anchor, camera: "camB").path
        let expected = DatasetError.unmatchedNames(folderA: fa, onlyInA: ["only-a"], folderB: fb, onlyInB: ["only-b1", "only-b2"])
        #expect(throws: expected) { try strict.anchorPairs(cameraA: "camA", cameraB: "camB") }
        #expect(expected.description.contains("only-a") && expected.description.contains("only-b2"))
        let lenient = try DatasetLayout(root: d.root, pairingPolicy: .dropUnmatched)
        let pairs = try lenient.anchorPairs(cameraA: "camA", cameraB: "camB")
        #expect(pairs.names == ["a0", "a1"])
        #expect(pairs.warnings == [.droppedUnmatched(folderA: fa, onlyInA: ["only-a"], folderB: fb, onlyInB: ["only-b1", "only-b2"])])
    }

    @Test("a pair of different sizes is an error naming both files")
    func sizeMismatch() throws {
        let d = DatasetFolder.complete(anchors: 0, tests: 0)
        defer { d.remove() }
        let a = d.writeMAT(.anchor, "camA", "p", height: 6, width: 8)
        let b = d.writeMAT(.anchor, "camB", "p", height: 6, width: 10)
        let layout = try DatasetLayout(root: d.root)
        let pairs = try layout.anchorPairs(cameraA: "camA", cameraB: "camB")
        #expect(throws: DatasetError.sizeMismatch(name: "p", pathA: a.path, heightA: 6, widthA: 8, pathB: b.path, heightB: 6, widthB: 10)) {
            try pairs.pair(at: 0)
        }
        #expect(throws: DatasetError.self) { try layout.validate(cameraA: "camA", cameraB: "camB", checkSizes: true) }
        // Without reading pixels, validation passes: sizes are checked when pairs load.
        #expect(try layout.validate(cameraA: "camA", cameraB: "camB").isEmpty)
    }

    @Test("empty sets, duplicate stems and stray files")
    func emptyDuplicateAndStray() throws {
        let d = DatasetFolder.complete(tests: 0)
        defer { d.remove() }
        let layout = try DatasetLayout(root: d.root)
        let emptyFolder = d.folder(.test, "camA")
        _ = d.folder(.test, "camB")
        d.touch(.test, "camA", "notes.txt")
        #expect(throws: DatasetError.emptySet(path: emptyFolder.path)) { try layout.testPairs(cameraA: "camA", cameraB: "camB") }
        d.touch(.unpaired, "camA", "readme.md")
        let ua = try layout.unpaired(camera: "camA")
        #expect(ua.warnings == [.ignoredFiles(folder: layout.folder(.unpaired, camera: "camA").path, names: ["readme.md"])])
        d.touch(.unpaired, "camB", "camB-u0.dng")
        #expect(throws: DatasetError.duplicateName(folder: layout.folder(.unpaired, camera: "camB").path, name: "camB-u0",
                                                    files: ["camB-u0.dng", "camB-u0.mat"])) {
            try layout.unpaired(camera: "camB")
        }
    }

    @Test("an unreadable image is an error naming the file")
    func unreadableImage() throws {
        let d = DatasetFolder.complete()
        defer { d.remove() }
        let bad = d.folder(.unpaired, "camA").appendingPathComponent("camA-u9.mat")
        FileManager.default.createFile(atPath: bad.path, contents: Data("not a mat file at all".utf8))
        let set = try DatasetLayout(root: d.root).unpaired(camera: "camA")
        #expect(set.names.last == "camA-u9")
        do {
            _ = try set.image(at: 3)
            Issue.record("a corrupt file loaded")
        } catch {
            guard case .unreadableImage(let e) = error else { Issue.record("wrong error \(error)"); return }
            #expect(e.path == bad.path)
            #expect(error.description.contains("camA-u9.mat"))
        }
    }

    @Test("DNG files load packed, like BayerImage.packed()")
    func dngFiles() throws {
        let d = DatasetFolder.complete(anchors: 0, tests: 0)
        defer { d.remove() }
        var samples = [UInt16](repeating: 0, count: 64 * 48)
        for i in samples.indices { samples[i] = UInt16(64 + (i * 37) % 4000) }
        let mosaicA = BayerImage(width: 64, height: 48, samples: samples, pattern: .rggb, blackLevels: [64, 64, 64, 64], whiteLevel: 4095)
        let mosaicB = BayerImage(width: 64, height: 48, samples: samples.reversed(), pattern: .grbg, blackLevels: [0, 0, 0, 0], whiteLevel: 4095)
        try mosaicA.writeDNG(to: d.folder(.anchor, "camA").appendingPathComponent("shot.dng"))
        try mosaicB.writeDNG(to: d.folder(.anchor, "camB").appendingPathComponent("shot.dng"))
        let pairs = try DatasetLayout(root: d.root).anchorPairs(cameraA: "camA", cameraB: "camB")
        let p = try pairs.pair(at: 0)
        #expect(p.a == mosaicA.packed())
        #expect(p.b == mosaicB.packed())
        #expect(pairs.filesA[0].format == .dng)
    }

    @Test("the cache keeps images within its byte limit, least recently used out first")
    func cache() throws {
        let d = DatasetFolder.complete(unpaired: 4)
        defer { d.remove() }
        let imageBytes = 6 * 8 * 4 * 4
        let cache = PackedImageCache(byteLimit: 2 * imageBytes)
        let set = try DatasetLayout(root: d.root, cache: cache).unpaired(camera: "camA")
        _ = try set.image(at: 0)
        _ = try set.image(at: 1)
        #expect(cache.count == 2 && cache.byteCount == 2 * imageBytes)
        _ = try set.image(at: 0)            // 0 is now the most recent
        _ = try set.image(at: 2)            // evicts 1
        #expect(cache.count == 2)
        #expect(cache.image(for: set.files[0].url) != nil)
        #expect(cache.image(for: set.files[1].url) == nil)
        // A cached image is served without reading the file again.
        try FileManager.default.removeItem(at: set.files[2].url)
        #expect(try set.image(at: 2) == DatasetFolder.image(seed: 2))
        let tiny = PackedImageCache(byteLimit: imageBytes - 1)
        tiny.insert(DatasetFolder.image(seed: 0), for: set.files[0].url)
        #expect(tiny.count == 0)
    }
}
