import Foundation
import RawIO

/// The image sets a training run draws from: an unpaired set per camera, the anchor pairs and,
/// optionally, held-out pairs for validation. Every set is lazy (file references only).
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

    /// Opens the sets of two cameras of a dataset in the paper's layout; the test pairs
    /// (`paired/<camera>/raw-rggb/`) become the validation set when their folders exist.
    /// - Throws: ``TrainingError/dataset(_:)`` naming the folder or files.
    public init(layout: DatasetLayout, cameraA: String, cameraB: String) throws(TrainingError) {
        do {
            let ua = try layout.unpaired(camera: cameraA)
            let ub = try layout.unpaired(camera: cameraB)
            let anchors = try layout.anchorPairs(cameraA: cameraA, cameraB: cameraB)
            var validation: PackedImagePairSet?
            if layout.hasFolder(.test, camera: cameraA) || layout.hasFolder(.test, camera: cameraB) {
                validation = try layout.testPairs(cameraA: cameraA, cameraB: cameraB)
            }
            self.init(cameraA: cameraA, cameraB: cameraB, unpairedA: ua, unpairedB: ub, anchors: anchors, validation: validation)
        } catch {
            throw .dataset(error)
        }
    }

    /// The file names of every set, which a checkpoint records to refuse resuming on other data.
    var fingerprint: DataFingerprint {
        DataFingerprint(cameraA: cameraA, cameraB: cameraB, unpairedA: unpairedA.names, unpairedB: unpairedB.names,
                        anchors: anchors.names)
    }
}

/// What a checkpoint remembers of the data it was trained on.
struct DataFingerprint: Codable, Equatable, Sendable {
    var cameraA: String
    var cameraB: String
    var unpairedA: [String]
    var unpairedB: [String]
    var anchors: [String]

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
