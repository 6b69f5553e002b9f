import Foundation
import RawIO

/// The image sets a training run draws from: an unpaired set per camera, the anchor pairs and,
/// optionally, held-out pairs for validation.
///
/// Sets of files are lazy (file references only); ``init(cameraA:cameraB:unpairedA:unpairedB:anchorsA:anchorsB:validationA:validationB:)``
/// builds training data from images held in memory, so a whole experiment runs without the disk
/// (see <doc:InMemoryExperiments>).
public struct TrainingData: Sendable {
    /// The name of camera A.
    public var cameraA: String
    /// The name of camera B.
    public var cameraB: String
    /// Camera A's unpaired images.
    public var unpairedA: PackedImageSet
    /// Camera B's unpaired images.
    public var unpairedB: PackedImageSet
    /// The anchor pairs (A first).
    public var anchors: PackedImagePairSet
    /// Held-out pairs for validation (A first), if any.
    public var validation: PackedImagePairSet?
    /// Warnings found while listing the sets.
    public var warnings: [DatasetWarning]

    /// Creates training data from sets.
    public init(cameraA: String, cameraB: String, unpairedA: PackedImageSet, unpairedB: PackedImageSet,
                anchors: PackedImagePairSet, validation: PackedImagePairSet? = nil) {
        self.cameraA = cameraA
        self.cameraB = cameraB
        self.unpairedA = unpairedA
        self.unpairedB = unpairedB
        self.anchors = anchors
        self.validation = validation
        self.warnings = unpairedA.warnings + unpairedB.warnings + anchors.warnings + (validation?.warnings ?? [])
    }

    /// Creates training data from images held in memory: unpaired images of each camera, the
    /// anchor pairs (`anchorsA[i]` and `anchorsB[i]` show the same scene) and, optionally,
    /// validation pairs.
    ///
    /// Names default to `image_0000`, ... for unpaired images and `pair_0000`, ... for pairs. A
    /// checkpoint of a run on in-memory data records a digest of every image, so resuming refuses
    /// other images even under the same names. Pair lists must be aligned and each pair the same
    /// size (a `precondition`).
    public init(cameraA: String, cameraB: String, unpairedA: [PackedImage], unpairedB: [PackedImage],
                anchorsA: [PackedImage], anchorsB: [PackedImage],
                validationA: [PackedImage]? = nil, validationB: [PackedImage]? = nil) {
        precondition((validationA == nil) == (validationB == nil), "give validation images of both cameras or of neither")
        self.init(cameraA: cameraA, cameraB: cameraB,
                  unpairedA: PackedImageSet(images: unpairedA), unpairedB: PackedImageSet(images: unpairedB),
                  anchors: PackedImagePairSet(imagesA: anchorsA, imagesB: anchorsB),
                  validation: validationA.map { PackedImagePairSet(imagesA: $0, imagesB: validationB!) })
    }

    /// Opens the sets of two cameras of a dataset in the paper's layout; the test pairs
    /// (`paired/<camera>/raw-rggb/`) become the validation set when their folders exist (and,
    /// in a dataset of more than two cameras, when the two share a test scene). The anchors are
    /// the scenes both cameras saw (RawIO's `DatasetLayout.pairs(_:cameraA:cameraB:)`).
    /// - Throws: ``TrainingError/dataset(_:)`` naming the folder or files.
    public init(layout: DatasetLayout, cameraA: String, cameraB: String) throws(TrainingError) {
        do {
            let ua = try layout.unpaired(camera: cameraA)
            let ub = try layout.unpaired(camera: cameraB)
            let anchors = try layout.anchorPairs(cameraA: cameraA, cameraB: cameraB)
            var validation: PackedImagePairSet?
            if layout.hasFolder(.test, camera: cameraA) || layout.hasFolder(.test, camera: cameraB) {
                // With more than two cameras, two of them may share no test scene: no validation then.
                let shared = Set(try layout.sceneNames(.test, camera: cameraA)).intersection(try layout.sceneNames(.test, camera: cameraB))
                if layout.cameras.count <= 2 || !shared.isEmpty {
                    validation = try layout.testPairs(cameraA: cameraA, cameraB: cameraB)
                }
            }
            self.init(cameraA: cameraA, cameraB: cameraB, unpairedA: ua, unpairedB: ub, anchors: anchors, validation: validation)
        } catch {
            throw .dataset(error)
        }
    }

    /// The file names of every set (and digests of in-memory sets), which a checkpoint records to
    /// refuse resuming on other data.
    var fingerprint: DataFingerprint {
        let digests = [unpairedA.contentDigest, unpairedB.contentDigest, anchors.contentDigest]
        return DataFingerprint(cameraA: cameraA, cameraB: cameraB, unpairedA: unpairedA.names, unpairedB: unpairedB.names,
                               anchors: anchors.names,
                               contents: digests.allSatisfy { $0 == nil } ? nil : digests.map { $0 ?? "" })
    }
}

/// What a checkpoint remembers of the data it was trained on.
struct DataFingerprint: Codable, Equatable, Sendable {
    var cameraA: String
    var cameraB: String
    var unpairedA: [String]
    var unpairedB: [String]
    var anchors: [String]
    /// For training on in-memory images: a digest of the unpaired A, unpaired B and anchor
    /// images (`""` for a set of files); `nil` (and absent from `state.json`) when every set is files.
    var contents: [String]? = nil

    /// A sentence naming the first difference, or `nil` when equal.
    func difference(from other: DataFingerprint) -> String? {
        if cameraA != other.cameraA || cameraB != other.cameraB {
            return "cameras \(other.cameraA)/\(other.cameraB) instead of \(cameraA)/\(cameraB)"
        }
        func compare(_ what: String, _ a: [String], _ b: [String]) -> String? {
            guard a != b else { return nil }
            let missing = Set(a).subtracting(b).sorted(), added = Set(b).subtracting(a).sorted()
            return "the \(what) images changed (\(a.count) then, \(b.count) now; missing: \(DatasetError.listNames(missing)); new: \(DatasetError.listNames(added)))"
        }
        return compare("unpaired \(cameraA)", unpairedA, other.unpairedA)
            ?? compare("unpaired \(cameraB)", unpairedB, other.unpairedB)
            ?? compare("anchor", anchors, other.anchors)
            ?? contentDifference(other)
    }

    /// A sentence naming the first in-memory set whose pixels changed, or `nil`.
    private func contentDifference(_ other: DataFingerprint) -> String? {
        guard contents != other.contents else { return nil }
        let mine = contents ?? ["", "", ""], theirs = other.contents ?? ["", "", ""]
        let what = ["unpaired \(cameraA)", "unpaired \(cameraB)", "anchor"]
        let i = (0..<min(mine.count, theirs.count, 3)).first { mine[$0] != theirs[$0] } ?? 2
        return "the \(what[i]) images changed (same names, other pixel values or sizes, or files instead of in-memory images)"
    }
}

extension DatasetError {
    /// At most 10 names, then a count.
    static func listNames(_ names: [String]) -> String {
        if names.isEmpty { return "none" }
        if names.count <= 10 { return names.joined(separator: ", ") }
        return names.prefix(10).joined(separator: ", ") + " and \(names.count - 10) more"
    }
}
