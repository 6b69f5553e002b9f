import Foundation
import RawIO

/// A synthetic two-camera dataset rendered into memory: the sets the files of
/// ``SyntheticDatasetGenerator/generate(into:progress:)`` would hold, as in-memory image sets.
///
/// Images carry the file stems of the written dataset as names (`unpaired_0003_A`,
/// `anchor_0001`, `test_0012`), and their pixels equal what reading the written files gives.
/// For more than two cameras see ``SyntheticCameraImages``.
public struct SyntheticImages: Sendable {
    /// Camera A's name (its folder name in a written dataset).
    public var cameraA: String
    /// Camera B's name.
    public var cameraB: String
    /// Camera A's unpaired images.
    public var unpairedA: PackedImageSet
    /// Camera B's unpaired images (other scenes than A's).
    public var unpairedB: PackedImageSet
    /// The anchor pairs (A first).
    public var anchors: PackedImagePairSet
    /// The test pairs (A first).
    public var test: PackedImagePairSet
}

/// A synthetic dataset of any number of cameras rendered into memory: per camera, the images
/// its three folders of a written dataset would hold.
///
/// Images carry the file stems of the written dataset as names, and their pixels equal what
/// reading the written files gives. As on disk, a name under several cameras is the same scene
/// seen by each of them: camera `c`'s ``anchors`` are the anchor scenes of the edges it lies on
/// (`anchor_<k>`, ascending `k`), its ``test`` images are every test scene (`test_<i>`), and its
/// ``unpaired`` images are its own scenes (`unpaired_<i>_<letter>`).
public struct SyntheticCameraImages: Sendable {
    /// The camera names (folder names), in the configuration's order.
    public var cameras: [String]
    /// The pairs of camera indices that share anchor scenes, in anchor-numbering order.
    public var anchorEdges: [(Int, Int)]
    /// Each camera's unpaired images, by camera name.
    public var unpaired: [String: PackedImageSet]
    /// Each camera's anchor images (the scenes of its edges), by camera name.
    public var anchors: [String: PackedImageSet]
    /// Each camera's test images (every test scene), by camera name.
    public var test: [String: PackedImageSet]

    /// The anchor scenes cameras `cameraA` and `cameraB` both saw, as pairs (`cameraA` first, in
    /// anchor order); empty if the two do not share an edge.
    ///
    /// - Throws: `DatasetError` (RawIO) only if a set was replaced by one of files that cannot be read.
    public func anchorPairs(cameraA: String, cameraB: String) throws(DatasetError) -> PackedImagePairSet {
        try pairs(anchors, cameraA, cameraB)
    }

    /// The test scenes as pairs of `cameraA` and `cameraB` (`cameraA` first).
    ///
    /// - Throws: `DatasetError` (RawIO) only if a set was replaced by one of files that cannot be read.
    public func testPairs(cameraA: String, cameraB: String) throws(DatasetError) -> PackedImagePairSet {
        try pairs(test, cameraA, cameraB)
    }

    /// The images two cameras share by name, paired in the first camera's order.
    private func pairs(_ sets: [String: PackedImageSet], _ a: String, _ b: String) throws(DatasetError) -> PackedImagePairSet {
        precondition(a != b, "a pair needs two different cameras, both are '\(a)'")
        guard let setA = sets[a], let setB = sets[b] else {
            preconditionFailure("unknown camera '\(sets[a] == nil ? a : b)' (cameras: \(cameras.joined(separator: ", ")))")
        }
        var indexB: [String: Int] = [:]
        for (i, n) in setB.names.enumerated() { indexB[n] = i }
        var imagesA: [PackedImage] = [], imagesB: [PackedImage] = [], names: [String] = []
        for (i, n) in setA.names.enumerated() {
            guard let j = indexB[n] else { continue }
            imagesA.append(try setA.image(at: i))
            imagesB.append(try setB.image(at: j))
            names.append(n)
        }
        return PackedImagePairSet(imagesA: imagesA, imagesB: imagesB, names: names)
    }
}

