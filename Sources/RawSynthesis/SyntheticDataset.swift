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
    /// `unpaired/<camera>/raw-rggb/`: different scenes for the two cameras.
    case unpaired
    /// `paired/<camera>/anchor-raw-rggb/`: the anchor pairs (same scene, pixel-aligned).
    case anchor
    /// `paired/<camera>/raw-rggb/`: the test pairs (same scene, pixel-aligned).
    case test

    /// The folder of `camera`'s images of this set, relative to the dataset root.
    public func folder(camera: String) -> String {
        switch self {
        case .unpaired: return "unpaired/\(camera)/raw-rggb"
        case .anchor: return "paired/\(camera)/anchor-raw-rggb"
        case .test: return "paired/\(camera)/raw-rggb"
        }
    }

    /// The file name stem of image `index` of this set.
    ///
    /// Pairs share it across the two cameras (`anchor_0003`, `test_0012`); unpaired images, which
    /// show different scenes, carry the camera's letter like the paper's files
    /// (`unpaired_0005_A`, `unpaired_0005_B`), so that no one mistakes them for pairs.
    public func fileStem(index: Int, camera: Int) -> String {
        precondition(camera == 0 || camera == 1, "camera must be 0 (A) or 1 (B), got \(camera)")
        let digits = String(index)
        let number = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return self == .unpaired ? "unpaired_\(number)_\(camera == 0 ? "A" : "B")" : "\(rawValue)_\(number)"
    }
}

/// What to synthesise: two cameras, how many images of each set, their size, the seed and the format.
public struct SyntheticDatasetConfiguration: Sendable {
    /// The first camera (its ``CameraModel/name`` is its folder name).
    public var cameraA: CameraModel
    /// The second camera (its name must differ from the first's).
    public var cameraB: CameraModel
    /// Unpaired images per camera (different scenes for the two cameras).
    public var unpairedCount: Int
    /// Anchor pairs.
    public var anchorCount: Int
    /// Test pairs.
    public var testCount: Int
    /// The scene distribution, including the packed image size.
    public var scenes: SceneConfiguration
    /// The seed every scene, exposure and noise sample derives from.
    public var seed: UInt64
    /// The file format.
    public var format: SyntheticDatasetFormat

    /// Creates a configuration.
    public init(cameraA: CameraModel, cameraB: CameraModel, unpairedCount: Int, anchorCount: Int, testCount: Int,
                scenes: SceneConfiguration, seed: UInt64, format: SyntheticDatasetFormat = .mat) {
        precondition(cameraA.name != cameraB.name, "the two cameras need different names (they are folder names), both are '\(cameraA.name)'")
        for n in [cameraA.name, cameraB.name] {
            precondition(!n.isEmpty && !n.contains("/") && n != "." && n != "..", "camera name '\(n)' cannot be a folder name")
        }
        precondition(unpairedCount >= 0 && anchorCount >= 0 && testCount >= 0, "image counts must be non-negative")
        self.cameraA = cameraA
        self.cameraB = cameraB
        self.unpairedCount = unpairedCount
        self.anchorCount = anchorCount
        self.testCount = testCount
        self.scenes = scenes
        self.seed = seed
        self.format = format
    }

