import Foundation

/// A set of packed image files of one camera, loaded lazily, one image at a time.
///
/// The set holds file references only; ``image(at:)`` reads a file when asked (through the
/// optional shared ``PackedImageCache``), so a set of hundreds of 12-megapixel images costs a few
/// kilobytes until its images are used.
public struct PackedImageSet: Sendable {
    /// The folder the files were listed from (`nil` for a set made from a list of files).
    public let folder: URL?
    /// The files, sorted by name.
    public let files: [PackedImageFile]
    /// The cache images are read through, if any.
    public let cache: PackedImageCache?
    /// Oddities found while listing (skipped files).
    public let warnings: [DatasetWarning]

    /// Lists the `.mat` and `.dng` files of `folder` (hidden files and subfolders are skipped;
    /// other files are skipped with a warning).
    /// - Throws: ``DatasetError/missingFolder(path:)``, ``DatasetError/emptySet(path:)``,
    ///   ``DatasetError/duplicateName(folder:name:files:)``.
    public init(folder: URL, cache: PackedImageCache? = nil) throws(DatasetError) {
        let listing = try DatasetListing.list(folder)
        guard !listing.files.isEmpty else { throw .emptySet(path: folder.path) }
        self.folder = folder
        self.files = listing.files
        self.cache = cache
        self.warnings = listing.ignored.isEmpty ? [] : [.ignoredFiles(folder: folder.path, names: listing.ignored)]
    }

    /// Makes a set of the given files, in the given order.
    public init(files: [PackedImageFile], cache: PackedImageCache? = nil) {
        self.folder = nil
        self.files = files
        self.cache = cache
        self.warnings = []
    }

    /// The number of images.
    public var count: Int { files.count }

    /// The name (file stem) of each image, in order.
    public var names: [String] { files.map(\.name) }

    /// Reads image `index` (or takes it from the cache).
    /// - Throws: ``DatasetError/unreadableImage(_:)`` naming the file.
    public func image(at index: Int) throws(DatasetError) -> PackedImage {
        precondition(files.indices.contains(index), "image index \(index) is outside 0..<\(files.count)")
        return try DatasetListing.load(files[index], cache: cache)
    }

    /// The subset of the given indices, in that order.
    public func subset(_ indices: [Int]) -> PackedImageSet {
        PackedImageSet(files: indices.map { files[$0] }, cache: cache)
    }
}

/// What to do with pair names that have no partner in the other camera's folder.
public enum PairingPolicy: String, Sendable, Codable {
    /// Throw ``DatasetError/unmatchedNames(folderA:onlyInA:folderB:onlyInB:)`` listing them.
    case strict
    /// Leave them out and report them in ``PackedImagePairSet/warnings``.
    case dropUnmatched
}

/// Pixel-aligned image pairs of two cameras (the same file name in both folders), loaded lazily.
public struct PackedImagePairSet: Sendable {
    /// The first camera's files, aligned with ``filesB``.
    public let filesA: [PackedImageFile]
    /// The second camera's files, aligned with ``filesA``.
    public let filesB: [PackedImageFile]
    /// The cache images are read through, if any.
    public let cache: PackedImageCache?
    /// Oddities found while listing (skipped files, dropped names).
    public let warnings: [DatasetWarning]

    /// Pairs the files of two folders by name.
    /// - Throws: ``DatasetError/missingFolder(path:)``, ``DatasetError/emptySet(path:)``,
    ///   ``DatasetError/duplicateName(folder:name:files:)``, and with the ``PairingPolicy/strict``
    ///   policy ``DatasetError/unmatchedNames(folderA:onlyInA:folderB:onlyInB:)``.
    public init(folderA: URL, folderB: URL, policy: PairingPolicy = .strict,
                cache: PackedImageCache? = nil) throws(DatasetError) {
        let la = try DatasetListing.list(folderA)
        let lb = try DatasetListing.list(folderB)
        guard !la.files.isEmpty else { throw .emptySet(path: folderA.path) }
        guard !lb.files.isEmpty else { throw .emptySet(path: folderB.path) }
        var warnings: [DatasetWarning] = []
        if !la.ignored.isEmpty { warnings.append(.ignoredFiles(folder: folderA.path, names: la.ignored)) }
        if !lb.ignored.isEmpty { warnings.append(.ignoredFiles(folder: folderB.path, names: lb.ignored)) }
        let byNameB = Dictionary(uniqueKeysWithValues: lb.files.map { ($0.name, $0) })
        let namesA = Set(la.files.map(\.name))
        let onlyA = la.files.map(\.name).filter { byNameB[$0] == nil }
        let onlyB = lb.files.map(\.name).filter { !namesA.contains($0) }
        if !onlyA.isEmpty || !onlyB.isEmpty {
            switch policy {
            case .strict:
                throw .unmatchedNames(folderA: folderA.path, onlyInA: onlyA, folderB: folderB.path, onlyInB: onlyB)
            case .dropUnmatched:
                warnings.append(.droppedUnmatched(folderA: folderA.path, onlyInA: onlyA, folderB: folderB.path, onlyInB: onlyB))
            }
        }
        let matched = la.files.filter { byNameB[$0.name] != nil }
        guard !matched.isEmpty else { throw .emptySet(path: folderA.path) }
        self.filesA = matched
        self.filesB = matched.map { byNameB[$0.name]! }
        self.cache = cache
        self.warnings = warnings
    }

