import Foundation
import RawSupport
import RawIO

/// The file format of a synthetic dataset.
public enum SyntheticDatasetFormat: String, Sendable, Codable, CaseIterable {
    /// MATLAB v5 `.mat` files holding one single-precision variable `raw_rggb` (H/2 x W/2 x 4), as the paper's dataset.
    case mat
    /// DNG raw files (the mosaic with its levels, CFA, `AsShotNeutral` and fitted colour matrices).
    case dng

    /// The file name extension, without the dot.
    public var fileExtension: String { rawValue }
}

/// The three image sets of the paper's dataset layout.
public enum SyntheticDatasetSet: String, Sendable, Codable, CaseIterable {
    /// `unpaired/<camera>/raw-rggb/`: every camera its own scenes.
    case unpaired
    /// `paired/<camera>/anchor-raw-rggb/`: the anchor scenes, each seen (pixel-aligned) by the two
    /// cameras of one edge of the ``AnchorTopology``.
    case anchor
    /// `paired/<camera>/raw-rggb/`: the test scenes, each seen (pixel-aligned) by every camera.
    case test

    /// The folder of `camera`'s images of this set, relative to the dataset root.
    public func folder(camera: String) -> String {
        switch self {
        case .unpaired: return "unpaired/\(camera)/raw-rggb"
        case .anchor: return "paired/\(camera)/anchor-raw-rggb"
        case .test: return "paired/\(camera)/raw-rggb"
        }
    }

    /// The file name stem of image `index` of this set, as `camera` (0 = A, 1 = B, 2 = C, ...) writes it.
    ///
    /// Scenes seen by several cameras share it across them (`anchor_0003`, `test_0012`); unpaired
    /// images, which show different scenes, carry the camera's letter like the paper's files
    /// (`unpaired_0005_A`, `unpaired_0005_B`, `unpaired_0005_C`), so that no one mistakes them for pairs.
    public func fileStem(index: Int, camera: Int) -> String {
        precondition((0..<SyntheticDatasetConfiguration.cameraCountRange.upperBound).contains(camera),
                     "camera must be an index in 0..<\(SyntheticDatasetConfiguration.cameraCountRange.upperBound), got \(camera)")
        precondition(index >= 0, "image index must be non-negative, got \(index)")
        let digits = String(index)
        let number = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return self == .unpaired ? "unpaired_\(number)_\(Self.letter(camera: camera))" : "\(rawValue)_\(number)"
    }

    /// The letter of camera `camera` in unpaired file names: `A` for 0, `B` for 1, ... `Z` for 25.
    public static func letter(camera: Int) -> String {
        precondition((0..<26).contains(camera), "camera letters run from A to Z (index 0...25), got \(camera)")
        return String(UnicodeScalar(UInt8(65 + camera)))
    }
}

/// Which pairs of cameras share anchor scenes in an N-camera synthetic dataset.
///
/// Each edge `(i, j)` (camera indices, `i < j`) gets ``SyntheticDatasetConfiguration/anchorCount``
/// scenes of its own, seen by cameras `i` and `j` only; with two cameras every topology is the one
/// edge `(0, 1)`.
public enum AnchorTopology: String, Sendable, Equatable, Codable, CaseIterable {
    /// Neighbours in camera order: edges `(0, 1), (1, 2), ..., (N-2, N-1)`.
    case chain
    /// The first camera with each other one: edges `(0, 1), (0, 2), ..., (0, N-1)`.
    case star
    /// Every pair: edges `(i, j)` for all `i < j`, in lexicographic order.
    case allPairs = "all-pairs"

    /// The edges of this topology over `cameraCount` cameras, in the order their anchor scenes are numbered.
    ///
    /// Edge `e` holds anchor scenes `e * anchorCount ..< (e + 1) * anchorCount`. Every camera lies
    /// on at least one edge.
    public func edges(cameraCount: Int) -> [(Int, Int)] {
        precondition(cameraCount >= 2, "a topology needs at least two cameras, got \(cameraCount)")
        switch self {
        case .chain: return (0..<(cameraCount - 1)).map { ($0, $0 + 1) }
        case .star: return (1..<cameraCount).map { (0, $0) }
        case .allPairs: return (0..<(cameraCount - 1)).flatMap { i in ((i + 1)..<cameraCount).map { (i, $0) } }
        }
    }
}

