import Foundation
import RawSynthesis
import Testing

/// Runs the built `raw2raw synth` with several cameras: --cameras, --topology and --camera-spec,
/// and the validation errors of bad values (tiny datasets).
@Suite("raw2raw synth: several cameras (runs the executable)", .serialized)
struct SynthCommandTests {
    static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("synth-cli-\(UUID().uuidString)")
    }

    @Test func threeCamerasStarWithACameraSpecification() throws {
        let root = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("data")
        let r = try MapCommandTests.run(["synth", "--out", out.path, "--cameras", "3", "--topology", "star", "--unpaired", "0",
                                         "--anchors", "1", "--test", "1", "--size", "4x4", "--quiet",
                                         "--camera-spec", "3:name=phone,sensor=phone-broad@2,pattern=bggr"],
                                        logs: root.appendingPathComponent("logs"))
        #expect(r.status == 0, "\(r.stderr)")
        let manifest = try JSONDecoder().decode(SyntheticDatasetManifest.self,
                                                from: Data(contentsOf: out.appendingPathComponent("dataset.json")))
        #expect(manifest.complete && manifest.settings.anchorTopology == .star)
        #expect(manifest.settings.cameras.map(\.name) == ["cam1", "cam2", "phone"])
        #expect(manifest.settings.cameras[2].sensitivities == "phone-broad@2" && manifest.settings.cameras[2].pattern == "BGGR")
        let files = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".mat") }.sorted()
        #expect(files == ["paired/cam1/anchor-raw-rggb/anchor_0000.mat", "paired/cam1/anchor-raw-rggb/anchor_0001.mat",
                          "paired/cam1/raw-rggb/test_0000.mat", "paired/cam2/anchor-raw-rggb/anchor_0000.mat",
                          "paired/cam2/raw-rggb/test_0000.mat", "paired/phone/anchor-raw-rggb/anchor_0001.mat",
                          "paired/phone/raw-rggb/test_0000.mat"])
        #expect(r.stdout.contains("anchor edges (star): cam1/cam2, cam1/phone"), "\(r.stdout)")
        #expect(r.stdout.contains("3. phone (BGGR"), "\(r.stdout)")
    }

    @Test(arguments: [
        (["--cameras", "1"], "--cameras must lie in 2...26"),
        (["--cameras", "27"], "--cameras must lie in 2...26"),
        (["--topology", "ring"], "'ring' is not a topology"),
        (["--cameras", "3", "--camera-spec", "3:name=cam1"], "cameras 1 and 3 are both named 'cam1'"),
        (["--cameras", "3", "--camera-spec", "4:bits=10"], "there is no camera 4"),
        (["--cameras", "3", "--camera-spec", "name=x"], "expected INDEX:fields"),
        (["--camera-a-spec", "bits=10", "--camera-spec", "1:bits=12"], "camera 1 is already changed by --camera-a-spec"),
    ])
    func validationErrors(_ arguments: [String], _ message: String) throws {
        let root = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let r = try MapCommandTests.run(["synth", "--out", root.appendingPathComponent("data").path, "--unpaired", "0", "--anchors", "1",
                                         "--test", "0", "--size", "4x4", "--quiet"] + arguments,
                                        logs: root.appendingPathComponent("logs"))
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("data").path))
    }
}
