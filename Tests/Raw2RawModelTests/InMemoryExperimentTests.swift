import Calibration
import Evaluation
import Foundation
import RawIO
import RawSynthesis
import Testing
@testable import Raw2RawModel

@Suite("In-memory experiments")
struct InMemoryExperimentTests {
    /// A small training configuration: a narrow network on 32x32 patches, no checkpoints.
    static func smallTraining(steps: Int) -> TrainingConfiguration {
        var training = TrainingConfiguration.default
        training.model.channels = [8, 16]
        training.model.contextWidth = 8
        training.model.thumbnailSize = 16
        training.sampling.patchSize = 32
        training.sampling.unpairedBatchSize = 4
        training.sampling.anchorBatchSize = 4
        training.sampling.baseFitPixelsPerPair = 4096
        training.monitoring.checkpointInterval = 0
        training.monitoring.validationInterval = 0
        training.optimization.steps = steps
        return training
    }

    /// Two simulated cameras, 32x32 packed images: 8 unpaired per camera, 6 anchor pairs, 3 test pairs.
    static func synthesis(format: SyntheticDatasetFormat = .mat) throws -> SyntheticDatasetGenerator {
        let spectra = try SpectralData.bundled()
        let configuration = SyntheticDatasetConfiguration(
            cameraA: .iPhoneXLike(spectra), cameraB: .galaxyS9Like(spectra),
            unpairedCount: 8, anchorCount: 6, testCount: 3,
            scenes: SceneConfiguration(width: 32, height: 32), seed: 7, format: format)
        return SyntheticDatasetGenerator(configuration: configuration, data: spectra)
    }

