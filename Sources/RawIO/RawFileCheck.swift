import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the first bytes of a file say it is.
enum FileSignature: Equatable {
    /// Classic TIFF (`II*\0`, `MM\0*`): DNG and most camera raw formats.
    case tiff
    /// BigTIFF (`II+\0`, `MM\0+`), which LibRaw does not read.
    case bigTIFF
    /// A PNG image.
    case png
    /// A JPEG stream (a few raw formats wrap raw data in one, so LibRaw still gets to try).
    case jpeg
    /// Anything else: left to LibRaw, which knows many raw formats by their headers or sizes.
    case other

    init(head: [UInt8]) {
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) {
            self = .tiff
        } else if starts([0x49, 0x49, 0x2B, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2B]) {
            self = .bigTIFF
        } else if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if starts([0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else {
            self = .other
        }
    }
}

/// Checks done before a file reaches LibRaw: it exists, is a readable regular file, is not
/// empty, and, when it is TIFF-based, has a sound IFD structure (see ``TIFFStructure``).
enum RawFileCheck {
    /// The facts gathered by ``precheck(path:)``.
    struct Facts {
        var size: UInt64
        /// Up to the first 4 KiB of the file.
        var head: [UInt8]
        var signature: FileSignature
        /// The CFA image IFDs of a DNG (empty for anything else).
        var dngCFAImages: [TIFFStructure.DNGCFAImage] = []
    }

    static func precheck(path: String) throws(RawIOError) -> Facts {
        // One stat(2) (following symlinks) instead of FileManager's attribute dictionaries.
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(code)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .unreadable(path: path, reason: "it is a directory")
        // FIFOs, sockets and devices would block or never end; only regular files are read.
        case S_IFIFO: throw .unreadable(path: path, reason: "it is a FIFO, not a regular file")
        case S_IFSOCK: throw .unreadable(path: path, reason: "it is a socket, not a regular file")
        default: throw .unreadable(path: path, reason: "it is a device, not a regular file")
        }
        guard access(path, R_OK) == 0 else {
            throw .unreadable(path: path, reason: "permission denied")
        }
        let size = UInt64(max(info.st_size, 0))
        if size == 0 { throw .notARawFile(path: path, reason: "the file is empty") }

        let reader = try RawFileReader(path: path, size: size)
        let head = try reader.read(at: 0, count: Int(min(size, 4096)))
        let signature = FileSignature(head: head)
        var cfaImages: [TIFFStructure.DNGCFAImage] = []
        switch signature {
        case .tiff:
            cfaImages = try TIFFStructure.check(reader)
        case .bigTIFF:
            throw .unsupportedFormat(path: path, reason: "BigTIFF files are not supported (LibRaw reads classic TIFF and DNG only)")
        case .png, .jpeg, .other:
            break
        }
        return Facts(size: size, head: head, signature: signature, dngCFAImages: cfaImages)
    }

    /// A person-readable guess at what a file LibRaw could not identify is.
    static func describe(_ facts: Facts) -> String? {
        switch facts.signature {
        case .png: return "it is a PNG image"
        case .jpeg: return "it is a JPEG image without raw data LibRaw knows"
        case .tiff: return "a TIFF file without raw sensor data LibRaw knows"
        case .bigTIFF: return nil
        case .other: break
        }
        let printable = facts.head.reduce(0) { n, b in n + ((b >= 0x20 && b < 0x7F) || b == 0x09 || b == 0x0A || b == 0x0D ? 1 : 0) }
        if !facts.head.isEmpty && printable * 10 >= facts.head.count * 9 { return "it holds text" }
        return nil
    }
}