    /// Makes a pair set of aligned file lists.
    public init(filesA: [PackedImageFile], filesB: [PackedImageFile], cache: PackedImageCache? = nil) {
        precondition(filesA.count == filesB.count, "pair lists differ in length: \(filesA.count) and \(filesB.count)")
        self.filesA = filesA
        self.filesB = filesB
        self.cache = cache
        self.warnings = []
    }

    /// The number of pairs.
    public var count: Int { filesA.count }

    /// The name of each pair (the shared file stem), in order.
    public var names: [String] { filesA.map(\.name) }

    /// Reads pair `index` and checks that both images have the same size.
    /// - Throws: ``DatasetError/unreadableImage(_:)`` or ``DatasetError/sizeMismatch(name:pathA:heightA:widthA:pathB:heightB:widthB:)``.
    public func pair(at index: Int) throws(DatasetError) -> (a: PackedImage, b: PackedImage) {
        precondition(filesA.indices.contains(index), "pair index \(index) is outside 0..<\(filesA.count)")
        let a = try DatasetListing.load(filesA[index], cache: cache)
        let b = try DatasetListing.load(filesB[index], cache: cache)
        guard a.height == b.height && a.width == b.width else {
            throw .sizeMismatch(name: filesA[index].name, pathA: filesA[index].url.path, heightA: a.height, widthA: a.width,
                                pathB: filesB[index].url.path, heightB: b.height, widthB: b.width)
        }
        return (a, b)
    }

    /// Reads every pair, one at a time, and checks sizes; returns nothing but throws the first problem.
    public func checkSizes() throws(DatasetError) {
        for i in 0..<count { _ = try pair(at: i) }
    }

    /// The first camera's images as a set.
    public var setA: PackedImageSet { PackedImageSet(files: filesA, cache: cache) }
    /// The second camera's images as a set.
    public var setB: PackedImageSet { PackedImageSet(files: filesB, cache: cache) }

    /// The same pairs with the cameras swapped.
    public var swapped: PackedImagePairSet { PackedImagePairSet(filesA: filesB, filesB: filesA, cache: cache) }

    /// The subset of the given indices, in that order.
    public func subset(_ indices: [Int]) -> PackedImagePairSet {
        PackedImagePairSet(filesA: indices.map { filesA[$0] }, filesB: indices.map { filesB[$0] }, cache: cache)
    }
}

/// Folder listing and loading shared by the sets.
enum DatasetListing {
    static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The image files of a folder sorted by name, and the names of skipped non-image files.
    static func list(_ folder: URL) throws(DatasetError) -> (files: [PackedImageFile], ignored: [String]) {
        guard isDirectory(folder) else { throw .missingFolder(path: folder.path) }
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil,
                                                                  options: [.skipsHiddenFiles])
        } catch {
            throw .unreadableFolder(path: folder.path, reason: "\(error.localizedDescription)")
        }
        var files: [PackedImageFile] = []
        var ignored: [String] = []
        for url in entries {
            if isDirectory(url) { continue }
            if let f = PackedImageFile(url: url) { files.append(f) } else { ignored.append(url.lastPathComponent) }
        }
        files.sort { ($0.name, $0.url.lastPathComponent) < ($1.name, $1.url.lastPathComponent) }
        ignored.sort()
        var i = 0
        while i < files.count {
            var j = i + 1
            while j < files.count && files[j].name == files[i].name { j += 1 }
            if j - i > 1 {
                throw .duplicateName(folder: folder.path, name: files[i].name,
                                     files: files[i..<j].map(\.url.lastPathComponent))
            }
            i = j
        }
        return (files, ignored)
    }

    static func load(_ file: PackedImageFile, cache: PackedImageCache?) throws(DatasetError) -> PackedImage {
        if let cache, let hit = cache.image(for: file.url) { return hit }
        let image: PackedImage
        do { image = try file.load() } catch { throw .unreadableImage(error) }
        cache?.insert(image, for: file.url)
        return image
    }
}

extension PackedImagePairSet {
    /// Every pair read once, in order, each image evenly subsampled to at most `maxPixelsPerPair`
    /// pixels (the anchor reading loop of the baselines, the base fits and the exposure model).
    package func evenlySubsampled(maxPixelsPerPair: Int) throws(DatasetError) -> (a: [PackedImage], b: [PackedImage]) {
        precondition(maxPixelsPerPair > 0, "maxPixelsPerPair must be positive, got \(maxPixelsPerPair)")
        var a: [PackedImage] = [], b: [PackedImage] = []
        for i in 0..<count {
            let pair = try pair(at: i)
            a.append(pair.a.evenSubsample(maxPixels: maxPixelsPerPair))
            b.append(pair.b.evenSubsample(maxPixels: maxPixelsPerPair))
        }
        return (a, b)
    }
}