extension SyntheticDatasetGenerator {
    /// Renders the whole dataset of a two-camera configuration into memory, writing no file: the
    /// same scenes, exposures and noise as ``generate(into:progress:)``, so image for image the
    /// pixels equal the packed images read back from a dataset written with the same
    /// configuration (either format).
    ///
    /// The configuration must have exactly two cameras (a `precondition`); for more, use
    /// ``renderCameras(progress:)``. `progress` is called after every image, with the relative
    /// path the file would have. Honours task cancellation: before each image it checks
    /// `Task.isCancelled` and, if set, throws ``SyntheticDatasetError/cancelled(completed:total:)``.
    /// - Throws: ``SyntheticDatasetError/cancelled(completed:total:)`` only.
    public func render(progress: (SyntheticDatasetProgress) -> Void = { _ in }) throws(SyntheticDatasetError) -> SyntheticImages {
        let c = configuration
        precondition(c.cameras.count == 2,
                     "render() returns two cameras' images, the configuration has \(c.cameras.count); use renderCameras()")
        let (images, names) = try renderImages(progress: progress)
        let u = 0, a = 1, t = 2  // SyntheticDatasetSet.allCases order; both cameras see every anchor and test scene.
        return SyntheticImages(
            cameraA: c.cameras[0].name, cameraB: c.cameras[1].name,
            unpairedA: PackedImageSet(images: images[0][u], names: names[0][u]),
            unpairedB: PackedImageSet(images: images[1][u], names: names[1][u]),
            anchors: PackedImagePairSet(imagesA: images[0][a], imagesB: images[1][a], names: names[0][a]),
            test: PackedImagePairSet(imagesA: images[0][t], imagesB: images[1][t], names: names[0][t]))
    }

    /// Renders the whole dataset, of any number of cameras, into memory, writing no file: the same
    /// scenes, exposures and noise as ``generate(into:progress:)``, so image for image the pixels
    /// equal the packed images read back from a dataset written with the same configuration
    /// (either format), and the names are the files' stems.
    ///
    /// `progress` is called after every image, in the order ``generate(into:progress:)`` writes
    /// them, with the relative path the file would have. Honours task cancellation: before each
    /// image it checks `Task.isCancelled` and, if set, throws
    /// ``SyntheticDatasetError/cancelled(completed:total:)``.
    /// - Throws: ``SyntheticDatasetError/cancelled(completed:total:)`` only.
    public func renderCameras(progress: (SyntheticDatasetProgress) -> Void = { _ in }) throws(SyntheticDatasetError) -> SyntheticCameraImages {
        let c = configuration
        let (images, names) = try renderImages(progress: progress)
        func sets(_ set: SyntheticDatasetSet) -> [String: PackedImageSet] {
            let s = SyntheticDatasetSet.allCases.firstIndex(of: set)!
            var out: [String: PackedImageSet] = [:]
            for (i, model) in c.cameras.enumerated() {
                out[model.name] = PackedImageSet(images: images[i][s], names: names[i][s])
            }
            return out
        }
        return SyntheticCameraImages(cameras: c.cameras.map(\.name), anchorEdges: c.anchorEdges, unpaired: sets(.unpaired),
                                     anchors: sets(.anchor), test: sets(.test))
    }

    /// Every capture's packed image and file stem, indexed `[camera][set][i]` (sets in
    /// ``SyntheticDatasetSet/allCases`` order), in generation order within each list.
    private func renderImages(progress: (SyntheticDatasetProgress) -> Void) throws(SyntheticDatasetError)
        -> (images: [[[PackedImage]]], names: [[[String]]])
    {
        let c = configuration
        let total = c.fileCount
        var done = 0
        let n = c.cameras.count
        var images = [[[PackedImage]]](repeating: [[], [], []], count: n)
        var names = [[[String]]](repeating: [[], [], []], count: n)
        for job in jobs() {
            let scene = scenes.scene(seed: job.sceneSeed)
            let file = job.fileName(c)
            let stem = (file as NSString).deletingPathExtension
            let set = SyntheticDatasetSet.allCases.firstIndex(of: job.set)!
            for camera in job.cameras {
                if Task.isCancelled { throw .cancelled(completed: done, total: total) }
                let model = c.cameras[camera]
                images[camera][set].append(model.render(scene, seed: captureSeed(set: job.set, index: job.index, camera: camera)).packed)
                names[camera][set].append(stem)
                done += 1
                progress(SyntheticDatasetProgress(completed: done, total: total, file: job.set.folder(camera: model.name) + "/" + file,
                                                  skipped: false))
            }
        }
        return (images, names)
    }
}
