import Foundation
import RawIO
import RawSupport

/// What a ``MultiCameraTrainer`` reports while it runs.
public struct MultiCameraTrainingProgress: Sendable {
    /// The pair being trained, counting from 1.
    public var pairIndex: Int
    /// The number of pairs.
    public var pairCount: Int
    /// The pair's record (cameras, folder, where its anchors come from).
    public var pair: CameraPairRecord
    /// What happened: the pair started, a training step ran, or the pair finished or was kept.
    public var event: Event

    /// A step of a multi-camera run.
    public enum Event: Sendable {
        /// The pair's data is ready and its training starts (its notes: least-squares choices, resumption).
        case started(notes: [String])
        /// One training step of the pair.
        case step(TrainingProgress)
        /// The pair is trained and saved.
        case finished(TrainingRecord)
        /// The pair's model folder was already complete (resuming): kept as it is.
        case kept
    }
}

/// Trains a ``MultiCameraModel``: every pair of K >= 2 cameras of a dataset whose anchor scenes
/// connect them.
///
/// ```swift
/// let layout = try DatasetLayout(root: dataset)
/// let trainer = try MultiCameraTrainer(configuration: .default, layout: layout,
///                                      cameras: ["cam1", "cam2", "cam3"], modelDirectory: out)
/// let model = try trainer.run { p in print(p.pairIndex, p.pairCount) }
/// let mapped = try model.map(image, from: "cam1", to: "cam3")
/// ```
///
/// Pairs that share anchor scenes are trained first, each exactly as a two-camera run on that
/// pair's data (same configuration, same seed). Then each pair that shares none is trained as a
/// two-camera run on carried anchors: every anchor scene of the dataset, each image a camera did
/// not see made by mapping the nearest camera that saw the scene (fewest hops in the anchor graph,
/// ties to the earlier camera) through the already trained pairs along the shortest chain. Carried images
/// are written as `.mat` files, once per run, into the folder of the first pair that needs them
/// (`carried/<camera>/`), so a run can be inspected and resumed. With `resume`, pairs whose model folder is complete are kept and an
/// interrupted pair continues from its newest checkpoint.
public final class MultiCameraTrainer {
    /// The configuration every pair is trained with.
    public let configuration: TrainingConfiguration
    /// The dataset.
    public let layout: DatasetLayout
    /// The cameras, in the order given.
    public let cameras: [String]
    /// The anchor graph of the cameras.
    public let graph: CameraGraph
    /// The model folder.
    public let modelDirectory: URL
    /// Whether complete pairs are kept and interrupted ones resumed.
    public let resume: Bool
    /// Every pair in training order: pairs with shared anchors first, then carried ones.
    public let plan: [CameraPairRecord]
    /// Every anchor scene: the file of each camera that saw it (listed once, for the graph and the carried pairs).
    private let anchorFiles: [String: [String: PackedImageFile]]

