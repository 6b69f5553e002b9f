internal import CZlib

/// The one place RawIO calls zlib: bounded inflate and streaming deflate (MAT-file compressed
/// elements), one-shot compress and CRC-32 (PNG). Each stream owns a heap-allocated `z_stream`
/// (zlib keeps a back pointer to it, so it must not move) and ends it in `deinit`. zlib return
/// codes become ``ZlibFailure`` values here; callers turn them into ``RawIOError`` naming their
/// file. Return codes become preconditions only where zlib documents that no other code is
/// possible for the arguments passed.
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

    /// How a bounded inflate ended.
    enum InflateOutcome {
        /// The stream ended (`Z_STREAM_END`) within the output limit; the bytes are all of it.
        case complete([UInt8])
        /// The output limit was reached before the end of the stream; the bytes are the first `limit`.
        case limitReached([UInt8])
        /// The input ran out before the end of the stream; the bytes are what it gave.
        case truncated([UInt8])
    }

    /// Inflates a zlib stream (RFC 1950) without ever producing more than `limit` bytes.
    ///
    /// Wraps `inflateInit_` (through the shim's `r2r_inflateInit`), `inflate` and `inflateEnd`.
    /// The output buffer grows geometrically as data actually arrives, so a stream that merely
    /// claims to be large costs no memory; at most `limit` bytes are ever allocated.
    static func inflate(_ input: ArraySlice<UInt8>, limit: Int) throws(ZlibFailure) -> InflateOutcome {
        precondition(limit >= 0, "inflate limit must not be negative")
        let stream = try InflateStream()
        var output = [UInt8](repeating: 0, count: min(limit, max(4096, input.count.multipliedReportingOverflow(by: 4).partialValue)))
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                if produced >= limit { return .limitReached(output) }
                let grown = min(limit, max(output.count * 2, 4096))
                output.append(contentsOf: repeatElement(0, count: grown - output.count))
            }
            let (code, read, written) = input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    stream.run(input: UnsafeRawBufferPointer(rebasing: src[consumed...]),
                               output: UnsafeMutableRawBufferPointer(rebasing: dst[produced...]))
                }
            }
            consumed += read
            produced += written
            switch code {
            case Z_STREAM_END:
                output.removeLast(output.count - produced)
                return .complete(output)
            case Z_OK, Z_BUF_ERROR:
                if read == 0 && written == 0 {
                    guard consumed == input.count else {
                        throw ZlibFailure(code: code, message: "inflate made no progress")
                    }
                    output.removeLast(output.count - produced)
                    return .truncated(output)
                }
            case Z_NEED_DICT:
                throw ZlibFailure(code: code, message: "the stream needs a preset dictionary")
            default:
                throw ZlibFailure(code: code, message: stream.message ?? ZlibFailure.name(of: code))
            }
        }
    }

    /// Compresses `input` into one complete zlib stream (RFC 1950) at `level` (0...9).
    ///
    /// Wraps `deflateInit_` (through the shim's `r2r_deflateInit`), `deflateBound`, `deflate` with
    /// `Z_FINISH`, and `deflateEnd`.
    static func deflate(_ input: ArraySlice<UInt8>, level: Int32 = 6) throws(ZlibFailure) -> [UInt8] {
        precondition((0...9).contains(level), "zlib compression level must be 0...9, got \(level)")
        let stream = try DeflateStream(level: level)
        var output = [UInt8](repeating: 0, count: stream.bound(for: input.count))
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                output.append(contentsOf: repeatElement(0, count: max(4096, output.count / 2)))
            }
            let (code, read, written) = input.withUnsafeBytes { src in
                output.withUnsafeMutableBytes { dst in
                    stream.run(input: UnsafeRawBufferPointer(rebasing: src[consumed...]),
                               output: UnsafeMutableRawBufferPointer(rebasing: dst[produced...]))
                }
            }
            consumed += read
            produced += written
            switch code {
            case Z_STREAM_END:
                output.removeLast(output.count - produced)
                return output
            case Z_OK, Z_BUF_ERROR:
                continue
            default:
                throw ZlibFailure(code: code, message: stream.message ?? ZlibFailure.name(of: code))
            }
        }
    }
}

/// A zlib error code with zlib's message.
struct ZlibFailure: Error {
    /// The zlib return code (`Z_DATA_ERROR`, `Z_MEM_ERROR`, ...).
    var code: Int32
    /// zlib's `msg`, or the name of the code.
    var message: String

    static func name(of code: Int32) -> String {
        switch code {
        case Z_DATA_ERROR: return "invalid or incomplete deflate data"
        case Z_MEM_ERROR: return "out of memory"
        case Z_STREAM_ERROR: return "inconsistent stream state"
        case Z_VERSION_ERROR: return "incompatible zlib version"
        case Z_BUF_ERROR: return "no progress possible"
        default: return "zlib error \(code)"
        }
    }
}

/// Owns an inflating `z_stream` (`inflateInit_` ... `inflateEnd`).
private final class InflateStream {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(ZlibFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = r2r_inflateInit(stream)
        guard code == Z_OK else {
            stream.deallocate()
            throw ZlibFailure(code: code, message: ZlibFailure.name(of: code))
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    var message: String? { stream.pointee.msg.map { String(cString: $0) } }

    /// One call of `inflate(Z_NO_FLUSH)`; returns the code and the bytes read and written.
    /// At most `UInt32.max` bytes are offered at a time (zlib's counters are 32-bit).
    func run(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) -> (Int32, Int, Int) {
        let inCount = min(input.count, Int(UInt32.max)), outCount = min(output.count, Int(UInt32.max))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(inCount)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(outCount)
        let code = CZlib.inflate(stream, Z_NO_FLUSH)
        let read = inCount - Int(stream.pointee.avail_in)
        let written = outCount - Int(stream.pointee.avail_out)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return (code, read, written)
    }
}

/// Owns a deflating `z_stream` (`deflateInit_` ... `deflateEnd`).
private final class DeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>

    init(level: Int32) throws(ZlibFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = r2r_deflateInit(stream, level)
        guard code == Z_OK else {
            stream.deallocate()
            throw ZlibFailure(code: code, message: ZlibFailure.name(of: code))
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    var message: String? { stream.pointee.msg.map { String(cString: $0) } }

    /// `deflateBound` for `count` input bytes (a good first output size, not a hard limit here).
    func bound(for count: Int) -> Int {
        Int(deflateBound(stream, uLong(count)))
    }

    /// One call of `deflate`, with `Z_FINISH` once all remaining input fits in this call.
    func run(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer) -> (Int32, Int, Int) {
        let inCount = min(input.count, Int(UInt32.max)), outCount = min(output.count, Int(UInt32.max))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(inCount)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(outCount)
        let flush = inCount == input.count ? Z_FINISH : Z_NO_FLUSH
        let code = CZlib.deflate(stream, flush)
        let read = inCount - Int(stream.pointee.avail_in)
        let written = outCount - Int(stream.pointee.avail_out)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        return (code, read, written)
    }
}
