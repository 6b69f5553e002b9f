import Foundation
import RawIO
import RawSupport
import Testing
@testable import RawSynthesis

/// Datasets of more than two cameras: topologies, file layout, manifest, resume and in-memory rendering.
@Suite struct MultiCameraDatasetTests {
    @Test(arguments: [
        (AnchorTopology.chain, 2, [[0, 1]]),
        (.star, 2, [[0, 1]]),
        (.allPairs, 2, [[0, 1]]),
        (.chain, 3, [[0, 1], [1, 2]]),
        (.star, 3, [[0, 1], [0, 2]]),
        (.allPairs, 3, [[0, 1], [0, 2], [1, 2]]),
        (.chain, 5, [[0, 1], [1, 2], [2, 3], [3, 4]]),
        (.star, 5, [[0, 1], [0, 2], [0, 3], [0, 4]]),
        (.allPairs, 5, [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]]),
    ])
    func topologyEdges(_ topology: AnchorTopology, _ count: Int, _ expected: [[Int]]) {
        #expect(topology.edges(cameraCount: count).map { [$0.0, $0.1] } == expected)
    }

    @Test(arguments: [("chain", AnchorTopology.chain), ("star", .star), ("all-pairs", .allPairs)])
    func topologyRawValues(_ raw: String, _ topology: AnchorTopology) throws {
        #expect(AnchorTopology(rawValue: raw) == topology)
        #expect(try JSONDecoder().decode([AnchorTopology].self, from: Data("[\"\(raw)\"]".utf8)) == [topology])
    }

    /// Three cameras, 8x6 packed (16x12 for DNG, which LibRaw reads back only from 32x24 photosites
    /// or so), 1 unpaired image each, 2 anchor scenes per edge, 1 test scene.
    static func configuration(_ data: SpectralData, _ topology: AnchorTopology, format: SyntheticDatasetFormat = .mat,
                              seed: UInt64 = 5) -> SyntheticDatasetConfiguration {
        SyntheticDatasetConfiguration(cameras: CameraLineup.cameras(count: 3, data: data), anchorTopology: topology,
                                      unpairedCount: 1, anchorCount: 2, testCount: 1,
                                      scenes: format == .mat ? SceneConfiguration(width: 8, height: 6) : SceneConfiguration(width: 16, height: 12),
                                      seed: seed, format: format)
    }

    /// The file stems each camera's folders hold, as `set/stem`.
    static let expectedStems: [AnchorTopology: [String: [String]]] = [
        .chain: [
            "cam1": ["anchor/anchor_0000", "anchor/anchor_0001", "test/test_0000", "unpaired/unpaired_0000_A"],
            "cam2": ["anchor/anchor_0000", "anchor/anchor_0001", "anchor/anchor_0002", "anchor/anchor_0003", "test/test_0000", "unpaired/unpaired_0000_B"],
            "cam3": ["anchor/anchor_0002", "anchor/anchor_0003", "test/test_0000", "unpaired/unpaired_0000_C"],
        ],
        .star: [
            "cam1": ["anchor/anchor_0000", "anchor/anchor_0001", "anchor/anchor_0002", "anchor/anchor_0003", "test/test_0000", "unpaired/unpaired_0000_A"],
            "cam2": ["anchor/anchor_0000", "anchor/anchor_0001", "test/test_0000", "unpaired/unpaired_0000_B"],
            "cam3": ["anchor/anchor_0002", "anchor/anchor_0003", "test/test_0000", "unpaired/unpaired_0000_C"],
        ],
    ]

    /// What `camera`'s three folders under `root` hold, as sorted `set/stem` (temporary files included).
    static func stems(under root: URL, camera: String) throws -> [String] {
        var out: [String] = []
        for set in SyntheticDatasetSet.allCases {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(set.folder(camera: camera)).path)
            out += names.map { "\(set.rawValue)/\(($0 as NSString).deletingPathExtension)" }
        }
        return out.sorted()
    }

    @Test(arguments: [AnchorTopology.chain, .star])
    func threeCameraLayoutAndManifest(_ topology: AnchorTopology) throws {
        let data = try SpectralData.bundled()
        let root = SyntheticDatasetTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let config = Self.configuration(data, topology)
        #expect(config.fileCount == 14 && config.anchorSceneCount == 4)
        let gen = SyntheticDatasetGenerator(configuration: config, data: data)
        var reports: [SyntheticDatasetProgress] = []
        let manifest = try gen.generate(into: root) { reports.append($0) }
        #expect(reports.map(\.completed) == Array(1...14) && reports.allSatisfy { $0.total == 14 })
        for (camera, stems) in Self.expectedStems[topology]! {
            #expect(try Self.stems(under: root, camera: camera) == stems, "\(camera)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("paired").path).sorted() == ["cam1", "cam2", "cam3"])

        let decoded = try JSONDecoder().decode(SyntheticDatasetManifest.self,
                                               from: Data(contentsOf: root.appendingPathComponent("dataset.json")))
        #expect(decoded == manifest && decoded.complete)
        #expect(decoded.settings.anchorTopology == topology)
        #expect(decoded.settings.cameras.map(\.name) == ["cam1", "cam2", "cam3"])
        #expect(decoded.settings.cameras.map(\.sensitivities) == ["nikon5100", "sigma_sdmerrill", "gaussian-ircut@3"])
        #expect(decoded.images.map(\.file) == ["unpaired_0000_A.mat", "unpaired_0000_B.mat", "unpaired_0000_C.mat",
                                               "anchor_0000.mat", "anchor_0001.mat", "anchor_0002.mat", "anchor_0003.mat", "test_0000.mat"])
        let second = topology == .chain ? ["cam2", "cam3"] : ["cam1", "cam3"]
        #expect(decoded.images.filter { $0.set == .anchor }.map(\.cameras) == [["cam1", "cam2"], ["cam1", "cam2"], second, second])
        #expect(decoded.images.last?.cameras == ["cam1", "cam2", "cam3"])

        // Seeds as specified: anchor scene k is derive(seed, 2, k); its captures use index k.
        #expect(decoded.images[5].sceneSeed == SplitMix64.derive(5, 2, 2))
        let capture = gen.capture(set: .anchor, index: 2, camera: 2)
        #expect(try PackedImage(contentsOfMAT: root.appendingPathComponent("paired/cam3/anchor-raw-rggb/anchor_0002.mat")) == capture.packed)
        #expect(config.anchorCameras(index: 3) == (topology == .chain ? (1, 2) : (0, 2)))
    }

    @Test func resumingAThreeCameraDatasetAndRefusingAnotherTopology() throws {
        let data = try SpectralData.bundled()
        let root = SyntheticDatasetTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let gen = SyntheticDatasetGenerator(configuration: Self.configuration(data, .chain), data: data)
        try gen.generate(into: root)
        let missing = root.appendingPathComponent("paired/cam3/anchor-raw-rggb/anchor_0003.mat")
        let before = try Data(contentsOf: missing)
        try FileManager.default.removeItem(at: missing)
        var written: [String] = []
        try gen.generate(into: root) { if !$0.skipped { written.append($0.file) } }
        #expect(written == ["paired/cam3/anchor-raw-rggb/anchor_0003.mat"])
        #expect(try Data(contentsOf: missing) == before)

        let star = SyntheticDatasetGenerator(configuration: Self.configuration(data, .star), data: data)
        #expect { try star.generate(into: root) } throws: { e in
            guard case SyntheticDatasetError.conflictingDataset(_, let reason) = e else { return false }
            return reason.contains("anchor topology chain, not star")
        }
    }

    @Test("rendering three cameras into memory gives the pixels and names the written files hold", arguments: SyntheticDatasetFormat.allCases)
    func renderEqualsFiles(_ format: SyntheticDatasetFormat) throws {
        let data = try SpectralData.bundled()
        let gen = SyntheticDatasetGenerator(configuration: Self.configuration(data, .chain, format: format), data: data)
        let root = SyntheticDatasetTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        var written: [String] = [], rendered: [String] = []
        try gen.generate(into: root) { written.append($0.file) }
        let images = try gen.renderCameras { rendered.append($0.file) }
        #expect(rendered == written)
        #expect(images.cameras == ["cam1", "cam2", "cam3"] && images.anchorEdges.map { [$0.0, $0.1] } == [[0, 1], [1, 2]])
        for camera in images.cameras {
            for (set, inMemory) in [(SyntheticDatasetSet.unpaired, images.unpaired[camera]!), (.anchor, images.anchors[camera]!),
                                    (.test, images.test[camera]!)] {
                let onDisk = try PackedImageSet(folder: root.appendingPathComponent(set.folder(camera: camera)))
                #expect(inMemory.isInMemory)
                #expect(onDisk.names == inMemory.names, "\(camera) \(set)")
                for i in 0..<onDisk.count { #expect(try onDisk.image(at: i) == inMemory.image(at: i), "\(camera) \(onDisk.names[i])") }
            }
        }
        let pairs = try images.anchorPairs(cameraA: "cam3", cameraB: "cam2")
        #expect(pairs.names == ["anchor_0002", "anchor_0003"])
        #expect(try pairs.pair(at: 1).a == images.anchors["cam3"]!.image(at: 1))
        #expect(try images.anchorPairs(cameraA: "cam1", cameraB: "cam3").count == 0)
        #expect(try images.testPairs(cameraA: "cam1", cameraB: "cam3").names == ["test_0000"])
    }

    @Test func lineupDefaults() throws {
        let data = try SpectralData.bundled()
        let two = CameraLineup.cameras(count: 2, data: data)
        #expect(two == [.iPhoneXLike(data), .galaxyS9Like(data)])
        let eight = CameraLineup.cameras(count: 8, data: data)
        #expect(eight.map(\.name) == (1...8).map { "cam\($0)" })
        #expect(eight.map(\.sensitivities.name) == ["nikon5100", "sigma_sdmerrill", "gaussian-ircut@3", "phone-broad@4",
                                                    "perturbed-nikon5100@5", "machine-vision@6", "perturbed-sigma-sdmerrill@7",
                                                    "gaussian-no-ircut@8"])
        #expect(eight.map(\.pattern) == [.rggb, .grbg, .rggb, .grbg, .gbrg, .bggr, .rggb, .grbg])
        #expect(eight[2...].map(\.bitDepth) == [12, 10, 12, 10, 12, 10])
        #expect(eight[2...].allSatisfy { $0.blackLevel < $0.whiteLevel && $0.whiteLevel < 1 << $0.bitDepth })
        let meterings: [ExposureMetering?] = eight[2...].map { if case .automatic(let ae) = $0.exposure { ae.metering } else { nil } }
        #expect(meterings == [.maximumPercentile, .mean, .centreWeighted, .maximumPercentile, .mean, .centreWeighted])
        #expect(CameraLineup.camera(number: 4, data: data) == eight[3], "deterministic")
    }

    @Test(arguments: [
        ("3:name=phone,sensor=phone-broad@2", 3, "name=phone,sensor=phone-broad@2"),
        (" 12 :bits=10", 12, "bits=10"),
        ("1:", 1, ""),
    ])
    func indexedSpecifications(_ text: String, _ number: Int, _ fields: String) throws {
        let s = try IndexedCameraSpecification(parsing: text)
        let expected = try CameraSpecification(parsing: fields)
        #expect(s.number == number && s.specification == expected)
        #expect(try IndexedCameraSpecification(parsing: s.description) == s)
    }

    @Test(arguments: [("name=phone", "index"), ("0:bits=10", "index"), ("x:bits=10", "index"), ("3:bits=99", "bits"), ("2:colour=red", "colour")])
    func badIndexedSpecifications(_ text: String, _ field: String) {
        #expect { try IndexedCameraSpecification(parsing: text) } throws: { ($0 as? CameraSpecificationError)?.field == field }
    }

    @Test func unpairedLetters() {
        #expect(SyntheticDatasetSet.unpaired.fileStem(index: 3, camera: 2) == "unpaired_0003_C")
        #expect(SyntheticDatasetSet.unpaired.fileStem(index: 3, camera: 25) == "unpaired_0003_Z")
        #expect(SyntheticDatasetSet.test.fileStem(index: 3, camera: 7) == "test_0003")
    }
}