/// What to synthesise: the cameras, which of them share anchor scenes, how many images of each
/// set, their size, the seed and the format.
public struct SyntheticDatasetConfiguration: Sendable {
    /// How many cameras a dataset may have: 2 to 26 (unpaired files carry the letters A to Z).
    public static let cameraCountRange = 2...26

    /// The cameras, in order (their ``CameraModel/name``s are their folder names, all different).
    public var cameras: [CameraModel]
    /// Which pairs of cameras share anchor scenes (irrelevant for two cameras: one edge either way).
    public var anchorTopology: AnchorTopology
    /// Unpaired images per camera (every camera its own scenes).
    public var unpairedCount: Int
    /// Anchor scenes per edge of the ``anchorTopology`` (each seen by the edge's two cameras).
    public var anchorCount: Int
    /// Test scenes (each seen by every camera).
    public var testCount: Int
    /// The scene distribution, including the packed image size.
    public var scenes: SceneConfiguration
    /// The seed every scene, exposure and noise sample derives from.
    public var seed: UInt64
    /// The file format.
    public var format: SyntheticDatasetFormat

    /// Creates a configuration of two or more cameras whose anchor scenes follow `anchorTopology`.
    ///
    /// Two cameras give exactly the dataset of ``init(cameraA:cameraB:unpairedCount:anchorCount:testCount:scenes:seed:format:)``
    /// whatever the topology.
    public init(cameras: [CameraModel], anchorTopology: AnchorTopology = .chain, unpairedCount: Int, anchorCount: Int,
                testCount: Int, scenes: SceneConfiguration, seed: UInt64, format: SyntheticDatasetFormat = .mat) {
        precondition(Self.cameraCountRange.contains(cameras.count),
                     "a synthetic dataset needs \(Self.cameraCountRange.lowerBound) to \(Self.cameraCountRange.upperBound) cameras, got \(cameras.count)")
        var seen: Set<String> = []
        for n in cameras.map(\.name) {
            precondition(!n.isEmpty && !n.contains("/") && n != "." && n != "..", "camera name '\(n)' cannot be a folder name")
            precondition(seen.insert(n).inserted, "the cameras need different names (they are folder names), '\(n)' appears twice")
        }
        precondition(unpairedCount >= 0 && anchorCount >= 0 && testCount >= 0, "image counts must be non-negative")
        self.cameras = cameras
        self.anchorTopology = anchorTopology
        self.unpairedCount = unpairedCount
        self.anchorCount = anchorCount
        self.testCount = testCount
        self.scenes = scenes
        self.seed = seed
        self.format = format
    }

    /// Creates a configuration of two cameras, A and B (the cameras `[cameraA, cameraB]`).
    public init(cameraA: CameraModel, cameraB: CameraModel, unpairedCount: Int, anchorCount: Int, testCount: Int,
                scenes: SceneConfiguration, seed: UInt64, format: SyntheticDatasetFormat = .mat) {
        precondition(cameraA.name != cameraB.name, "the two cameras need different names (they are folder names), both are '\(cameraA.name)'")
        self.init(cameras: [cameraA, cameraB], anchorTopology: .chain, unpairedCount: unpairedCount, anchorCount: anchorCount,
                  testCount: testCount, scenes: scenes, seed: seed, format: format)
    }

    /// The first camera (``cameras``[0]).
    public var cameraA: CameraModel {
        get { cameras[0] }
        set { cameras[0] = newValue }
    }

    /// The second camera (``cameras``[1]).
    public var cameraB: CameraModel {
        get { cameras[1] }
        set { cameras[1] = newValue }
    }

    /// The pairs of camera indices that share anchor scenes, in anchor-numbering order (see ``AnchorTopology/edges(cameraCount:)``).
    public var anchorEdges: [(Int, Int)] { anchorTopology.edges(cameraCount: cameras.count) }

