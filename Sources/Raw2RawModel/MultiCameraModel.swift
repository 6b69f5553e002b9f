import Foundation
import RawIO
import RawSupport

/// How one camera pair of a ``MultiCameraModel`` was trained.
public struct CameraPairRecord: Codable, Sendable, Equatable {
    /// Where a pair's anchor scenes came from.
    public enum Source: String, Codable, Sendable {
        /// The two cameras share anchor scenes: the pair is a two-camera model trained on its own data.
        case anchors
        /// The two cameras share no anchor scene: every anchor scene of the dataset, each image a
        /// camera did not see carried to it through the cameras that connect them.
        case carried
    }

    /// The pair's first camera (earlier in the model's camera list).
    public var cameraA: String
    /// The pair's second camera.
    public var cameraB: String
    /// The pair's model folder, relative to the multi-camera model's folder (`pairs/0-2`).
    public var folder: String
    /// Where its anchor scenes came from.
    public var source: Source
    /// The anchor scenes it was trained on.
    public var anchorScenes: Int
    /// How many of those images were carried from another camera (0 for ``Source/anchors``).
    public var carriedImages: Int

    /// Creates a record.
    public init(cameraA: String, cameraB: String, folder: String, source: Source, anchorScenes: Int, carriedImages: Int) {
        self.cameraA = cameraA
        self.cameraB = cameraB
        self.folder = folder
        self.source = source
        self.anchorScenes = anchorScenes
        self.carriedImages = carriedImages
    }
}

/// What `cameras.json` of a multi-camera model folder holds.
public struct MultiCameraDescription: Codable, Sendable, Equatable {
    /// Always ``formatTag``.
    public var format: String
    /// The format version (1).
    public var version: Int
    /// The cameras, in the order given to training.
    public var cameras: [String]
    /// The anchor graph the model was trained on.
    public var graph: CameraGraph
    /// Every pair of cameras, in camera order.
    public var pairs: [CameraPairRecord]
    /// The training configuration every pair was trained with.
    public var training: TrainingConfiguration

    /// The format tag: `raw2raw.MultiCameraModel`.
    public static let formatTag = "raw2raw.MultiCameraModel"

    /// Creates a description.
    public init(cameras: [String], graph: CameraGraph, pairs: [CameraPairRecord], training: TrainingConfiguration) {
        self.format = Self.formatTag
        self.version = 1
        self.cameras = cameras
        self.graph = graph
        self.pairs = pairs
        self.training = training
    }

    /// The record of the pair of `a` and `b` (either order), or `nil`.
    public func pair(_ a: String, _ b: String) -> CameraPairRecord? {
        pairs.first { ($0.cameraA == a && $0.cameraB == b) || ($0.cameraA == b && $0.cameraB == a) }
    }
}

/// One model for K >= 2 cameras that maps any camera's raw images into any other's.
///
/// The cameras share one scene space: every anchor scene, seen by two or more cameras, is carried
/// into every other camera's raw space through the cameras that connect them (the anchor graph,
/// RawIO's `CameraGraph`). A pair of cameras that shares anchor scenes is a two-camera
/// ``Raw2RawNetwork`` trained on its own data, exactly as `raw2raw train --camera-a --camera-b`
/// trains it; a pair that shares none is a two-camera network trained on every anchor scene, the
/// images its cameras did not see carried to them, and on both cameras' unpaired images, so
/// its least-squares part, target-exposure model and learned correction are fitted for that pair
/// directly instead of chaining two mappings. ``MultiCameraTrainer`` trains it.
///
/// The folder holds `cameras.json` (``MultiCameraDescription``), `checksums.sha256` and one
/// two-camera model folder per pair under `pairs/`. Loading verifies every file.
///
/// Like ``Raw2RawNetwork`` it is not `Sendable`: give each thread its own copy.
public final class MultiCameraModel {
    /// The model folder.
    public let folder: URL
    /// What `cameras.json` holds.
    public let modelDescription: MultiCameraDescription
    /// The pair networks, keyed by the pair's folder.
    private let networks: [String: Raw2RawNetwork]

    /// The description file's name: `cameras.json`.
    public static let descriptionFileName = "cameras.json"

    /// The cameras, in training order.
    public var cameras: [String] { modelDescription.cameras }

