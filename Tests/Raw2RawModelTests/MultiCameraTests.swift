import Calibration
import Foundation
import RawIO
import Testing
@testable import Evaluation
@testable import Raw2RawModel

/// A three-camera dataset of linear cameras in a chain: camera 2 sees `M1 x` and camera 3 sees
/// `M2 M1 x` of camera 1's `x`; anchors join cameras 1-2 (`e12_*`) and 2-3 (`e23_*`) only, and
/// every camera sees the test scenes.
struct ChainDataset {
    let root: URL
    static let m2: [[Float]] = [
        [0.70, 0.15, 0.05, 0.05],
        [0.05, 0.80, 0.05, 0.05],
        [0.08, 0.05, 0.75, 0.07],
        [0.02, 0.05, 0.20, 0.70],
    ]

    static func apply(_ m: [[Float]], _ image: PackedImage) -> PackedImage {
        var out = image.values
        for i in 0..<image.pixelCount {
            let p = image.pixel(y: i / image.width, x: i % image.width)
            for c in 0..<4 { out[i * 4 + c] = m[c][0] * p[0] + m[c][1] * p[1] + m[c][2] * p[2] + m[c][3] * p[3] }
        }
        return PackedImage(height: image.height, width: image.width, values: out)
    }

    /// The three cameras' views of a camera-1 scene.
    static func views(_ x: PackedImage) -> [PackedImage] {
        let second = apply(SyntheticDataset.matrix, x)
        return [x, second, apply(m2, second)]
    }

    init(anchorsPerEdge: Int = 4, tests: Int = 3, unpaired: Int = 3, size: Int = 32, connected: Bool = true, star: Bool = false) {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("raw2raw-multicamera-tests-\(UUID().uuidString)")
        var g = SeededGenerator(seed: 5)
        func write(_ image: PackedImage, _ split: DatasetSplit, _ camera: Int, _ name: String) {
            let folder = root.appendingPathComponent(split.relativePath(camera: "cam\(camera + 1)"))
            try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try! image.writeMAT(to: folder.appendingPathComponent(name + ".mat"))
        }
        for camera in 0..<3 {
            for i in 0..<unpaired {
                write(Self.views(SyntheticDataset.sceneA(size: size, generator: &g).image)[camera], .unpaired, camera, "u\(camera)_\(i)")
            }
        }
        for (edge, cameras) in star ? [(12, [0, 1]), (13, [0, 2])] : [(12, [0, 1]), (23, [1, 2])] {
            for i in 0..<anchorsPerEdge {
                let v = Self.views(SyntheticDataset.sceneA(size: size, generator: &g).image)
                for c in cameras where connected || edge == 12 || c == 2 { write(v[c], .anchor, c, "e\(edge)_\(i)") }
                if !connected && edge == 23 { write(v[1], .anchor, 1, "lone\(i)") }
            }
        }
        for i in 0..<tests {
            let v = Self.views(SyntheticDataset.sceneA(size: size, generator: &g).image)
            for c in 0..<3 { write(v[c], .test, c, "t\(i)") }
        }
    }

    var layout: DatasetLayout { try! DatasetLayout(root: root) }
    func remove() { try? FileManager.default.removeItem(at: root) }
    static let cameras = ["cam1", "cam2", "cam3"]
}

@Suite("Multi-camera models: training, mapping without direct anchors, chained baselines")
struct MultiCameraTests {
    static func configuration(steps: Int = 0) -> TrainingConfiguration {
        var c = TrainingConfiguration.tiny(steps: steps)
        c.monitoring.validationInterval = 0
        return c
    }