    /// Anchor scenes in all: ``anchorCount`` per edge.
    public var anchorSceneCount: Int { anchorCount * anchorEdges.count }

    /// The number of files the dataset holds: one per camera per unpaired index and per test
    /// scene, two per anchor scene.
    public var fileCount: Int { cameras.count * (unpairedCount + testCount) + 2 * anchorSceneCount }

    /// The two camera indices that see anchor scene `index` (global, `edge * anchorCount + i`).
    public func anchorCameras(index: Int) -> (Int, Int) {
        precondition(index >= 0 && index < anchorSceneCount, "anchor scene \(index) does not exist (there are \(anchorSceneCount))")
        return anchorEdges[index / anchorCount]
    }

    /// The indices of the cameras that see image `index` of `set`: `[camera]` for unpaired images,
    /// the edge's two for an anchor scene, all for a test scene.
    public func cameraIndices(seeing set: SyntheticDatasetSet, index: Int, camera: Int = 0) -> [Int] {
        switch set {
        case .unpaired:
            precondition(cameras.indices.contains(camera), "camera \(camera) does not exist (there are \(cameras.count))")
            return [camera]
        case .anchor:
            let (i, j) = anchorCameras(index: index)
            return [i, j]
        case .test: return Array(cameras.indices)
        }
    }
}

/// A record of a synthetic dataset, written as `dataset.json` at its root.
///
/// It describes the cameras, the counts, the size, the seed and every image's light, so results
/// can be broken down by illuminant; ``settings`` identifies the dataset, so a resumed run into the
/// same folder can check it is completing the same dataset.
public struct SyntheticDatasetManifest: Sendable, Equatable, Codable {
    /// What a camera of the dataset was.
    public struct Camera: Sendable, Equatable, Codable {
        /// The folder name.
        public var name: String
        /// Make and model written into the files.
        public var make: String, model: String
        /// The sensitivities it uses: a measured set (`nikon5100`, `sigma_sdmerrill`) or a sensor
        /// family and seed (e.g. `gaussian-ircut@3`, see ``SensorSpecification``).
        public var sensitivities: String
        /// Relative R, G, B gains.
        public var channelGains: [Double]
        /// The CFA phase, e.g. `RGGB`.
        public var pattern: String
        /// Black and white levels, in DN.
        public var blackLevel: Int, whiteLevel: Int
        /// Bit depth.
        public var bitDepth: Int
        /// Exposure rule.
        public var exposure: ExposureControl
        /// Noise model.
        public var noise: NoiseModel
        /// The fitted colour matrices (XYZ to camera) under A and D65.
        public var colorMatrices: [ColorMatrix]

        /// The description of `camera`.
        public init(_ camera: CameraModel) {
            name = camera.name
            make = camera.make
            model = camera.model
            sensitivities = camera.sensitivities.name
            channelGains = [camera.channelGains.x, camera.channelGains.y, camera.channelGains.z]
            pattern = camera.pattern.rawValue
            blackLevel = camera.blackLevel
            whiteLevel = camera.whiteLevel
            bitDepth = camera.bitDepth
            exposure = camera.exposure
            noise = camera.noise
            colorMatrices = camera.colorMatrices
        }
    }

    /// Everything that defines the dataset's content (not its progress).
    public struct Settings: Sendable, Equatable, Codable {
        /// The cameras, in order (A, B, C, ...).
        public var cameras: [Camera]
        /// Which pairs of cameras share anchor scenes; `nil` (and absent from the JSON) for two
        /// cameras, whose one edge every topology gives, so two-camera manifests are as before.
        public var anchorTopology: AnchorTopology?
        /// The seed.
        public var seed: UInt64
        /// The file format.
        public var format: SyntheticDatasetFormat
        /// Packed width and height (the mosaics are twice as large).
        public var packedWidth: Int, packedHeight: Int
        /// Unpaired images per camera, anchor scenes per edge of the topology, test scenes.
        public var unpairedCount: Int, anchorCount: Int, testCount: Int
        /// The scene distribution.
        public var scenes: SceneConfiguration
    }