    /// Whether `folder` holds a multi-camera model (a `cameras.json`), not a two-camera one.
    public static func isMultiCameraModel(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(descriptionFileName).path)
    }

    /// Loads a multi-camera model folder, verifying `cameras.json` and every pair's files against
    /// their checksums.
    /// - Throws: ``ModelError`` naming the damaged, missing or malformed file.
    public init(contentsOf folder: URL) throws(ModelError) {
        let url = folder.appendingPathComponent(Self.descriptionFileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .modelFile(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                             ? "cannot read the file" : "no such file (is \(folder.path) a multi-camera model folder?)")
        }
        guard let checksums = try ChecksumList.read(in: folder) else {
            throw .checksumList(path: folder.appendingPathComponent(ChecksumList.fileName).path, reason: "missing")
        }
        try checksums.verify(data, name: Self.descriptionFileName, in: folder)
        let description: MultiCameraDescription
        do { description = try JSONDecoder().decode(MultiCameraDescription.self, from: data) } catch {
            throw .modelFile(path: url.path, reason: "not a multi-camera model description (\(error))")
        }
        guard description.format == MultiCameraDescription.formatTag, description.version == 1 else {
            throw .modelFile(path: url.path, reason: "format \(description.format) version \(description.version), expected \(MultiCameraDescription.formatTag) version 1")
        }
        let cameras = description.cameras
        guard cameras.count >= 2, Set(cameras).count == cameras.count,
              description.pairs.count == cameras.count * (cameras.count - 1) / 2 else {
            throw .modelFile(path: url.path, reason: "\(cameras.count) cameras need \(cameras.count * max(cameras.count - 1, 0) / 2) pairs, found \(description.pairs.count)")
        }
        var networks: [String: Raw2RawNetwork] = [:]
        for (i, a) in cameras.enumerated() {
            for b in cameras[(i + 1)...] {
                guard let record = description.pair(a, b), !record.folder.contains(".."), !record.folder.hasPrefix("/") else {
                    throw .modelFile(path: url.path, reason: "no usable pair record for \(a) and \(b)")
                }
                let network = try Raw2RawNetwork(contentsOf: folder.appendingPathComponent(record.folder, isDirectory: true))
                guard Set([network.cameraA, network.cameraB]) == Set([a, b]) else {
                    throw .modelFile(path: folder.appendingPathComponent(record.folder).path,
                                     reason: "holds cameras \(network.cameraA) and \(network.cameraB), expected \(a) and \(b)")
                }
                networks[record.folder] = network
            }
        }
        self.folder = folder
        self.modelDescription = description
        self.networks = networks
    }

    /// The two-camera network that maps `source` to `target`, and its direction.
    /// - Throws: ``ModelError/unknownCamera(name:available:)`` when either is not one of the
    ///   model's cameras or both are the same camera.
    public func network(from source: String, to target: String) throws(ModelError) -> (network: Raw2RawNetwork, direction: MappingDirection) {
        for name in [source, target] where !cameras.contains(name) {
            throw .unknownCamera(name: name, available: cameras)
        }
        guard source != target, let record = modelDescription.pair(source, target), let network = networks[record.folder] else {
            throw .unknownCamera(name: target, available: cameras.filter { $0 != source })
        }
        return (network, MappingDirection(to: try network.side(of: target)))
    }

    /// Maps a packed image of camera `source` into camera `target`'s raw space.
    /// - Throws: ``ModelError/unknownCamera(name:available:)`` as ``network(from:to:)``.
    public func map(_ image: PackedImage, from source: String, to target: String,
                    tiling: TilingOptions = .default) throws(ModelError) -> PackedImage {
        let (network, direction) = try network(from: source, to: target)
        return network.map(image, direction: direction, tiling: tiling)
    }

    /// Writes `cameras.json` and then `checksums.sha256` (both atomically) into `folder`.
    static func writeDescription(_ description: MultiCameraDescription, to folder: URL) throws(ModelError) {
        let data = Raw2RawNetwork.encodeJSON(description)
        try AtomicFile.write(data, to: folder.appendingPathComponent(descriptionFileName), error: ModelError.init)
        let checksums = ChecksumList(files: [(descriptionFileName, data)])
        try AtomicFile.write(checksums.encoded(), to: folder.appendingPathComponent(ChecksumList.fileName), error: ModelError.init)
    }
}
