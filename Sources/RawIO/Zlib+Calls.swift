import CZlib
import Foundation

/// The place RawIO calls zlib for writing: deflate (`compress2`) and CRC-32 (`crc32`), as PNG
/// needs them. Return codes become preconditions only where zlib documents that no other code is
/// possible for the arguments we pass.
enum Zlib {
    /// A complete zlib stream (RFC 1950) of `bytes`, from `compress2` into a `compressBound`
    /// buffer.
    ///
    /// With a destination of `compressBound(n)` bytes `compress2` can only fail for lack of memory,
    /// which, like any Swift allocation failure, stops the process.
    static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var bound = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let status = out.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &bound, src.baseAddress, uLong(src.count), level)
            }
        }
        precondition(status == Z_OK, "zlib compress2 failed with status \(status) (out of memory)")
        out.removeSubrange(Int(bound)...)
        return out
    }

    /// Continues the CRC-32 `crc` (ISO 3309, as PNG uses it; start from 0) over `bytes`, with
    /// zlib's `crc32`.
    static func crc32(_ crc: UInt32 = 0, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = uLong(crc)
        var rest = bytes
        // crc32 takes a uInt length: feed very large buffers in pieces.
        while !rest.isEmpty {
            let n = min(rest.count, Int(UInt32.max >> 1))
            c = CZlib.crc32(c, rest.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        return UInt32(truncatingIfNeeded: c)
    }
}
