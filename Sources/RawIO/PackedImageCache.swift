import Foundation

/// A least-recently-used cache of loaded packed images, bounded in bytes.
///
/// Image sets share one cache to avoid reading a file again while it is in use, without ever
/// holding more than ``byteLimit`` bytes of pixels (an image larger than the limit is returned
/// but not kept). Safe to use from several threads.
public final class PackedImageCache: @unchecked Sendable {
    /// The most pixel bytes (4 bytes per value) the cache keeps.
    public let byteLimit: Int
    private let lock = NSLock()
    private var entries: [URL: (image: PackedImage, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    private var bytes = 0

    /// Creates an empty cache keeping at most `byteLimit` bytes of pixels.
    public init(byteLimit: Int) {
        precondition(byteLimit >= 0, "the cache limit must not be negative, got \(byteLimit)")
        self.byteLimit = byteLimit
    }

    /// The bytes of pixels held now.
    public var byteCount: Int { lock.withLock { bytes } }

    /// The number of images held now.
    public var count: Int { lock.withLock { entries.count } }

    /// The image of `url` if it is held (and marks it as recently used).
    public func image(for url: URL) -> PackedImage? {
        lock.withLock {
            guard let e = entries[url] else { return nil }
            tick += 1
            entries[url] = (e.image, tick)
            return e.image
        }
    }

    /// Keeps `image` for `url`, dropping the least recently used images to stay within the limit.
    public func insert(_ image: PackedImage, for url: URL) {
        let size = image.values.count * MemoryLayout<Float>.stride
        lock.withLock {
            if let old = entries.removeValue(forKey: url) { bytes -= old.image.values.count * MemoryLayout<Float>.stride }
            guard size <= byteLimit else { return }
            while bytes + size > byteLimit, let oldest = entries.min(by: { $0.value.tick < $1.value.tick }) {
                entries.removeValue(forKey: oldest.key)
                bytes -= oldest.value.image.values.count * MemoryLayout<Float>.stride
            }
            tick += 1
            entries[url] = (image, tick)
            bytes += size
        }
    }

    /// Drops every image.
    public func removeAll() {
        lock.withLock {
            entries.removeAll()
            bytes = 0
        }
    }
}