    /// Checks the cameras and the configuration, reads the anchor graph and plans the pairs.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` for fewer than two or repeated cameras
    ///   or an invalid configuration, ``TrainingError/dataset(_:)`` for an unknown camera or an
    ///   unreadable folder, ``TrainingError/disconnectedCameras(groups:)`` when the anchors do not
    ///   connect every camera.
    public init(configuration: TrainingConfiguration, layout: DatasetLayout, cameras: [String], modelDirectory: URL,
                resume: Bool = false) throws(TrainingError) {
        var problems = configuration.problems()
        if cameras.count < 2 { problems.append("a multi-camera model needs at least two cameras, got \(cameras.count)") }
        if Set(cameras).count != cameras.count { problems.append("the cameras \(cameras) repeat a name") }
        guard problems.isEmpty else { throw .invalidConfiguration(problems) }
        let graph: CameraGraph
        var plan: [CameraPairRecord] = []
        var anchorFiles: [String: [String: PackedImageFile]] = [:]
        do {
            var scenes: [String: [String]] = [:]
            for c in cameras {
                let files = try layout.files(.anchor, camera: c)
                scenes[c] = files.map(\.name)
                for file in files { anchorFiles[file.name, default: [:]][c] = file }
            }
            graph = CameraGraph(cameras: cameras, scenes: scenes)
            guard graph.isConnected else { throw TrainingError.disconnectedCameras(groups: graph.components) }
            var carried: [CameraPairRecord] = []
            for (i, a) in cameras.enumerated() {
                for (j, b) in cameras.enumerated() where j > i {
                    let folder = "pairs/\(i)-\(j)"
                    if let edge = graph.edge(a, b) {
                        plan.append(CameraPairRecord(cameraA: a, cameraB: b, folder: folder, source: .anchors,
                                                     anchorScenes: edge.scenes.count, carriedImages: 0))
                    } else {
                        carried.append(CameraPairRecord(cameraA: a, cameraB: b, folder: folder, source: .carried,
                                                        anchorScenes: anchorFiles.count,
                                                        carriedImages: 2 * anchorFiles.count - scenes[a]!.count - scenes[b]!.count))
                    }
                }
            }
            plan += carried
        } catch let error as TrainingError {
            throw error
        } catch let error as DatasetError {
            throw .dataset(error)
        } catch {
            throw .invalidConfiguration(["\(error)"])
        }
        self.configuration = configuration
        self.layout = layout
        self.cameras = cameras
        self.graph = graph
        self.modelDirectory = modelDirectory
        self.resume = resume
        self.plan = plan
        self.anchorFiles = anchorFiles
    }

    /// Trains every pair in ``plan`` order, then writes `cameras.json` and its checksum list.
    ///
    /// Honours task cancellation through each pair's ``Trainer/run(progress:)``
    /// (``TrainingError/cancelled(step:lastCheckpoint:)``); rerun with `resume` to continue.
    /// - Returns: the trained model, loaded back from its folder.
    /// - Throws: ``TrainingError``.
    @discardableResult
    public func run(progress: ((MultiCameraTrainingProgress) -> Void)? = nil) throws(TrainingError) -> MultiCameraModel {
        try AtomicFile.makeFolder(modelDirectory, error: TrainingError.init)
        var trained: [String: Raw2RawNetwork] = [:]
        var carriedFiles: [String: PackedImageFile] = [:]   // "scene\0camera" -> a carried image already written
        for (index, record) in plan.enumerated() {
            let folder = modelDirectory.appendingPathComponent(record.folder, isDirectory: true)
            func report(_ event: MultiCameraTrainingProgress.Event) {
                progress?(MultiCameraTrainingProgress(pairIndex: index + 1, pairCount: plan.count, pair: record, event: event))
            }
            if resume, let done = completedPair(at: folder, record: record) {
                trained[record.folder] = done
                report(.kept)
                continue
            }
            let data = record.source == .anchors ? try directData(record) : try carriedData(record, folder: folder, trained: trained, carried: &carriedFiles)
            let trainer = try Trainer(configuration: configuration, data: data, modelDirectory: folder, resume: resume)
            report(.started(notes: trainer.notes))
            let result = try trainer.run { report(.step($0)) }
            report(.finished(result))
            do { trained[record.folder] = try Raw2RawNetwork(contentsOf: folder) } catch { throw .model(error) }
        }
        let description = MultiCameraDescription(cameras: cameras, graph: graph, pairs: plan, training: configuration)
        do {
            try MultiCameraModel.writeDescription(description, to: modelDirectory)
            return try MultiCameraModel(contentsOf: modelDirectory)
        } catch {
            throw .model(error)
        }
    }

    /// The pair's network when its folder holds a complete, intact model of this configuration.
    private func completedPair(at folder: URL, record: CameraPairRecord) -> Raw2RawNetwork? {
        guard let network = try? Raw2RawNetwork(contentsOf: folder), network.integrity == .verified,
              network.cameraA == record.cameraA, network.cameraB == record.cameraB,
              let training = try? Raw2RawNetwork.readDescription(folder).training,
              training.configuration == configuration, training.steps == configuration.optimization.steps else { return nil }
        return network
    }