    @Test("Maps camera 1 to camera 3 and back without anchors between them, close to the truth")
    func mapsWithoutDirectAnchors() throws {
        let data = ChainDataset()
        defer { data.remove() }
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ChainDataset.cameras,
                                             modelDirectory: folder)
        #expect(trainer.plan.map(\.source) == [.anchors, .anchors, .carried])
        #expect(trainer.plan.last?.cameraA == "cam1" && trainer.plan.last?.cameraB == "cam3")
        #expect(trainer.plan.last?.anchorScenes == 8)
        let model = try trainer.run()
        // Carried images were written for the scenes camera 1 or 3 did not see.
        let carried = folder.appendingPathComponent("pairs/0-2/carried")
        #expect(try FileManager.default.contentsOfDirectory(atPath: carried.appendingPathComponent("cam1").path).sorted()
                == (0..<4).map { "e23_\($0).mat" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: carried.appendingPathComponent("cam3").path).count == 4)
        let tests = try data.layout.testPairs(cameraA: "cam1", cameraB: "cam3")
        for i in 0..<tests.count {
            let (a, c) = try tests.pair(at: i)
            let forward = try model.map(a, from: "cam1", to: "cam3"), backward = try model.map(c, from: "cam3", to: "cam1")
            #expect(ImageMetrics(prediction: forward, reference: c).psnr > 35)
            #expect(ImageMetrics(prediction: backward, reference: a).psnr > 35)
        }
        // A loaded copy maps the same.
        let loaded = try MultiCameraModel(contentsOf: folder)
        let (a, _) = try tests.pair(at: 0)
        #expect(try loaded.map(a, from: "cam1", to: "cam3").values == (try model.map(a, from: "cam1", to: "cam3").values))
        #expect(throws: ModelError.self) { try loaded.map(a, from: "cam1", to: "cam1") }
        #expect(throws: ModelError.self) { try loaded.map(a, from: "cam9", to: "cam1") }
    }

    @Test("A star (cam1 sharing anchors with cam2 and with cam3) maps cam2 to cam3 and back through the hub's scenes")
    func star() throws {
        let data = ChainDataset(star: true)
        defer { data.remove() }
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ChainDataset.cameras,
                                             modelDirectory: folder)
        #expect(trainer.graph.edges.map { [$0.cameraA, $0.cameraB] } == [["cam1", "cam2"], ["cam1", "cam3"]])
        #expect(trainer.graph.path(from: "cam2", to: "cam3") == ["cam2", "cam1", "cam3"])
        #expect(trainer.plan.map(\.source) == [.anchors, .anchors, .carried])
        #expect(trainer.plan.last?.cameraA == "cam2" && trainer.plan.last?.cameraB == "cam3")
        let model = try trainer.run()
        let tests = try data.layout.testPairs(cameraA: "cam2", cameraB: "cam3")
        for i in 0..<tests.count {
            let (b, c) = try tests.pair(at: i)
            #expect(ImageMetrics(prediction: try model.map(b, from: "cam2", to: "cam3"), reference: c).psnr > 35)
            #expect(ImageMetrics(prediction: try model.map(c, from: "cam3", to: "cam2"), reference: b).psnr > 35)
        }
    }

    @Test("A pair with shared anchors is exactly the two-camera model of that pair's data")
    func directPairEqualsTwoCameraModel() throws {
        let data = ChainDataset()
        defer { data.remove() }
        let multiFolder = SyntheticDataset.modelFolder(), pairFolder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: multiFolder); try? FileManager.default.removeItem(at: pairFolder) }
        let c = Self.configuration(steps: 3)
        let model = try MultiCameraTrainer(configuration: c, layout: data.layout, cameras: ChainDataset.cameras,
                                           modelDirectory: multiFolder).run()
        let two = try Trainer(configuration: c, data: TrainingData(layout: data.layout, cameraA: "cam2", cameraB: "cam3"),
                              modelDirectory: pairFolder)
        try two.run()
        let test = try data.layout.testPairs(cameraA: "cam2", cameraB: "cam3").pair(at: 0)
        #expect(try model.map(test.a, from: "cam2", to: "cam3").values == two.network.map(test.a, direction: .aToB).values)
        #expect(try model.map(test.b, from: "cam3", to: "cam2").values == two.network.map(test.b, direction: .bToA).values)
    }

    @Test("Resuming keeps complete pairs; another configuration is refused on resume and retrains every pair without")
    func resumeKeepsPairs() throws {
        let data = ChainDataset()
        defer { data.remove() }
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ChainDataset.cameras,
                               modelDirectory: folder).run()
        var kept = 0, started = 0
        try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ChainDataset.cameras,
                               modelDirectory: folder, resume: true).run { p in
            if case .kept = p.event { kept += 1 }
            if case .started = p.event { started += 1 }
        }
        #expect(kept == 3 && started == 0)
        var other = Self.configuration()
        other.seed = 9
        // Resuming with another configuration is refused by the pair's checkpoint, as for two cameras ...
        #expect {
            try MultiCameraTrainer(configuration: other, layout: data.layout, cameras: ChainDataset.cameras,
                                   modelDirectory: folder, resume: true).run()
        } throws: { error in
            guard case TrainingError.incompatibleCheckpoint(_, let reason) = error else { return false }
            return reason.contains("seed")
        }
        // ... and a new run without resume retrains every pair.
        started = 0
        try MultiCameraTrainer(configuration: other, layout: data.layout, cameras: ChainDataset.cameras,
                               modelDirectory: folder).run { p in if case .started = p.event { started += 1 } }
        #expect(started == 3)
    }

    @Test("Anchors that do not connect every camera are refused, naming the groups")
    func disconnected() throws {
        let data = ChainDataset(connected: false)
        defer { data.remove() }
        #expect {
            try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ChainDataset.cameras,
                                   modelDirectory: SyntheticDataset.modelFolder())
        } throws: { error in
            (error as? TrainingError) == .disconnectedCameras(groups: [["cam1", "cam2"], ["cam3"]])
        }
        #expect(throws: TrainingError.self) {
            try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ["cam1"],
                                   modelDirectory: SyntheticDataset.modelFolder())
        }
    }

    @Test("Chained least squares on linear cameras compose the fitted matrices: M2 M1 exactly")
    func chainedBaselines() throws {
        let data = ChainDataset()
        defer { data.remove() }
        let graph = try data.layout.cameraGraph(cameras: ChainDataset.cameras)
        let (methods, paths) = try ChainBaselines.fit(layout: data.layout, graph: graph, cameraA: "cam1", cameraB: "cam3")
        #expect(paths.aToB == ["cam1", "cam2", "cam3"] && paths.bToA == ["cam3", "cam2", "cam1"])
        #expect(methods.map(\.name) == ["single-calibration-3x3-chain", "anchor-linear3x3-chain", "anchor-linear4x4-chain",
                                        "anchor-poly16-chain", "anchor-rootpoly2-chain"])
        let chain = methods.first { $0.name == "anchor-linear4x4-chain" }!
        var g = SeededGenerator(seed: 11)
        let x = SyntheticDataset.sceneA(size: 16, generator: &g).image
        let truth = ChainDataset.views(x)
        let forward = try chain.map(x, .aToB)
        for (p, q) in zip(forward.values, truth[2].values) { #expect(Swift.abs(p - q) < 2e-4) }
        // Back: inverse matrices, exact on data the cameras can produce.
        let backward = try chain.map(truth[2], .bToA)
        for (p, q) in zip(backward.values, x.values) { #expect(Swift.abs(p - q) < 2e-3) }
    }

    @Test("The evaluation covers every ordered pair, with chains and the learned rows, directions named by camera")
    func evaluation() throws {
        let data = ChainDataset()
        defer { data.remove() }
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try MultiCameraTrainer(configuration: Self.configuration(), layout: data.layout, cameras: ChainDataset.cameras,
                                           modelDirectory: folder).run()
        let evaluation = try MultiCameraEvaluation.run(layout: data.layout, cameras: ChainDataset.cameras, model: model)
        let rows = evaluation.rows
        #expect(Set(rows.map(\.direction)) == ["cam1->cam2", "cam2->cam1", "cam1->cam3", "cam3->cam1", "cam2->cam3", "cam3->cam2"])
        let indirect = rows.filter { $0.direction == "cam3->cam1" }
        #expect(indirect.map(\.method) == ["identity", "single-calibration-3x3-chain", "anchor-linear3x3-chain", "anchor-linear4x4-chain",
                                           "anchor-poly16-chain", "anchor-rootpoly2-chain", "learned", "learned-chain"])
        #expect(indirect.allSatisfy { $0.path == ["cam3", "cam2", "cam1"] && $0.sharedAnchors == 0 && $0.imageCount == 3 })
        let direct = rows.filter { $0.direction == "cam2->cam3" }
        #expect(direct.map(\.method).contains("anchor-rootpoly2") && direct.allSatisfy { $0.sharedAnchors == 4 })
        #expect(evaluation.bestBaselineComparison().count == 6)
        let json = try JSONSerialization.jsonObject(with: evaluation.jsonData()) as! [String: Any]
        let results = json["results"] as! [[String: Any]]
        #expect(results.count == rows.count)
        #expect(results.contains { $0["direction"] as? String == "cam1->cam3" && $0["method"] as? String == "learned" })
        let out = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let written = try evaluation.write(to: out)
        #expect(written.map(\.lastPathComponent) == ["report.md", "results.json"])
        #expect(try String(contentsOf: written[0], encoding: .utf8).contains("| cam1->cam3 | none, via cam1->cam2->cam3 |"))
    }
}


