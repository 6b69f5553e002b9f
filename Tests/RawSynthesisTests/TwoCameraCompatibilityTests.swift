import Foundation
import RawSupport
import Testing
@testable import RawSynthesis

/// Two-camera datasets come out byte for byte as before the generator learnt N cameras: the
/// SHA-256 of every file and of `dataset.json` are pinned (computed with the two-camera generator).
@Suite struct TwoCameraCompatibilityTests {
    static func configuration(_ data: SpectralData, format: SyntheticDatasetFormat) -> SyntheticDatasetConfiguration {
        SyntheticDatasetConfiguration(cameraA: .iPhoneXLike(data), cameraB: .galaxyS9Like(data), unpairedCount: 1,
                                      anchorCount: 2, testCount: 1, scenes: SceneConfiguration(width: 8, height: 6),
                                      seed: 42, format: format)
    }

    /// Every file under `root` (relative path, sorted) with its SHA-256.
    static func digests(under root: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: root.path).sorted() {
            var isDirectory: ObjCBool = false
            let url = root.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            out[path] = SHA256.hexDigest(try Data(contentsOf: url))
        }
        return out
    }

    static let pinned: [SyntheticDatasetFormat: [String: String]] = [
        .mat: [
            "dataset.json": "15fc2a88a4b91a5b42b1e8c4380d8e3f672779a49728359d014a17fbcf845853",
            "paired/iphonex-like/anchor-raw-rggb/anchor_0000.mat": "753481c6d683d1af4f758cd50fdf0c9e7089ad73ddfb20055ec7534d97354513",
            "paired/iphonex-like/anchor-raw-rggb/anchor_0001.mat": "0a690d32f8ea358ea3bfc8e97b6ba3a4170fa6178563daea9016b314cc5c9cfd",
            "paired/iphonex-like/raw-rggb/test_0000.mat": "c5cae877b6b10607ee81fdd770702c951e061a06ae4573e9ef50bb357b5a22e2",
            "paired/s9-like/anchor-raw-rggb/anchor_0000.mat": "11ff1a2a9d36e47e5a7a8fc72c6828c20bb6399b83d018a456d21fa31b64c255",
            "paired/s9-like/anchor-raw-rggb/anchor_0001.mat": "222abfa853304e12328a94882c12d899135fa063990109aa684303bee34f095d",
            "paired/s9-like/raw-rggb/test_0000.mat": "a76604cb8733d1f45a954c0e715d00b5e9f276d56937f5dcdf42be4c03d48612",
            "unpaired/iphonex-like/raw-rggb/unpaired_0000_A.mat": "3615a171d642ddbceb8c108b2cfe28c60ace84a9d32679b2ec9db1b67ee73a4d",
            "unpaired/s9-like/raw-rggb/unpaired_0000_B.mat": "3689a9ed4e68f60ea0ecd7a86edfad8f3c48d296d79c72fe29dcc3541b0fe516",
        ],
        .dng: [
            "dataset.json": "f0c843400d835a5856d7c92a64167b52131feb21252e65293bab02b3422a3fbe",
            "paired/iphonex-like/anchor-raw-rggb/anchor_0000.dng": "fc6f9be094f78d8217ab802f52010669c632323a12a86e9b0f3e8b50fdfdee8a",
            "paired/iphonex-like/anchor-raw-rggb/anchor_0001.dng": "e1189f164b8834b4fe0e8bc20f1bf21d4a8e9443de6722bf8080821e1273a116",
            "paired/iphonex-like/raw-rggb/test_0000.dng": "2ccd61ecadf44c3a95da45a02875bd5e69d6f73bbdb7f4d476afd47f53f5add7",
            "paired/s9-like/anchor-raw-rggb/anchor_0000.dng": "e3dde2b89d0874bbe619a4f19ed3b8bf90d3c9a3449b4d852cc6fd4bff0909f9",
            "paired/s9-like/anchor-raw-rggb/anchor_0001.dng": "ec586d9f72e3a65ae902e74503d0908d5d76145fab2e6dff973a24a438d07ae0",
            "paired/s9-like/raw-rggb/test_0000.dng": "efd399e8e43309471c8f0ea7a7bbc117b8a3fc4dde8fd4cf2ecc4a5b41624b94",
            "unpaired/iphonex-like/raw-rggb/unpaired_0000_A.dng": "2bf48b608cd31efe0a078722663428490226a6e4f3a1bbbeecbbf0b76cb1fc37",
            "unpaired/s9-like/raw-rggb/unpaired_0000_B.dng": "9831aa861d3ef5bc41a7205c27a99fce4c10d5e6853362388f8575dde3a98242",
        ],
    ]

    @Test(arguments: SyntheticDatasetFormat.allCases)
    func twoCameraFilesAreUnchanged(_ format: SyntheticDatasetFormat) throws {
        let data = try SpectralData.bundled()
        let root = SyntheticDatasetTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try SyntheticDatasetGenerator(configuration: Self.configuration(data, format: format), data: data).generate(into: root)
        let digests = try Self.digests(under: root)
        #expect(digests == Self.pinned[format])
    }
}

extension TwoCameraCompatibilityTests {
    /// The cameras initialiser with two cameras writes the same bytes whatever the topology, and
    /// two-camera manifests carry no topology (old manifests decode with none).
    @Test(arguments: AnchorTopology.allCases)
    func twoCamerasAnyTopologyGiveTheSameFiles(_ topology: AnchorTopology) throws {
        let data = try SpectralData.bundled()
        let root = SyntheticDatasetTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let config = SyntheticDatasetConfiguration(cameras: [.iPhoneXLike(data), .galaxyS9Like(data)], anchorTopology: topology,
                                                   unpairedCount: 1, anchorCount: 2, testCount: 1,
                                                   scenes: SceneConfiguration(width: 8, height: 6), seed: 42)
        #expect(config.fileCount == 8)
        let manifest = try SyntheticDatasetGenerator(configuration: config, data: data).generate(into: root)
        #expect(try Self.digests(under: root) == Self.pinned[.mat])
        #expect(manifest.settings.anchorTopology == nil)
        let json = try String(contentsOf: root.appendingPathComponent("dataset.json"), encoding: .utf8)
        #expect(!json.contains("anchorTopology"))
    }
}
