import Foundation

/// A set of packed images of one camera: files loaded lazily, one image at a time, or images held in memory.
///
/// A set made from a folder or a list of files holds file references only; ``image(at:)`` reads
/// a file when asked (through the optional shared ``PackedImageCache``), so a set of hundreds of
/// 12-megapixel images costs a few kilobytes until its images are used. A set made with
/// ``init(images:names:)`` holds its images (for experiments and tests that never touch the disk);
/// everything that reads a set (``image(at:)``, ``names``, ``subset(_:)``) works for both kinds.
public struct PackedImageSet: Sendable {
    /// Where the images of a set come from.
    enum Content: Sendable {
        case files([PackedImageFile])
        case images([PackedImage], names: [String])
    }

    /// The folder the files were listed from (`nil` for a set made from a list of files or images).
    public let folder: URL?
    /// Where the images come from.
    let content: Content
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
        self.content = .files(listing.files)
        self.cache = cache
        self.warnings = listing.ignored.isEmpty ? [] : [.ignoredFiles(folder: folder.path, names: listing.ignored)]
    }

    /// Makes a set of the given files, in the given order.
    public init(files: [PackedImageFile], cache: PackedImageCache? = nil) {
        self.folder = nil
        self.content = .files(files)
        self.cache = cache
        self.warnings = []
    }

    /// Makes a set of images held in memory, in the given order.
    ///
    /// `names` (one per image, unique) default to `image_0000`, `image_0001`, ...; they play the
    /// part of file stems (in reports, and in the data a training checkpoint records).
    /// Images of one set may differ in size.
    public init(images: [PackedImage], names: [String]? = nil) {
        let names = names ?? DatasetListing.defaultNames(images.count, prefix: "image")
        DatasetListing.checkNames(names, count: images.count, what: "images")
        self.folder = nil
        self.content = .images(images, names: names)
        self.cache = nil
        self.warnings = []
    }

    /// The files, in order; empty for a set of in-memory images (see ``isInMemory``).
    public var files: [PackedImageFile] {
        if case .files(let f) = content { return f }
        return []
    }

    /// Whether the set holds its images in memory (made with ``init(images:names:)``) rather than files.
    public var isInMemory: Bool {
        if case .images = content { return true }
        return false
    }

    /// The number of images.
    public var count: Int {
        switch content {
        case .files(let f): return f.count
        case .images(let i, _): return i.count
        }
    }

    /// The name (file stem, or the given name of an in-memory image) of each image, in order.
    public var names: [String] {
        switch content {
        case .files(let f): return f.map(\.name)
        case .images(_, let n): return n
        }
    }

    /// Reads image `index` (or takes it from the cache, or from memory).
    /// - Throws: ``DatasetError/unreadableImage(_:)`` naming the file (never for in-memory images).
    public func image(at index: Int) throws(DatasetError) -> PackedImage {
        precondition((0..<count).contains(index), "image index \(index) is outside 0..<\(count)")
        switch content {
        case .files(let f): return try DatasetListing.load(f[index], cache: cache)
        case .images(let i, _): return i[index]
        }
    }

    /// The subset of the given indices, in that order.
    public func subset(_ indices: [Int]) -> PackedImageSet {
        switch content {
        case .files(let f): return PackedImageSet(files: indices.map { f[$0] }, cache: cache)
        case .images(let i, let n): return PackedImageSet(images: indices.map { i[$0] }, names: indices.map { n[$0] })
        }
    }

    /// Where image `index` comes from, for messages: the file's path, or `in-memory image NAME`.
    package func location(at index: Int) -> String {
        switch content {
        case .files(let f): return f[index].url.path
        case .images(_, let n): return "in-memory image \(n[index])"
        }
    }
}

/// What to do with pair names that have no partner in the other camera's folder.
public enum PairingPolicy: String, Sendable, Codable {
    /// Throw ``DatasetError/unmatchedNames(folderA:onlyInA:folderB:onlyInB:)`` listing them.
    case strict
    /// Leave them out and report them in ``PackedImagePairSet/warnings``.
    case dropUnmatched
}

/// Pixel-aligned image pairs of two cameras: files (the same file name in both folders) loaded
/// lazily, or images held in memory.
///
/// Everything that reads pairs (``pair(at:)``, ``names``, ``subset(_:)``, ``swapped``, ``setA``,
/// ``setB``) works for both kinds; a set made with ``init(imagesA:imagesB:names:)`` never touches the disk.
public struct PackedImagePairSet: Sendable {
    /// Where the pairs of a set come from.
    enum Content: Sendable {
        case files(a: [PackedImageFile], b: [PackedImageFile])
        case images(a: [PackedImage], b: [PackedImage], names: [String])
    }