@Suite("raw2raw train/map/evaluate --cameras (runs the executable)", .serialized)
struct MultiCameraCommandTests {
    @Test("train --cameras, map --from --to without direct anchors, evaluate --cameras --json")
    func commands() throws {
        let data = ChainDataset()
        defer { data.remove() }
        let work = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let logs = work.appendingPathComponent("logs"), model = work.appendingPathComponent("model")
        let config = work.appendingPathComponent("config.json")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try JSONEncoder().encode(MultiCameraTests.configuration()).write(to: config)
        let train = try MapCommandTests.run(["train", "--dataset", data.root.path, "--cameras", "cam1,cam2,cam3", "--config", config.path,
                                             "-o", model.path, "--quiet"], logs: logs)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("cam1/cam3: no shared anchors; 8 anchor scenes carried through cam1->cam2->cam3"))
        #expect(MultiCameraModel.isMultiCameraModel(model))

        let input = data.root.appendingPathComponent("paired/cam1/raw-rggb/t0.mat"), out = work.appendingPathComponent("mapped")
        let map = try MapCommandTests.run(["map", "--model", model.path, "--from", "cam1", "--to", "cam3", input.path, "-o", out.path],
                                          logs: logs)
        #expect(map.status == 0, "\(map.stderr)")
        let mapped = try PackedImage(contentsOfMAT: out.appendingPathComponent("t0.mat"), variable: "raw_rggb")
        let expected = try MultiCameraModel(contentsOf: model).map(try PackedImageFile(url: input)!.load(), from: "cam1", to: "cam3")
        #expect(mapped.values == expected.values)
        let noSource = try MapCommandTests.run(["map", "--model", model.path, "--to", "cam3", input.path, "-o", out.path], logs: logs)
        #expect(noSource.status != 0 && noSource.stderr.contains("--from"))

        let evaluate = try MapCommandTests.run(["evaluate", "--dataset", data.root.path, "--cameras", "cam1,cam2,cam3", "--model", model.path,
                                                "--json", "--quiet"], logs: logs)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as! [String: Any]
        let directions = Set((json["results"] as! [[String: Any]]).compactMap { $0["direction"] as? String })
        #expect(directions == ["cam1->cam2", "cam2->cam1", "cam1->cam3", "cam3->cam1", "cam2->cam3", "cam3->cam2"])
        let both = try MapCommandTests.run(["train", "--dataset", data.root.path, "--cameras", "cam1,cam3", "--camera-a", "cam1",
                                            "-o", model.path], logs: logs)
        #expect(both.status != 0 && both.stderr.contains("not both"))
    }
}
