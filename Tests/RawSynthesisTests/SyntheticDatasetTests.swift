import Foundation
import RawIO
import Testing
@testable import RawSynthesis

@Suite struct SyntheticDatasetTests {
    static func configuration(_ data: SpectralData, seed: UInt64 = 42, format: SyntheticDatasetFormat = .mat,
                              names: (String, String) = ("iphonex-like", "s9-like")) -> SyntheticDatasetConfiguration {
        var a = CameraModel.iPhoneXLike(data), b = CameraModel.galaxyS9Like(data)
        a.name = names.0
        b.name = names.1
        return SyntheticDatasetConfiguration(cameraA: a, cameraB: b, unpairedCount: 2, anchorCount: 1, testCount: 2,
                                             scenes: SceneConfiguration(width: 16, height: 12), seed: seed, format: format)
    }

    static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("synth-\(UUID().uuidString)")
    }

    static let expectedFiles = [
        "unpaired/iphonex-like/raw-rggb/unpaired_0000_A", "unpaired/s9-like/raw-rggb/unpaired_0000_B",
        "unpaired/iphonex-like/raw-rggb/unpaired_0001_A", "unpaired/s9-like/raw-rggb/unpaired_0001_B",
        "paired/iphonex-like/anchor-raw-rggb/anchor_0000", "paired/s9-like/anchor-raw-rggb/anchor_0000",
        "paired/iphonex-like/raw-rggb/test_0000", "paired/s9-like/raw-rggb/test_0000",
        "paired/iphonex-like/raw-rggb/test_0001", "paired/s9-like/raw-rggb/test_0001",
    ]

    static func contents(of root: URL, format: SyntheticDatasetFormat = .mat) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in expectedFiles {
            out[f] = try Data(contentsOf: root.appendingPathComponent("\(f).\(format.fileExtension)"))
        }
        return out
    }

    @Test(arguments: SyntheticDatasetFormat.allCases)
    func writesThePapersLayoutWithProgressAndManifest(_ format: SyntheticDatasetFormat) throws {
        let data = try SpectralData.bundled()
        let root = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let gen = SyntheticDatasetGenerator(configuration: Self.configuration(data, format: format), data: data)
        var reports: [SyntheticDatasetProgress] = []
        let manifest = try gen.generate(into: root) { reports.append($0) }
        #expect(reports.map(\.completed) == Array(1...10))
        #expect(reports.allSatisfy { $0.total == 10 && !$0.skipped })
        #expect(reports.map(\.file) == Self.expectedFiles.map { "\($0).\(format.fileExtension)" })
        for f in Self.expectedFiles {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("\(f).\(format.fileExtension)").path), "\(f)")
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.contains(".partial-") || $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)

        let decoded = try JSONDecoder().decode(SyntheticDatasetManifest.self,
                                               from: Data(contentsOf: root.appendingPathComponent("dataset.json")))
        #expect(decoded == manifest)
        #expect(decoded.complete && decoded.version == 1)
        #expect(decoded.settings.seed == 42 && decoded.settings.format == format)
        #expect(decoded.settings.packedWidth == 16 && decoded.settings.packedHeight == 12)
        #expect(decoded.settings.cameras.map(\.name) == ["iphonex-like", "s9-like"])
        #expect(decoded.settings.cameras.map(\.pattern) == ["RGGB", "GRBG"])
        #expect(decoded.settings.cameras.map(\.sensitivities) == ["nikon5100", "sigma_sdmerrill"])
        #expect(decoded.images.count == 7)
        #expect(decoded.images.filter { $0.set == .unpaired }.allSatisfy { $0.cameras.count == 1 })
        #expect(decoded.images.filter { $0.set != .unpaired }.allSatisfy { $0.cameras == ["iphonex-like", "s9-like"] })
        for image in decoded.images {
            let scene = gen.scenes.scene(seed: image.sceneSeed)
            #expect(image.illuminant == scene.lighting.name)
            #expect(image.primaryIlluminant == scene.lighting.primary.name)
            #expect(SpectralData.illuminantNames.contains(image.primaryIlluminant))
        }
    }

    /// Every file reads back (MAT through RawIO's reader, DNG through LibRaw) as the capture it was made from.
    @Test(arguments: SyntheticDatasetFormat.allCases)
    func filesReadBackAsTheirCaptures(_ format: SyntheticDatasetFormat) throws {
        let data = try SpectralData.bundled()
        let root = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let gen = SyntheticDatasetGenerator(configuration: Self.configuration(data, format: format), data: data)
        let manifest = try gen.generate(into: root)
        var checked = 0
        for image in manifest.images {
            let index = try #require(Int(image.file.split(separator: ".")[0].split(separator: "_")[1]))
            for cameraName in image.cameras {
                let camera = cameraName == "iphonex-like" ? 0 : 1
                let capture = gen.capture(set: image.set, index: index, camera: camera)
                let url = root.appendingPathComponent(image.set.folder(camera: cameraName)).appendingPathComponent(image.file)
                switch format {
                case .mat:
                    let packed = try PackedImage(contentsOfMAT: url)
                    #expect(packed == capture.packed, "\(url.path)")
                case .dng:
                    let bayer = try BayerImage(contentsOf: url)
                    #expect(bayer.samples == capture.bayer.samples, "\(url.path)")
                    #expect(bayer.pattern == capture.bayer.pattern && bayer.whiteLevel == capture.bayer.whiteLevel)
                    #expect(bayer.blackLevels == capture.bayer.blackLevels)
                    #expect(bayer.metadata.make == capture.bayer.metadata.make)
                    // LibRaw reports Apple DNGs' model from UniqueCameraModel ("Apple iPhone X (simulated)").
                    #expect(bayer.metadata.model.hasSuffix(capture.bayer.metadata.model))
                    let neutral = try #require(bayer.metadata.asShotNeutral)
                    for c in 0..<3 { #expect(abs(neutral[c] - capture.asShotNeutral[c]) < 1e-6) }
                    let written = capture.bayer.metadata.colorMatrices
                    #expect(bayer.metadata.colorMatrices.map(\.illuminant) == written.map(\.illuminant))
                    for (m, w) in zip(bayer.metadata.colorMatrices, written) {
                        for k in 0..<9 { #expect(abs(m.values[k] - w.values[k]) < 1e-6, "colour matrix \(m.illuminant)") }
                    }
                }
                checked += 1
            }
        }
        #expect(checked == 10)
    }

    @Test func resumingKeepsExistingFilesAndRewritesMissingOnesIdentically() throws {
        let data = try SpectralData.bundled()
        let root = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let gen = SyntheticDatasetGenerator(configuration: Self.configuration(data), data: data)
        try gen.generate(into: root)
        let first = try Self.contents(of: root)

        var reports: [SyntheticDatasetProgress] = []
        try gen.generate(into: root) { reports.append($0) }
        #expect(reports.count == 10 && reports.allSatisfy(\.skipped))

        // An interrupted run: one file missing, one stale temporary file.
        let missing = root.appendingPathComponent("paired/s9-like/raw-rggb/test_0001.mat")
        try FileManager.default.removeItem(at: missing)
        let stale = root.appendingPathComponent("paired/s9-like/raw-rggb/.test_0001.partial-999.mat")
        try Data("half a file".utf8).write(to: stale)
        var manifest = gen.manifest(complete: false)
        manifest.images.removeAll()
        try JSONEncoder().encode(manifest).write(to: root.appendingPathComponent("dataset.json"))

        reports.removeAll()
        let final = try gen.generate(into: root) { reports.append($0) }
        #expect(reports.filter { !$0.skipped }.map(\.file) == ["paired/s9-like/raw-rggb/test_0001.mat"])
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(try Self.contents(of: root) == first, "the resumed file is byte-identical")
        #expect(final.complete && final.images.count == 7)
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let data = try SpectralData.bundled()
        let roots = (0..<3).map { _ in Self.temporaryFolder() }
        defer { for r in roots { try? FileManager.default.removeItem(at: r) } }
        try SyntheticDatasetGenerator(configuration: Self.configuration(data, seed: 1), data: data).generate(into: roots[0])
        try SyntheticDatasetGenerator(configuration: Self.configuration(data, seed: 1), data: data).generate(into: roots[1])
        try SyntheticDatasetGenerator(configuration: Self.configuration(data, seed: 2), data: data).generate(into: roots[2])
        let a = try Self.contents(of: roots[0]), b = try Self.contents(of: roots[1]), c = try Self.contents(of: roots[2])
        #expect(a == b)
        for f in Self.expectedFiles { #expect(a[f] != c[f], "\(f)") }
        let ma = try Data(contentsOf: roots[0].appendingPathComponent("dataset.json"))
        let mb = try Data(contentsOf: roots[1].appendingPathComponent("dataset.json"))
        #expect(ma == mb)
    }

    @Test func filesHoldTheRenderedCaptures() throws {
        let data = try SpectralData.bundled()
        let config = Self.configuration(data)
        let gen = SyntheticDatasetGenerator(configuration: config, data: data)
        // The pair's two captures see one scene; unpaired captures see two.
        let pairA = gen.capture(set: .test, index: 1, camera: 0), pairB = gen.capture(set: .test, index: 1, camera: 1)
        #expect(pairA.bayer.pattern == .rggb && pairB.bayer.pattern == .grbg)
        #expect(pairA.bayer.width == 32 && pairA.bayer.height == 24 && pairB.bayer.width == 32)
        #expect(gen.sceneSeed(set: .unpaired, index: 0, camera: 0) != gen.sceneSeed(set: .unpaired, index: 0, camera: 1))
        #expect(gen.captureSeed(set: .test, index: 1, camera: 0) != gen.captureSeed(set: .test, index: 1, camera: 1))
        #expect(gen.capture(set: .test, index: 1, camera: 0) == pairA, "captures are reproducible")
    }

    @Test func aDifferentDatasetInTheFolderIsRefused() throws {
        let data = try SpectralData.bundled()
        let root = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try SyntheticDatasetGenerator(configuration: Self.configuration(data, seed: 1), data: data).generate(into: root)
        let other = SyntheticDatasetGenerator(configuration: Self.configuration(data, seed: 2), data: data)
        do {
            try other.generate(into: root)
            Issue.record("a dataset with another seed was written over the first")
        } catch {
            guard case .conflictingDataset(let path, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path.hasSuffix("dataset.json") && reason.contains("seed 1, not 2"))
            #expect(error.description.contains("dataset.json"))
        }
        try Data("{ not json".utf8).write(to: root.appendingPathComponent("dataset.json"))
        #expect { try other.generate(into: root) } throws: { e in
            guard case SyntheticDatasetError.unreadableManifest(let p, _) = e else { return false }
            return p.hasSuffix("dataset.json")
        }
    }

    @Test func anUnwritableRootIsATypedError() throws {
        let data = try SpectralData.bundled()
        let file = Self.temporaryFolder()
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let gen = SyntheticDatasetGenerator(configuration: Self.configuration(data), data: data)
        #expect { try gen.generate(into: file) } throws: { e in
            guard case SyntheticDatasetError.fileSystem(let p, _) = e else { return false }
            return p.hasPrefix(file.path)
        }
    }

    @Test func fileNames() {
        #expect(SyntheticDatasetSet.unpaired.fileStem(index: 7, camera: 1) == "unpaired_0007_B")
        #expect(SyntheticDatasetSet.anchor.fileStem(index: 12, camera: 0) == "anchor_0012")
        #expect(SyntheticDatasetSet.test.fileStem(index: 12345, camera: 1) == "test_12345")
        #expect(SyntheticDatasetSet.anchor.folder(camera: "x") == "paired/x/anchor-raw-rggb")
        #expect(SyntheticDatasetSet.test.folder(camera: "x") == "paired/x/raw-rggb")
        #expect(SyntheticDatasetSet.unpaired.folder(camera: "x") == "unpaired/x/raw-rggb")
    }
}