    /// The number of files the dataset holds (two per unpaired index and two per pair).
    public var fileCount: Int { 2 * (unpairedCount + anchorCount + testCount) }
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
        /// The two cameras, A then B.
        public var cameras: [Camera]
        /// The seed.
        public var seed: UInt64
        /// The file format.
        public var format: SyntheticDatasetFormat
        /// Packed width and height (the mosaics are twice as large).
        public var packedWidth: Int, packedHeight: Int
        /// Unpaired images per camera, anchor pairs, test pairs.
        public var unpairedCount: Int, anchorCount: Int, testCount: Int
        /// The scene distribution.
        public var scenes: SceneConfiguration
    }

    /// One image (one file per camera for pairs; one file of one camera for unpaired images).
    public struct Image: Sendable, Equatable, Codable {
        /// The set it belongs to.
        public var set: SyntheticDatasetSet
        /// The file name (pairs: the same in both cameras' folders).
        public var file: String
        /// The cameras that saw this scene (one for unpaired images, two for pairs).
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

/// Writes a synthetic two-camera dataset in the paper's layout, deterministically by seed.
///
/// ```
/// <root>/unpaired/<A>/raw-rggb/unpaired_0000_A.mat  different scenes for the two cameras
/// <root>/unpaired/<B>/raw-rggb/unpaired_0000_B.mat
/// <root>/paired/<A>/anchor-raw-rggb/anchor_0000.mat  the same scene seen by both cameras
/// <root>/paired/<B>/anchor-raw-rggb/anchor_0000.mat  (pixel-aligned, same file name)
/// <root>/paired/<A>/raw-rggb/test_0000.mat           test pairs, likewise
/// <root>/paired/<B>/raw-rggb/test_0000.mat
/// <root>/dataset.json                                 ``SyntheticDatasetManifest``
/// ```
///
/// Every image's scene, exposure and noise derive from the seed and the image's set and index
/// only, so a run can be resumed: files that exist are kept (each file is written under a
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

    /// One file to produce.
    struct Job {
        let set: SyntheticDatasetSet
        let index: Int
        let cameras: [CameraModel]
        let sceneSeed: UInt64
        /// The file name; for unpaired images the job has one camera, whose letter it carries.
        func fileName(_ c: SyntheticDatasetConfiguration) -> String {
            let camera = cameras[0].name == c.cameraA.name ? 0 : 1
            return "\(self.set.fileStem(index: index, camera: camera)).\(c.format.fileExtension)"
        }
    }

    /// The seed of the scene of image `index` of `set` (`camera` 0 or 1 selects the unpaired scene of A or B).
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

    func jobs() -> [Job] {
        let c = configuration
        var jobs: [Job] = []
        for i in 0..<c.unpairedCount {
            jobs.append(Job(set: .unpaired, index: i, cameras: [c.cameraA], sceneSeed: sceneSeed(set: .unpaired, index: i, camera: 0)))
            jobs.append(Job(set: .unpaired, index: i, cameras: [c.cameraB], sceneSeed: sceneSeed(set: .unpaired, index: i, camera: 1)))
        }
        for i in 0..<c.anchorCount {
            jobs.append(Job(set: .anchor, index: i, cameras: [c.cameraA, c.cameraB], sceneSeed: sceneSeed(set: .anchor, index: i)))
        }
        for i in 0..<c.testCount {
            jobs.append(Job(set: .test, index: i, cameras: [c.cameraA, c.cameraB], sceneSeed: sceneSeed(set: .test, index: i)))
        }
        return jobs
    }

    /// The scene of image `index` of `set` (for unpaired images, `camera` 0 or 1 selects A's or B's scene).
    public func scene(set: SyntheticDatasetSet, index: Int, camera: Int = 0) -> Scene {
        scenes.scene(seed: sceneSeed(set: set, index: index, camera: camera))
    }

    /// Renders `camera`'s capture (0 = A, 1 = B) of image `index` of `set`, exactly as the dataset holds it.
    public func capture(set: SyntheticDatasetSet, index: Int, camera: Int) -> CameraCapture {
        precondition(camera == 0 || camera == 1, "camera must be 0 (A) or 1 (B), got \(camera)")
        let model = camera == 0 ? configuration.cameraA : configuration.cameraB
        let s = self.scene(set: set, index: index, camera: set == .unpaired ? camera : 0)
        return model.render(s, seed: captureSeed(set: set, index: index, camera: camera))
    }

    /// The manifest of the dataset (``SyntheticDatasetManifest``) with `complete` set as given.
    public func manifest(complete: Bool) -> SyntheticDatasetManifest {
        var images: [SyntheticDatasetManifest.Image] = []
        for job in jobs() {
            let l = scenes.scene(seed: job.sceneSeed).lighting
            images.append(SyntheticDatasetManifest.Image(
                set: job.set, file: job.fileName(configuration), cameras: job.cameras.map(\.name),
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
        return .init(cameras: [.init(c.cameraA), .init(c.cameraB)], seed: c.seed, format: c.format,
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
            for cam in [c.cameraA, c.cameraB] {
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
            for model in job.cameras {
                let cameraIndex = model.name == c.cameraA.name ? 0 : 1
                let relative = job.set.folder(camera: model.name) + "/" + file
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
                let model = p.camera == 0 ? c.cameraA : c.cameraB
                let capture = model.render(scene, seed: captureSeed(set: job.set, index: job.index, camera: p.camera))
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