    // The code of Raw2RawModel.docc/InMemoryExperiments.md.
    @Test("synthesize, train, map and evaluate without a dataset on disk")
    func endToEnd() throws {
        // 1. Synthesize two cameras' images into memory.
        let images = try Self.synthesis().render()

        // 2. Training data from the in-memory sets.
        let data = TrainingData(cameraA: images.cameraA, cameraB: images.cameraB,
                                unpairedA: images.unpairedA, unpairedB: images.unpairedB,
                                anchors: images.anchors)

        // 3. Train a few steps. The trainer saves its model into a folder: a temporary one.
        let modelFolder = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: modelFolder) }
        let trainer = try Trainer(configuration: Self.smallTraining(steps: 10), data: data, modelDirectory: modelFolder)
        try trainer.run()
        let network = trainer.network

        // 4. Map the test pairs from camera A to camera B and measure them.
        var psnr: [Double] = []
        for i in 0..<images.test.count {
            let (a, b) = try images.test.pair(at: i)
            let mapped = network.map(a, direction: .aToB)
            psnr.append(ImageMetrics(prediction: mapped, reference: b).psnr)
        }
        let meanPSNR = psnr.reduce(0, +) / Double(psnr.count)
        let identityPSNR = try (0..<images.test.count).map { i in
            let (a, b) = try images.test.pair(at: i)
            return ImageMetrics(prediction: a, reference: b).psnr
        }.reduce(0, +) / Double(images.test.count)
        #expect(meanPSNR.isFinite)
        #expect(meanPSNR > identityPSNR + 2)  // the least-squares base alone beats doing nothing

        // 5. The same through the Evaluator, on the in-memory test pairs.
        let evaluator = Evaluator(methods: [.identity, try .learned(network, cameraA: images.cameraA, cameraB: images.cameraB)],
                                  figurePairs: 0)
        let report = try evaluator.evaluate(images.test)
        let learned = try #require(report.result(method: "learned", direction: .aToB))
        #expect(abs(learned.summary.psnr.mean - meanPSNR) < 1e-9)
        #expect(report.pairNames == ["test_0000", "test_0001", "test_0002"])

        // Nothing but the model folder was written.
        let written = try FileManager.default.contentsOfDirectory(atPath: modelFolder.path)
        #expect(written.contains("model.json"))
    }

    @Test("training on in-memory images gives the model that training on the written files gives")
    func inMemoryTrainingEqualsFiles() throws {
        let generator = try Self.synthesis()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dataset-\(UUID().uuidString)")
        let outFiles = SyntheticDataset.modelFolder(), outMemory = SyntheticDataset.modelFolder()
        defer { for u in [root, outFiles, outMemory] { try? FileManager.default.removeItem(at: u) } }
        try generator.generate(into: root)
        let a = generator.configuration.cameraA.name, b = generator.configuration.cameraB.name
        let fromFiles = try TrainingData(layout: DatasetLayout(root: root), cameraA: a, cameraB: b)
        let images = try generator.render()
        let inMemory = TrainingData(cameraA: a, cameraB: b, unpairedA: images.unpairedA, unpairedB: images.unpairedB,
                                    anchors: images.anchors, validation: images.test)
        let config = Self.smallTraining(steps: 4)
        let t1 = try Trainer(configuration: config, data: fromFiles, modelDirectory: outFiles)
        try t1.run()
        let t2 = try Trainer(configuration: config, data: inMemory, modelDirectory: outMemory)
        try t2.run()
        let probe = try images.test.pair(at: 0).a
        #expect(t1.network.map(probe, direction: .aToB) == t2.network.map(probe, direction: .aToB))
        #expect(fromFiles.fingerprint.unpairedA == inMemory.fingerprint.unpairedA)
    }

    @Test("TrainingData from [PackedImage]: default names, validation pairs, and fingerprints that see pixels")
    func trainingDataFromImages() throws {
        let img = (0..<3).map { testImage(height: 8, width: 8, seed: UInt64($0)) }
        let data = TrainingData(cameraA: "A", cameraB: "B", unpairedA: img, unpairedB: Array(img.reversed()),
                                anchorsA: img, anchorsB: img, validationA: [img[0]], validationB: [img[1]])
        #expect(data.unpairedA.isInMemory && data.anchors.isInMemory && data.validation?.isInMemory == true)
        #expect(data.unpairedA.names == ["image_0000", "image_0001", "image_0002"])
        #expect(data.anchors.names == ["pair_0000", "pair_0001", "pair_0002"])
        #expect(try data.unpairedB.image(at: 0) == img[2])
        #expect(try data.validation?.pair(at: 0).b == img[1])
        #expect(data.warnings.isEmpty)

        var other = img
        other[1].values[0] += 0.01
        let changed = TrainingData(cameraA: "A", cameraB: "B", unpairedA: img, unpairedB: Array(img.reversed()),
                                   anchorsA: img, anchorsB: other)
        #expect(data.fingerprint.difference(from: data.fingerprint) == nil)
        let why = try #require(data.fingerprint.difference(from: changed.fingerprint))
        #expect(why.contains("anchor"))
        let json = String(decoding: try JSONEncoder().encode(data.fingerprint), as: UTF8.self)
        #expect(json.contains("\"contents\""))
    }

    @Test("a fingerprint of files has no content digests, as before")
    func fileFingerprintUnchanged() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var files: [PackedImageFile] = []
        for i in 0..<2 {
            let url = root.appendingPathComponent("u\(i).mat")
            try testImage(height: 8, width: 8, seed: UInt64(i)).writeMAT(to: url)
            files.append(try #require(PackedImageFile(url: url)))
        }
        let set = PackedImageSet(files: files)
        let data = TrainingData(cameraA: "A", cameraB: "B", unpairedA: set, unpairedB: set,
                                anchors: PackedImagePairSet(filesA: files, filesB: files))
        #expect(data.fingerprint.contents == nil)
        let json = String(decoding: try JSONEncoder().encode(data.fingerprint), as: UTF8.self)
        #expect(!json.contains("contents"))
    }

    @Test("a batch of files maps each as network.map does, in input order, with progress after every file")
    func batchMapping() throws {
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var inputs: [URL] = []
        for i in 0..<3 {
            let url = folder.appendingPathComponent("in\(i).mat")
            try testImage(height: 16, width: 16, seed: UInt64(i)).writeMAT(to: url)
            inputs.append(url)
        }
        let all = folder.appendingPathComponent("all"), model = folder.appendingPathComponent("model")
        let network = try randomNetwork(InferenceTests.tinyDefault)
        try network.save(to: model)
        let completed = ResultBox()
        let report = try BatchMapping(direction: .aToB, outputFolder: all).run(inputs, modelFolder: model) {
            completed.append($0.completed)
        }
        #expect(report.mapped.map(\.lastPathComponent) == ["in0.mat", "in1.mat", "in2.mat"] && report.failures.isEmpty)
        #expect(completed.values == [1, 2, 3])
        #expect(try PackedImage(contentsOfMAT: report.mapped[2]) == network.map(testImage(height: 16, width: 16, seed: 2), direction: .aToB))
    }
}

/// Collects values reported from a `@Sendable` progress closure.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    func append(_ v: Int) { lock.lock(); stored.append(v); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return stored }
}