    /// The test pairs of two cameras as validation pairs, or `nil` when they share no test scene.
    private func validation(_ a: String, _ b: String) throws(DatasetError) -> PackedImagePairSet? {
        let shared = Set(try layout.sceneNames(.test, camera: a)).intersection(try layout.sceneNames(.test, camera: b))
        return shared.isEmpty ? nil : try layout.testPairs(cameraA: a, cameraB: b)
    }

    /// A pair with shared anchors: its own data, read exactly as a two-camera run reads it.
    private func directData(_ record: CameraPairRecord) throws(TrainingError) -> TrainingData {
        try TrainingData(layout: layout, cameraA: record.cameraA, cameraB: record.cameraB)
    }

    /// A pair without shared anchors: every anchor scene of the dataset, each image the camera did not see carried.
    private func carriedData(_ record: CameraPairRecord, folder: URL, trained: [String: Raw2RawNetwork],
                             carried: inout [String: PackedImageFile]) throws(TrainingError) -> TrainingData {
        let a = record.cameraA, b = record.cameraB
        do {
            var filesA: [PackedImageFile] = [], filesB: [PackedImageFile] = []
            for scene in anchorFiles.keys.sorted() {
                filesA.append(try carriedFile(scene, to: a, folder: folder, trained: trained, carried: &carried))
                filesB.append(try carriedFile(scene, to: b, folder: folder, trained: trained, carried: &carried))
            }
            return TrainingData(cameraA: a, cameraB: b, unpairedA: try layout.unpaired(camera: a), unpairedB: try layout.unpaired(camera: b),
                                anchors: PackedImagePairSet(filesA: filesA, filesB: filesB, cache: layout.cache),
                                validation: try validation(a, b))
        } catch let error as TrainingError {
            throw error
        } catch let error as DatasetError {
            throw .dataset(error)
        } catch let error as RawIOError {
            throw .dataset(.unreadableImage(error))
        } catch {
            throw .invalidConfiguration(["\(error)"])
        }
    }

    /// `target`'s image of `scene`: its own file, one an earlier pair of this run carried (`carried`),
    /// or one written under `folder/carried/<target>/` by mapping the nearest camera that saw the
    /// scene along the shortest chain of trained pairs.
    private func carriedFile(_ scene: String, to target: String, folder: URL, trained: [String: Raw2RawNetwork],
                             carried: inout [String: PackedImageFile]) throws -> PackedImageFile {
        let seen = anchorFiles[scene]!
        if let own = seen[target] { return own }
        let key = scene + "\u{0}" + target
        if let done = carried[key] { return done }
        var best: [String]?
        for camera in cameras where seen[camera] != nil {
            if let path = graph.path(from: camera, to: target), best == nil || path.count < best!.count { best = path }
        }
        guard let path = best else { throw TrainingError.disconnectedCameras(groups: graph.components) }
        var image = try seen[path[0]]!.load()
        for (u, v) in zip(path, path.dropFirst()) {
            guard let record = plan.first(where: { ($0.cameraA == u && $0.cameraB == v) || ($0.cameraA == v && $0.cameraB == u) }),
                  let network = trained[record.folder] else {
                preconditionFailure("the pair \(u)/\(v) of a shortest chain is trained before the pairs carried through it")
            }
            image = network.map(image, direction: MappingDirection(to: try network.side(of: v)))
        }
        let url = folder.appendingPathComponent("carried", isDirectory: true).appendingPathComponent(target, isDirectory: true)
            .appendingPathComponent(scene + ".mat")
        try AtomicFile.makeFolder(url.deletingLastPathComponent(), error: TrainingError.init)
        try image.writeMAT(to: url)
        carried[key] = PackedImageFile(url: url, format: .mat)
        return carried[key]!
    }
}
