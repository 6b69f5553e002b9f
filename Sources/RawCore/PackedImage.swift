import RawSupport

/// A normalized, Bayer-packed raw image: `height x width x 4` Float values, channel last.
///
/// Channels are R, Gr, Gb, B (see ``PackedChannel``) whatever the CFA phase of the sensor;
/// values are black-subtracted and scaled so that 0 is black and 1 is the white level. This is
/// the representation of the paper's `.mat` dataset (`raw_rggb`) and what every mapping works on.
/// The size is fixed at creation; values change element by element, never their count.
public struct PackedImage: Sendable, Equatable {
    /// The number of channels: always 4.
    public static let channelCount = 4
    /// Height in packed pixels (half the mosaic's height).
    public let height: Int
    /// Width in packed pixels (half the mosaic's width).
    public let width: Int
    private var storage: [Float]

    /// Creates a packed image from channel-last values; `values.count` must be `height * width * 4`.
    public init(height: Int, width: Int, values: [Float]) {
        precondition(height > 0 && width > 0, "PackedImage needs a positive size, got \(height)x\(width)")
        precondition(values.count == height * width * 4,
                     "PackedImage \(height)x\(width)x4 needs \(height * width * 4) values, got \(values.count)")
        self.height = height
        self.width = width
        self.storage = values
    }

    /// Creates a packed image of zeros.
    public init(height: Int, width: Int) {
        self.init(height: height, width: width, values: [Float](repeating: 0, count: height * width * 4))
    }

    /// Row-major, channel-last values: index `(y * width + x) * 4 + channel`. Elements may be
    /// changed; a change of the count is a programming error (precondition).
    public var values: [Float] {
        get { storage }
        _modify {
            yield &storage
            precondition(storage.count == height * width * 4,
                         "PackedImage \(height)x\(width)x4 needs \(height * width * 4) values, got \(storage.count)")
        }
    }

    /// The number of packed pixels, `height * width`.
    public var pixelCount: Int { height * width }

    /// The value at `y`, `x` of `channel`.
    @inlinable
    public subscript(y: Int, x: Int, channel: PackedChannel) -> Float {
        get { values[(y * width + x) * 4 + channel.rawValue] }
        set { values[(y * width + x) * 4 + channel.rawValue] = newValue }
    }

    /// The pixel at `y`, `x` as (R, Gr, Gb, B).
    @inlinable
    public func pixel(y: Int, x: Int) -> SIMD4<Float> {
        let i = (y * width + x) * 4
        return SIMD4(values[i], values[i + 1], values[i + 2], values[i + 3])
    }
}

extension PackedImage {
    /// Every `stride`-th pixel in both axes, starting at (0, 0).
    package func strided(by stride: Int) -> PackedImage {
        let s = Numerics.strided(values, height: height, width: width, channels: 4, stride: stride)
        return PackedImage(height: s.height, width: s.width, values: s.values)
    }

    /// The image sampled with the smallest integer stride (the same in both axes) that leaves at
    /// most `maxPixels` pixels; the image itself when it is small enough.
    package func evenSubsample(maxPixels: Int) -> PackedImage {
        strided(by: Numerics.evenStride(height: height, width: width, maxPixels: maxPixels))
    }

    /// The image with every value clipped to [0, 1], NaN becoming 0.
    package func clippedToUnit() -> PackedImage {
        PackedImage(height: height, width: width, values: Numerics.clipUnit(values))
    }
}
