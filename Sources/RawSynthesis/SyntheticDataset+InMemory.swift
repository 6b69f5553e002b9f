import Foundation
import RawIO

/// A synthetic two-camera dataset rendered into memory: the sets the files of
/// ``SyntheticDatasetGenerator/generate(into:progress:)`` would hold, as in-memory image sets.
///
/// Images carry the file stems of the written dataset as names (`unpaired_0003_A`,
/// `anchor_0001`, `test_0012`), and their pixels equal what reading the written files gives.
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

extension SyntheticDatasetGenerator {
    /// Renders the whole dataset into memory, writing no file: the same scenes, exposures and
    /// noise as ``generate(into:progress:)``, so image for image the pixels equal the packed
    /// images read back from a dataset written with the same configuration (either format).
    ///
    /// `progress` is called after every image, with the relative path the file would have.
    /// Honours task cancellation: before each image it checks `Task.isCancelled` and, if set,
    /// throws ``SyntheticDatasetError/cancelled(completed:total:)``.
    /// - Throws: ``SyntheticDatasetError/cancelled(completed:total:)`` only.
    public func render(progress: (SyntheticDatasetProgress) -> Void = { _ in }) throws(SyntheticDatasetError) -> SyntheticImages {
        let c = configuration
        let total = c.fileCount
        var done = 0
        var unpaired: [[PackedImage]] = [[], []], unpairedNames: [[String]] = [[], []]
        var anchors: [[PackedImage]] = [[], []], anchorNames: [String] = []
        var tests: [[PackedImage]] = [[], []], testNames: [String] = []
        for job in jobs() {
            let scene = scenes.scene(seed: job.sceneSeed)
            let stem = (job.fileName(c) as NSString).deletingPathExtension
            for model in job.cameras {
                if Task.isCancelled { throw .cancelled(completed: done, total: total) }
                let camera = model.name == c.cameraA.name ? 0 : 1
                let image = model.render(scene, seed: captureSeed(set: job.set, index: job.index, camera: camera)).packed
                switch job.set {
                case .unpaired:
                    unpaired[camera].append(image)
                    unpairedNames[camera].append(stem)
                case .anchor:
                    anchors[camera].append(image)
                    if camera == 0 { anchorNames.append(stem) }
                case .test:
                    tests[camera].append(image)
                    if camera == 0 { testNames.append(stem) }
                }
                done += 1
                progress(SyntheticDatasetProgress(completed: done, total: total, file: job.set.folder(camera: model.name) + "/" + job.fileName(c),
                                                  skipped: false))
            }
        }
        return SyntheticImages(
            cameraA: c.cameraA.name, cameraB: c.cameraB.name,
            unpairedA: PackedImageSet(images: unpaired[0], names: unpairedNames[0]),
            unpairedB: PackedImageSet(images: unpaired[1], names: unpairedNames[1]),
            anchors: PackedImagePairSet(imagesA: anchors[0], imagesB: anchors[1], names: anchorNames),
            test: PackedImagePairSet(imagesA: tests[0], imagesB: tests[1], names: testNames))
    }
}