    /// One image: one scene, one file per camera that saw it (one for unpaired images, two for
    /// anchors, every camera for test scenes).
    public struct Image: Sendable, Equatable, Codable {
        /// The set it belongs to.
        public var set: SyntheticDatasetSet
        /// The file name (the same in the folder of every camera that saw the scene).
        public var file: String
        /// The cameras that saw this scene (one for unpaired images, two for anchors, all for test scenes).
        public var cameras: [String]
        /// The light's short name (see ``SceneLighting/name``).
        public var illuminant: String
        /// The main illuminant's name.
        public var primaryIlluminant: String
        /// The second illuminant of a mixture, if any.
        public var secondaryIlluminant: String?
        /// The second illuminant's weight at the image centre (0 without one).
        public var secondaryWeight: Double
        /// Whether the mixture varies across the image.
        public var spatiallyVarying: Bool
        /// The seed of the scene (``SceneGenerator/scene(seed:)`` with the dataset's scene configuration).
        public var sceneSeed: UInt64
    }

    /// Names the tool that wrote the manifest.
    public var generator: String
    /// The manifest schema version (1).
    public var version: Int
    /// The dataset's defining settings.
    public var settings: Settings
    /// Every image, in generation order.
    public var images: [Image]
    /// Whether every file was written.
    public var complete: Bool
}

/// Progress of a dataset generation, reported after every file.
public struct SyntheticDatasetProgress: Sendable, Equatable {
    /// Files done so far (written or skipped), including this one.
    public var completed: Int
    /// Files in the dataset.
    public var total: Int
    /// The file's path relative to the dataset root.
    public var file: String
    /// `true` if the file already existed and was kept.
    public var skipped: Bool
}

/// Why a synthetic dataset could not be written.
public enum SyntheticDatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An image file could not be written.
    case write(RawIOError)
    /// A folder could not be created, or a finished file could not be moved into place.
    case fileSystem(path: String, reason: String)
    /// The folder holds a `dataset.json` of a different dataset (other seed, size, cameras, ...).
    case conflictingDataset(path: String, reason: String)
    /// The existing `dataset.json` cannot be read.
    case unreadableManifest(path: String, reason: String)
    /// The task was cancelled; `completed` of `total` images were done (written, kept, or rendered
    /// in memory). Every file written is whole, and a rerun into the same folder resumes.
    case cancelled(completed: Int, total: Int)

    /// A one-line message naming the file and what was wrong.
    public var description: String {
        switch self {
        case .write(let e): return e.description
        case .fileSystem(let p, let r): return "\(p): \(r)"
        case .conflictingDataset(let p, let r):
            return "\(p): the folder holds another synthetic dataset (\(r)); choose an empty folder or the same settings"
        case .unreadableManifest(let p, let r): return "\(p): cannot read the dataset manifest (\(r))"
        case .cancelled(let c, let t):
            return "synthesis cancelled after \(c) of \(t) images; every file written is complete, and rerunning resumes"
        }
    }
}

/// Writes a synthetic dataset of two or more cameras in the paper's layout, deterministically by seed.
///
/// ```
/// <root>/unpaired/<A>/raw-rggb/unpaired_0000_A.mat  every camera its own scenes
/// <root>/unpaired/<B>/raw-rggb/unpaired_0000_B.mat
/// <root>/paired/<A>/anchor-raw-rggb/anchor_0000.mat  an anchor scene seen by the two cameras
/// <root>/paired/<B>/anchor-raw-rggb/anchor_0000.mat  of its edge (pixel-aligned, same file name)
/// <root>/paired/<A>/raw-rggb/test_0000.mat           a test scene, seen by every camera
/// <root>/paired/<B>/raw-rggb/test_0000.mat
/// <root>/dataset.json                                 ``SyntheticDatasetManifest``
/// ```
///
/// With more cameras (C, D, ...) every camera has the same three folders. A file name under
/// several cameras is the same scene seen by each of them: anchor scene `k` (`anchor_<k>`) belongs
/// to edge `k / anchorCount` of the ``AnchorTopology`` and is written for that edge's two cameras
/// only; test scenes are written for every camera; unpaired files carry the camera's letter.
///
/// Every image's scene, exposure and noise derive from the seed, the image's set and index and the
/// camera's index only (two cameras give the same bytes as before N cameras), so a run can be resumed: files that exist are kept (each file is written under a
/// temporary name and renamed, so a file that exists is complete), and the rest come out exactly
/// as in an uninterrupted run.
public struct SyntheticDatasetGenerator: Sendable {
    /// What to generate.
    public let configuration: SyntheticDatasetConfiguration
    /// The scene generator built from the configuration.
    public let scenes: SceneGenerator