    /// Where the pairs come from.
    let content: Content
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
        try self.init(folderA: folderA, folderB: folderB, policy: policy, cache: cache, seenElsewhere: [])
    }

    /// Pairs the files of two folders, leaving out without complaint the names in `seenElsewhere`
    /// (scenes a third camera of a multi-camera dataset saw with one of these two).
    init(folderA: URL, folderB: URL, policy: PairingPolicy, cache: PackedImageCache?,
         seenElsewhere: Set<String>) throws(DatasetError) {
        let la = try DatasetListing.list(folderA)
        let lb = try DatasetListing.list(folderB)
        guard !la.files.isEmpty else { throw .emptySet(path: folderA.path) }
        guard !lb.files.isEmpty else { throw .emptySet(path: folderB.path) }
        var warnings: [DatasetWarning] = []
        if !la.ignored.isEmpty { warnings.append(.ignoredFiles(folder: folderA.path, names: la.ignored)) }
        if !lb.ignored.isEmpty { warnings.append(.ignoredFiles(folder: folderB.path, names: lb.ignored)) }
        let byNameB = Dictionary(uniqueKeysWithValues: lb.files.map { ($0.name, $0) })
        let namesA = Set(la.files.map(\.name))
        let onlyA = la.files.map(\.name).filter { byNameB[$0] == nil && !seenElsewhere.contains($0) }
        let onlyB = lb.files.map(\.name).filter { !namesA.contains($0) && !seenElsewhere.contains($0) }
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
        self.content = .files(a: matched, b: matched.map { byNameB[$0.name]! })
        self.cache = cache
        self.warnings = warnings
    }

    /// Makes a pair set of aligned file lists.
    public init(filesA: [PackedImageFile], filesB: [PackedImageFile], cache: PackedImageCache? = nil) {
        precondition(filesA.count == filesB.count, "pair lists differ in length: \(filesA.count) and \(filesB.count)")
        self.content = .files(a: filesA, b: filesB)
        self.cache = cache
        self.warnings = []
    }

    /// Makes a pair set of aligned images held in memory: `imagesA[i]` and `imagesB[i]` show the same scene.
    ///
    /// `names` (one per pair, unique) default to `pair_0000`, `pair_0001`, ...; they play the part
    /// of the shared file stems. The two lists must have the same length and each pair the same
    /// size (a `precondition`, as the images are at hand).
    public init(imagesA: [PackedImage], imagesB: [PackedImage], names: [String]? = nil) {
        precondition(imagesA.count == imagesB.count, "pair lists differ in length: \(imagesA.count) and \(imagesB.count)")
        let names = names ?? DatasetListing.defaultNames(imagesA.count, prefix: "pair")
        DatasetListing.checkNames(names, count: imagesA.count, what: "pairs")
        for i in imagesA.indices {
            let a = imagesA[i], b = imagesB[i]
            precondition(a.height == b.height && a.width == b.width,
                         "pair \(names[i]): the images differ in size (\(a.height)x\(a.width) and \(b.height)x\(b.width))")
        }
        self.content = .images(a: imagesA, b: imagesB, names: names)
        self.cache = nil
        self.warnings = []
    }

    /// The first camera's files, aligned with ``filesB``; empty for in-memory pairs (see ``isInMemory``).
    public var filesA: [PackedImageFile] {
        if case .files(let a, _) = content { return a }
        return []
    }

    /// The second camera's files, aligned with ``filesA``; empty for in-memory pairs (see ``isInMemory``).
    public var filesB: [PackedImageFile] {
        if case .files(_, let b) = content { return b }
        return []
    }

    /// Whether the set holds its images in memory (made with ``init(imagesA:imagesB:names:)``) rather than files.
    public var isInMemory: Bool {
        if case .images = content { return true }
        return false
    }

    /// The number of pairs.
    public var count: Int {
        switch content {
        case .files(let a, _): return a.count
        case .images(let a, _, _): return a.count
        }
    }

    /// The name of each pair (the shared file stem, or the given name of in-memory pairs), in order.
    public var names: [String] {
        switch content {
        case .files(let a, _): return a.map(\.name)
        case .images(_, _, let n): return n
        }
    }

    /// Reads pair `index` and checks that both images have the same size.
    /// - Throws: ``DatasetError/unreadableImage(_:)`` or ``DatasetError/sizeMismatch(name:pathA:heightA:widthA:pathB:heightB:widthB:)``
    ///   (never for in-memory pairs).
    public func pair(at index: Int) throws(DatasetError) -> (a: PackedImage, b: PackedImage) {
        precondition((0..<count).contains(index), "pair index \(index) is outside 0..<\(count)")
        let filesA: [PackedImageFile], filesB: [PackedImageFile]
        switch content {
        case .images(let a, let b, _): return (a[index], b[index])
        case .files(let a, let b): (filesA, filesB) = (a, b)
        }
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
    public var setA: PackedImageSet {
        switch content {
        case .files(let a, _): return PackedImageSet(files: a, cache: cache)
        case .images(let a, _, let n): return PackedImageSet(images: a, names: n)
        }
    }
    /// The second camera's images as a set.
    public var setB: PackedImageSet {
        switch content {
        case .files(_, let b): return PackedImageSet(files: b, cache: cache)
        case .images(_, let b, let n): return PackedImageSet(images: b, names: n)
        }
    }

    /// The same pairs with the cameras swapped.
    public var swapped: PackedImagePairSet {
        switch content {
        case .files(let a, let b): return PackedImagePairSet(filesA: b, filesB: a, cache: cache)
        case .images(let a, let b, let n): return PackedImagePairSet(imagesA: b, imagesB: a, names: n)
        }
    }

    /// The subset of the given indices, in that order.
    public func subset(_ indices: [Int]) -> PackedImagePairSet {
        switch content {
        case .files(let a, let b):
            return PackedImagePairSet(filesA: indices.map { a[$0] }, filesB: indices.map { b[$0] }, cache: cache)
        case .images(let a, let b, let n):
            return PackedImagePairSet(imagesA: indices.map { a[$0] }, imagesB: indices.map { b[$0] }, names: indices.map { n[$0] })
        }
    }

    /// Where pair `index` comes from, for messages: the two files' paths, or `in-memory pair NAME` twice.
    package func locations(at index: Int) -> (a: String, b: String) {
        switch content {
        case .files(let a, let b): return (a[index].url.path, b[index].url.path)
        case .images(_, _, let n): return ("in-memory pair \(n[index]) (A)", "in-memory pair \(n[index]) (B)")
        }
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

    /// `prefix_0000`, `prefix_0001`, ...: the names of in-memory images given none.
    static func defaultNames(_ count: Int, prefix: String) -> [String] {
        (0..<count).map { i in
            let digits = String(i)
            return prefix + "_" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
    }

    /// Checks the names of in-memory images: one per image, none repeated.
    static func checkNames(_ names: [String], count: Int, what: String) {
        precondition(names.count == count, "\(names.count) names for \(count) \(what)")
        if Set(names).count != names.count {
            var seen = Set<String>()
            let repeated = names.first { !seen.insert($0).inserted } ?? ""
            preconditionFailure("the names of in-memory \(what) repeat '\(repeated)'")
        }
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

/// A stable 64-bit FNV-1a digest of images: sizes and every value's bits, in order.
private func contentDigest(_ images: [PackedImage], names: [String]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    func mix(_ v: UInt64) {
        var v = v
        for _ in 0..<8 {
            h ^= v & 0xFF
            h &*= 0x0000_0100_0000_01B3
            v >>= 8
        }
    }
    for (image, name) in zip(images, names) {
        for b in name.utf8 { mix(UInt64(b)) }
        mix(UInt64(image.height))
        mix(UInt64(image.width))
        for v in image.values { mix(UInt64(v.bitPattern)) }
    }
    return String(h, radix: 16)
}

extension PackedImageSet {
    /// A digest of the names, sizes and pixel values of an in-memory set (16 hex digits at most);
    /// `nil` for a set of files, which its file names identify.
    package var contentDigest: String? {
        guard case .images(let images, let names) = content else { return nil }
        return RawIO.contentDigest(images, names: names)
    }
}

extension PackedImagePairSet {
    /// A digest of the names, sizes and pixel values of in-memory pairs; `nil` for pairs of files.
    package var contentDigest: String? {
        guard case .images(let a, let b, let names) = content else { return nil }
        return RawIO.contentDigest(a + b, names: names + names)
    }
}
