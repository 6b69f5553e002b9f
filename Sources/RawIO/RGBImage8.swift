import Foundation
import RawSupport

/// An 8-bit RGB picture: `height x width` pixels, three bytes each (R, G, B), row-major.
///
/// RawIO makes these from raw data to let people look at it (``PackedImage/preview(gain:gamma:)``)
/// and writes them as PNG (``pngData()``, ``writePNG(to:)``).
public struct RGBImage8: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Row-major, interleaved R, G, B bytes: index `(y * width + x) * 3 + channel`.
    public var pixels: [UInt8]

    /// Creates a picture from interleaved RGB bytes; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "RGBImage8 needs a positive size, got \(width)x\(height)")
        precondition(pixels.count == width * height * 3,
                     "RGBImage8 \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at `y`, `x` as (R, G, B).
    public subscript(y: Int, x: Int) -> SIMD3<UInt8> {
        get {
            let i = (y * width + x) * 3
            return SIMD3(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.x
            pixels[i + 1] = newValue.y
            pixels[i + 2] = newValue.z
        }
    }
}

extension PackedImage {
    /// An 8-bit RGB picture of the raw data, the way the paper shows raw images.
    ///
    /// Per packed pixel: red is R, green the mean of Gr and Gb, blue is B; each is multiplied by
    /// `gain`, clipped to [0, 1] (NaN counts as 0), raised to the power `gamma` and stored as
    /// `round(255 * v)`. No white balance, no colour transform: the picture shows the sensor's own
    /// colours. The result is `height x width`, half the mosaic's size.
    /// - Parameters:
    ///   - gain: the scale applied before the gamma (the paper: 0.9).
    ///   - gamma: the exponent (the paper: 1 / 1.6).
    public func preview(gain: Float = 0.9, gamma: Float = 1 / 1.6) -> RGBImage8 {
        precondition(gain.isFinite && gain >= 0, "preview gain must be finite and non-negative, got \(gain)")
        precondition(gamma.isFinite && gamma > 0, "preview gamma must be finite and positive, got \(gamma)")
        let n = height * width
        var out = [UInt8](repeating: 0, count: n * 3)
        let g = Double(gain), e = Double(gamma)
        @inline(__always) func encode(_ v: Float) -> UInt8 {
            let x = Double(v) * g
            guard x > 0 else { return 0 }  // also NaN
            if x >= 1 { return 255 }
            return UInt8((pow(x, e) * 255).rounded())
        }
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<n {
                    let i = p * 4, o = p * 3
                    dst[o] = encode(src[i])
                    dst[o + 1] = encode((src[i + 1] + src[i + 2]) * 0.5)
                    dst[o + 2] = encode(src[i + 3])
                }
            }
        }
        return RGBImage8(width: width, height: height, pixels: out)
    }
}

extension RGBImage8 {
    /// The picture as a PNG file: 8-bit RGB, non-interlaced, one zlib stream split over IDAT
    /// chunks of at most 1 MiB, each row filtered with the PNG `Sub` filter.
    public func pngData() -> Data {
        // Filtered scanlines: a filter-type byte, then the row.
        let rowBytes = width * 3
        var raw = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        pixels.withUnsafeBufferPointer { src in
            raw.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let s = y * rowBytes, d = y * (rowBytes + 1)
                    dst[d] = 1  // Sub: each byte minus the byte one pixel to the left
                    for i in 0..<rowBytes {
                        let left: UInt8 = i >= 3 ? src[s + i - 3] : 0
                        dst[d + 1 + i] = src[s + i] &- left
                    }
                }
            }
        }
        let compressed = Zlib.compress(raw)

        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = [UInt8]()
        header.append(contentsOf: PNGChunk.bigEndian(UInt32(width)))
        header.append(contentsOf: PNGChunk.bigEndian(UInt32(height)))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // bit depth 8, colour type 2 (RGB), deflate, adaptive filters, no interlace
        PNGChunk.append("IHDR", header[...], to: &png)
        var start = 0
        let maxChunk = 1 << 20
        repeat {
            let end = min(start + maxChunk, compressed.count)
            PNGChunk.append("IDAT", compressed[start..<end], to: &png)
            start = end
        } while start < compressed.count
        PNGChunk.append("IEND", [][...], to: &png)
        return png
    }

    /// Writes the picture as a PNG file, to a temporary name in the same folder first, then renamed.
    ///
    /// - Throws: ``RawIOError/writeFailed(path:reason:)`` naming the file.
    public func writePNG(to url: URL) throws(RawIOError) {
        precondition(width <= Int(Int32.max) && height <= Int(Int32.max), "PNG sizes are at most 2^31 - 1")
        try AtomicFile.write(pngData(), to: url, error: RawIOError.init)
    }
}

/// PNG chunk framing: length, type, data, CRC-32 of type and data.
enum PNGChunk {
    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func append(_ type: String, _ data: ArraySlice<UInt8>, to png: inout Data) {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4, "a PNG chunk type has 4 letters")
        png.append(contentsOf: bigEndian(UInt32(data.count)))
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: data)
        var crc = typeBytes.withUnsafeBytes { Zlib.crc32(0, $0) }
        crc = data.withUnsafeBytes { Zlib.crc32(crc, $0) }
        png.append(contentsOf: bigEndian(crc))
    }
}