    /// Creates a generator; `data` provides the reflectances and illuminants of the scenes.
    public init(configuration: SyntheticDatasetConfiguration, data: SpectralData) {
        self.configuration = configuration
        self.scenes = SceneGenerator(data: data, configuration: configuration.scenes)
    }

    /// One scene to produce: a file for each camera that sees it.
    struct Job {
        let set: SyntheticDatasetSet
        /// The image index (for anchors the global one, `edge * anchorCount + i`).
        let index: Int
        /// Indices into the configuration's cameras, in order.
        let cameras: [Int]
        let sceneSeed: UInt64
        /// The file name; for unpaired images the job has one camera, whose letter it carries.
        func fileName(_ c: SyntheticDatasetConfiguration) -> String {
            "\(self.set.fileStem(index: index, camera: cameras[0])).\(c.format.fileExtension)"
        }
    }

    /// The seed of the scene of image `index` of `set` (for unpaired images, `camera` selects the
    /// camera whose scene it is; anchor `index` is the global one, `edge * anchorCount + i`).
    public func sceneSeed(set: SyntheticDatasetSet, index: Int, camera: Int = 0) -> UInt64 {
        let s = configuration.seed
        switch set {
        case .unpaired: return SplitMix64.derive(s, 1, UInt64(camera), UInt64(index))
        case .anchor: return SplitMix64.derive(s, 2, UInt64(index))
        case .test: return SplitMix64.derive(s, 3, UInt64(index))
        }
    }

    /// The seed of the exposure and noise of `camera`'s capture of image `index` of `set`.
    public func captureSeed(set: SyntheticDatasetSet, index: Int, camera: Int) -> UInt64 {
        SplitMix64.derive(configuration.seed, 10 + UInt64(SyntheticDatasetSet.allCases.firstIndex(of: set)!),
                          UInt64(camera), UInt64(index))
    }

    /// The scenes in generation order: unpaired (index by index, every camera in turn), then the
    /// anchors edge by edge, then the test scenes.
    func jobs() -> [Job] {
        let c = configuration
        var jobs: [Job] = []
        for i in 0..<c.unpairedCount {
            for camera in c.cameras.indices {
                jobs.append(Job(set: .unpaired, index: i, cameras: [camera], sceneSeed: sceneSeed(set: .unpaired, index: i, camera: camera)))
            }
        }
        for k in 0..<c.anchorSceneCount {
            jobs.append(Job(set: .anchor, index: k, cameras: c.cameraIndices(seeing: .anchor, index: k), sceneSeed: sceneSeed(set: .anchor, index: k)))
        }
        for i in 0..<c.testCount {
            jobs.append(Job(set: .test, index: i, cameras: Array(c.cameras.indices), sceneSeed: sceneSeed(set: .test, index: i)))
        }
        return jobs
    }

    /// The scene of image `index` of `set` (for unpaired images, `camera` selects whose scene).
    public func scene(set: SyntheticDatasetSet, index: Int, camera: Int = 0) -> Scene {
        scenes.scene(seed: sceneSeed(set: set, index: index, camera: camera))
    }

