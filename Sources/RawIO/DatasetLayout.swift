import Foundation

/// The three image sets of the paper's dataset layout.
public enum DatasetSplit: String, Sendable, Codable, CaseIterable {
    /// Different scenes per camera: `unpaired/<camera>/raw-rggb/`.
    case unpaired
    /// The small set of pixel-aligned anchor pairs: `paired/<camera>/anchor-raw-rggb/`.
    case anchor
    /// The pixel-aligned test pairs: `paired/<camera>/raw-rggb/`.
    case test

    /// The folder of `camera`'s images of this split, relative to the dataset root.
    public func relativePath(camera: String) -> String {
        switch self {
        case .unpaired: return "unpaired/\(camera)/raw-rggb"
        case .anchor: return "paired/\(camera)/anchor-raw-rggb"
        case .test: return "paired/\(camera)/raw-rggb"
        }
    }
}

/// A dataset folder in the layout of Afifi & Abuolaim's raw-to-raw dataset.
///
/// ```
/// <root>/unpaired/<camera>/raw-rggb/*.mat|*.dng          different scenes per camera
/// <root>/paired/<camera>/anchor-raw-rggb/*.mat|*.dng     anchor pairs
/// <root>/paired/<camera>/raw-rggb/*.mat|*.dng            test pairs
/// ```
///
/// A pair is the same file name (without extension) in the two cameras' folders; with more
/// than two cameras a name may appear under any two or more of them (the same scene seen by
/// each), and ``cameraGraph(cameras:split:)`` tells which cameras share scenes. `.mat` files
/// hold the packed `raw_rggb` variable; `.dng` files are decoded and packed on load. Nothing is
/// read when the layout or its sets are made except folder listings: images load on demand,
/// through an optional ``PackedImageCache`` bounded in bytes.
public struct DatasetLayout: Sendable {
    /// The dataset folder.
    public let root: URL
    /// The cameras found under `unpaired/` and `paired/`, sorted.
    public let cameras: [String]
    /// What pair sets do with names that have no partner.
    public let pairingPolicy: PairingPolicy
    /// The cache every set of this layout reads through, if any.
    public let cache: PackedImageCache?

    /// Opens a dataset folder and lists its cameras.
    /// - Parameters:
    ///   - root: the dataset folder (holding `unpaired/` and/or `paired/`).
    ///   - pairingPolicy: strict (default) throws on names without a partner; `dropUnmatched` warns.
    ///   - cache: a shared image cache, or `nil` to read a file every time it is asked for.
    /// - Throws: ``DatasetError/missingFolder(path:)`` when `root` or both `unpaired/` and `paired/` are missing.
    public init(root: URL, pairingPolicy: PairingPolicy = .strict, cache: PackedImageCache? = nil) throws(DatasetError) {
        guard DatasetListing.isDirectory(root) else { throw .missingFolder(path: root.path) }
        let unpaired = root.appendingPathComponent("unpaired"), paired = root.appendingPathComponent("paired")
        guard DatasetListing.isDirectory(unpaired) || DatasetListing.isDirectory(paired) else {
            throw .missingFolder(path: paired.path)
        }
        var names = Set<String>()
        for dir in [unpaired, paired] where DatasetListing.isDirectory(dir) {
            let entries = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil,
                                                                        options: [.skipsHiddenFiles])) ?? []
            for e in entries where DatasetListing.isDirectory(e) { names.insert(e.lastPathComponent) }
        }
        self.root = root
        self.cameras = names.sorted()
        self.pairingPolicy = pairingPolicy
        self.cache = cache
    }

    /// The folder of `camera`'s images of `split`.
    public func folder(_ split: DatasetSplit, camera: String) -> URL {
        root.appendingPathComponent(split.relativePath(camera: camera), isDirectory: true)
    }

    /// Whether the folder of `camera`'s images of `split` exists.
    public func hasFolder(_ split: DatasetSplit, camera: String) -> Bool {
        DatasetListing.isDirectory(folder(split, camera: camera))
    }

    /// Throws ``DatasetError/unknownCamera(name:available:)`` unless the dataset holds `camera`.
    public func checkCamera(_ camera: String) throws(DatasetError) {
        guard cameras.contains(camera) else { throw .unknownCamera(name: camera, available: cameras) }
    }

    /// The unpaired images of `camera`.
    public func unpaired(camera: String) throws(DatasetError) -> PackedImageSet {
        try checkCamera(camera)
        return try PackedImageSet(folder: folder(.unpaired, camera: camera), cache: cache)
    }

    /// The pairs of `split` (``DatasetSplit/anchor`` or ``DatasetSplit/test``), first camera `cameraA`.
    ///
    /// A pair is a file name under both cameras. In a dataset of more than two cameras, a name
    /// under only one of the two that also appears under a third camera is a scene the two do not
    /// share, and is left out without complaint; a name under one camera only is unmatched (the
    /// ``pairingPolicy`` decides). With two cameras every unmatched name is reported.
    /// - Throws: ``DatasetError``, including ``DatasetError/emptySet(path:)`` when the two cameras
    ///   share no scene of `split`.
    public func pairs(_ split: DatasetSplit, cameraA: String, cameraB: String) throws(DatasetError) -> PackedImagePairSet {
        precondition(split != .unpaired, "the unpaired split holds no pairs")
        try checkCamera(cameraA)
        try checkCamera(cameraB)
        var elsewhere = Set<String>()
        for other in cameras where other != cameraA && other != cameraB {
            elsewhere.formUnion(try sceneNames(split, camera: other))
        }
        return try PackedImagePairSet(folderA: folder(split, camera: cameraA), folderB: folder(split, camera: cameraB),
                                      policy: pairingPolicy, cache: cache, seenElsewhere: elsewhere)
    }

    /// The anchor pairs of two cameras.
    public func anchorPairs(cameraA: String, cameraB: String) throws(DatasetError) -> PackedImagePairSet {
        try pairs(.anchor, cameraA: cameraA, cameraB: cameraB)
    }

    /// The test pairs of two cameras.
    public func testPairs(cameraA: String, cameraB: String) throws(DatasetError) -> PackedImagePairSet {
        try pairs(.test, cameraA: cameraA, cameraB: cameraB)
    }

    /// Checks every set the two cameras need and returns the warnings.
    ///
    /// Checks both unpaired sets and the anchor pairs (and the test pairs when `requireTestPairs`,
    /// else only if their folders exist); with `checkSizes` it also reads every pair, one at a time,
    /// to compare sizes (slow for large datasets: each image is decoded once).
    /// - Throws: the first ``DatasetError`` found.
    public func validate(cameraA: String, cameraB: String, requireTestPairs: Bool = false,
                         checkSizes: Bool = false) throws(DatasetError) -> [DatasetWarning] {
        try checkCamera(cameraA)
        try checkCamera(cameraB)
        var warnings: [DatasetWarning] = []
        warnings += try unpaired(camera: cameraA).warnings
        warnings += try unpaired(camera: cameraB).warnings
        let anchors = try anchorPairs(cameraA: cameraA, cameraB: cameraB)
        warnings += anchors.warnings
        if checkSizes { try anchors.checkSizes() }
        if requireTestPairs || hasFolder(.test, camera: cameraA) || hasFolder(.test, camera: cameraB) {
            let tests = try testPairs(cameraA: cameraA, cameraB: cameraB)
            warnings += tests.warnings
            if checkSizes { try tests.checkSizes() }
        }
        return warnings
    }
}