    /// Renders camera `camera`'s (0 = A, 1 = B, ...) capture of image `index` of `set`, exactly as the dataset holds it.
    ///
    /// For an anchor scene the camera must be one of its edge's two; every camera sees the test scenes.
    public func capture(set: SyntheticDatasetSet, index: Int, camera: Int) -> CameraCapture {
        let c = configuration
        precondition(c.cameras.indices.contains(camera), "camera must be an index in 0..<\(c.cameras.count), got \(camera)")
        if set == .anchor, index >= 0, index < c.anchorSceneCount {
            let (i, j) = c.anchorCameras(index: index)
            precondition(camera == i || camera == j, "anchor scene \(index) is seen by cameras \(i) and \(j), not by \(camera)")
        }
        let s = self.scene(set: set, index: index, camera: set == .unpaired ? camera : 0)
        return c.cameras[camera].render(s, seed: captureSeed(set: set, index: index, camera: camera))
    }

    /// The manifest of the dataset (``SyntheticDatasetManifest``) with `complete` set as given.
    public func manifest(complete: Bool) -> SyntheticDatasetManifest {
        var images: [SyntheticDatasetManifest.Image] = []
        for job in jobs() {
            let l = scenes.scene(seed: job.sceneSeed).lighting
            images.append(SyntheticDatasetManifest.Image(
                set: job.set, file: job.fileName(configuration), cameras: job.cameras.map { configuration.cameras[$0].name },
                illuminant: l.name, primaryIlluminant: l.primary.name, secondaryIlluminant: l.secondary?.name,
                secondaryWeight: l.secondary == nil ? 0 : l.secondaryWeight, spatiallyVarying: l.isSpatiallyVarying,
                sceneSeed: job.sceneSeed))
        }
        return SyntheticDatasetManifest(generator: "raw2raw RawSynthesis", version: 1, settings: settings, images: images,
                                        complete: complete)
    }

    /// The settings that define this dataset.
    public var settings: SyntheticDatasetManifest.Settings {
        let c = configuration
        return .init(cameras: c.cameras.map { .init($0) }, anchorTopology: c.cameras.count > 2 ? c.anchorTopology : nil,
                     seed: c.seed, format: c.format,
                     packedWidth: c.scenes.width, packedHeight: c.scenes.height, unpairedCount: c.unpairedCount,
                     anchorCount: c.anchorCount, testCount: c.testCount, scenes: c.scenes)
    }

    /// Writes (or completes) the dataset under `root`, calling `progress` after every file.
    ///
    /// Existing files are kept; missing ones are rendered and written atomically; stale temporary
    /// files of an interrupted run are removed. `dataset.json` is written first (incomplete) and
    /// again at the end (complete).
    ///
    /// Honours task cancellation: before rendering each image it checks `Task.isCancelled` and,
    /// if set, throws ``SyntheticDatasetError/cancelled(completed:total:)``. The files written so
    /// far are whole (no partial file is left), `dataset.json` still says incomplete, and a rerun
    /// into the same folder resumes.
    /// - Throws: ``SyntheticDatasetError``: `root` holds a different dataset, a folder or file
    ///   cannot be written, or the task was cancelled.
    @discardableResult
    public func generate(into root: URL, progress: (SyntheticDatasetProgress) -> Void = { _ in })
        throws(SyntheticDatasetError) -> SyntheticDatasetManifest
    {
        let fm = FileManager.default
        let manifestURL = root.appendingPathComponent("dataset.json")
        try checkExistingManifest(at: manifestURL)
        let c = configuration
        for set in SyntheticDatasetSet.allCases {
            for cam in c.cameras {
                let dir = root.appendingPathComponent(set.folder(camera: cam.name))
                do {
                    try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                } catch {
                    throw .fileSystem(path: dir.path, reason: "cannot create the folder (\(error.localizedDescription))")
                }
                removeStaleTemporaries(in: dir)
            }
        }
        try writeManifest(manifest(complete: false), to: manifestURL)
        let total = c.fileCount
        var done = 0
        for job in jobs() {
            let file = job.fileName(c)
            var pending: [(camera: Int, url: URL, relative: String)] = []
            for cameraIndex in job.cameras {
                let relative = job.set.folder(camera: c.cameras[cameraIndex].name) + "/" + file
                let url = root.appendingPathComponent(relative)
                if fm.fileExists(atPath: url.path) {
                    done += 1
                    progress(SyntheticDatasetProgress(completed: done, total: total, file: relative, skipped: true))
                } else {
                    pending.append((cameraIndex, url, relative))
                }
            }
            if pending.isEmpty { continue }
            let scene = scenes.scene(seed: job.sceneSeed)
            for p in pending {
                if Task.isCancelled { throw .cancelled(completed: done, total: total) }
                let capture = c.cameras[p.camera].render(scene, seed: captureSeed(set: job.set, index: job.index, camera: p.camera))
                try writeAtomically(capture, to: p.url)
                done += 1
                progress(SyntheticDatasetProgress(completed: done, total: total, file: p.relative, skipped: false))
            }
        }
        let final = manifest(complete: true)
        try writeManifest(final, to: manifestURL)
        return final
    }

    /// The marker of temporary files an interrupted run of an earlier version may have left.
    private static let legacyTemporaryMarker = ".partial-"

    /// Writes one capture through RawIO's writers, which write to a temporary name and rename
    /// it into place (a kill leaves no partial file under the final name).
    private func writeAtomically(_ capture: CameraCapture, to url: URL) throws(SyntheticDatasetError) {
        do throws(RawIOError) {
            try configuration.format.write(capture, to: url)
        } catch {
            throw .write(error)
        }
    }

    /// Removes the temporary files of writes that were killed (`.NAME.UUID.tmp`, and the
    /// `.NAME.partial-PID.EXT` files of earlier versions).
    private func removeStaleTemporaries(in dir: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for n in names where AtomicFile.destinationName(ofTemporary: n) != nil || (n.hasPrefix(".") && n.contains(Self.legacyTemporaryMarker)) {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(n))
        }
    }

    private func checkExistingManifest(at url: URL) throws(SyntheticDatasetError) {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let existing: SyntheticDatasetManifest
        do {
            existing = try JSONDecoder().decode(SyntheticDatasetManifest.self, from: Data(contentsOf: url))
        } catch {
            throw .unreadableManifest(path: url.path, reason: "\(error)")
        }
        let mine = settings
        guard existing.settings != mine else { return }
        let o = existing.settings
        var diffs: [String] = []
        if o.seed != mine.seed { diffs.append("seed \(o.seed), not \(mine.seed)") }
        if o.format != mine.format { diffs.append("format \(o.format.rawValue), not \(mine.format.rawValue)") }
        if o.packedWidth != mine.packedWidth || o.packedHeight != mine.packedHeight {
            diffs.append("packed size \(o.packedWidth)x\(o.packedHeight), not \(mine.packedWidth)x\(mine.packedHeight)")
        }
        if o.unpairedCount != mine.unpairedCount || o.anchorCount != mine.anchorCount || o.testCount != mine.testCount {
            diffs.append("counts \(o.unpairedCount)/\(o.anchorCount)/\(o.testCount), not \(mine.unpairedCount)/\(mine.anchorCount)/\(mine.testCount)")
        }
        if o.cameras != mine.cameras { diffs.append("cameras \(o.cameras.map(\.name)) with other settings") }
        if o.anchorTopology != mine.anchorTopology {
            diffs.append("anchor topology \(o.anchorTopology?.rawValue ?? "(two cameras)"), not \(mine.anchorTopology?.rawValue ?? "(two cameras)")")
        }
        if o.scenes != mine.scenes { diffs.append("another scene configuration") }
        throw .conflictingDataset(path: url.path, reason: diffs.joined(separator: "; "))
    }

    private func writeManifest(_ manifest: SyntheticDatasetManifest, to url: URL) throws(SyntheticDatasetError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(manifest)
        } catch {
            throw .fileSystem(path: url.path, reason: "cannot encode the manifest (\(error.localizedDescription))")
        }
        try AtomicFile.write(data, to: url) { SyntheticDatasetError.fileSystem(path: $0.path, reason: "cannot write the manifest (\($0.reason))") }
    }
}
