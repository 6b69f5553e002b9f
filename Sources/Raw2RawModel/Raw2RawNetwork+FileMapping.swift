import Foundation
import RawSupport
import RawIO
import RawTensor

/// The target camera's raw format for mapped DNG files: CFA phase, levels and metadata.
///
/// A mapped packed image is unpacked into a mosaic with these values. Take them from a DNG of
/// the target camera with ``init(contentsOf:)``; without a template the input's own are used.
public struct RawTemplate: Sendable, Equatable {
    /// The CFA phase of the output mosaic.
    public var pattern: CFAPattern
    /// Black level per 2x2 CFA position.
    public var blackLevels: BlackLevels
    /// The white level.
    public var whiteLevel: Int
    /// Metadata to carry (make, model, colour matrices).
    public var metadata: RawMetadata

    /// Creates a template from values.
    public init(pattern: CFAPattern, blackLevels: BlackLevels, whiteLevel: Int, metadata: RawMetadata = RawMetadata()) {
        self.pattern = pattern
        self.blackLevels = blackLevels
        self.whiteLevel = whiteLevel
        self.metadata = metadata
    }

    /// The format of a decoded raw image.
    public init(_ image: BayerImage) {
        self.init(pattern: image.pattern, blackLevels: image.blackLevels, whiteLevel: image.whiteLevel, metadata: image.metadata)
    }

    /// Reads the format of a raw file (DNG or any raw LibRaw decodes).
    /// - Throws: ``ModelError/imageFile(_:)`` naming the file.
    public init(contentsOf url: URL) throws(ModelError) {
        do { self.init(try BayerImage(contentsOf: url)) } catch { throw .imageFile(error) }
    }
}

extension Raw2RawNetwork {
    /// Maps one `.mat` or `.dng` file in `direction` (into the target camera's raw space) and writes the result
    /// with the same file name into `outputFolder` (created if needed; written atomically).
    ///
    /// - `.mat`: the `raw_rggb` variable is mapped and written as a `.mat` file.
    /// - `.dng`: the mosaic is packed, mapped and unpacked with the `template`'s CFA phase, levels
    ///   and metadata (the target camera's), or with the input's own when `template` is `nil`. The
    ///   input's ISO and exposure time are kept; `AsShotNeutral` becomes the input's neutral
    ///   mapped by the network (normalised to green 1).
    /// - Returns: the written file.
    /// Resolve a camera name with ``side(of:)``: `MappingDirection(to: try network.side(of: name))`.
    /// - Throws: ``ModelError/imageFile(_:)`` naming the file, ``ModelError/outputOverwritesInput(path:)``,
    ///   ``ModelError/unsupportedImageFile(path:)`` when the extension is neither `.mat` nor `.dng`,
    ///   or ``ModelError/modelFile(path:reason:)`` when the output folder cannot be created.
    @discardableResult
    public func mapFile(_ input: URL, direction: MappingDirection, outputFolder: URL, template: RawTemplate? = nil,
                        tiling: TilingOptions = .default) throws(ModelError) -> URL {
        let source = direction.source
        let output = outputFolder.appendingPathComponent(input.lastPathComponent)
        guard output.standardizedFileURL.path != input.standardizedFileURL.path else {
            throw .outputOverwritesInput(path: output.path)
        }
        guard let format = PackedImageFormat(url: input) else {
            throw .unsupportedImageFile(path: input.path)
        }
        try AtomicFile.makeFolder(outputFolder, error: ModelError.init)
        do throws(RawIOError) {
            switch format {
            case .mat:
                let image = try PackedImage(contentsOfMAT: input)
                try map(image, direction: direction, tiling: tiling).writeMAT(to: output)
            case .dng:
                let raw = try BayerImage(contentsOf: input)
                let packed = raw.packed()
                let mapped = map(packed, direction: direction, tiling: tiling)
                let t = template ?? RawTemplate(raw)
                var metadata = t.metadata
                metadata.iso = raw.metadata.iso
                metadata.exposureTime = raw.metadata.exposureTime
                metadata.asShotNeutral = raw.metadata.asShotNeutral.flatMap { mappedNeutral($0, image: packed, from: source) }
                try mapped.mosaic(pattern: t.pattern, blackLevels: t.blackLevels, whiteLevel: t.whiteLevel, metadata: metadata)
                    .writeDNG(to: output)
            }
        } catch {
            throw .imageFile(error)
        }
        return output
    }

    /// The camera-space neutral `(R, G, B)` mapped like the pixels of `image`, normalised to G = 1;
    /// `nil` when it does not map to a positive colour.
    func mappedNeutral(_ neutral: [Double], image: PackedImage, from source: CameraSide) -> [Double]? {
        guard neutral.count == 3, neutral.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        let peak = neutral.max()!
        let v = neutral.map { Float(0.5 * $0 / peak) }
        let m = configuration.sizeMultiple
        let constant = PackedImage(height: m, width: m,
                                   values: (0..<(m * m)).flatMap { _ in [v[0], v[1], v[1], v[2]] })
        let t = configuration.thumbnailSize
        let thumbnail = Tensor(shape: [1, 4, t, t], values: image.thumbnail(size: t))
        let out = mapCrop(constant, thumbnail: thumbnail, from: source).pixel(y: 0, x: 0)
        let g = Double(out[1] + out[2]) / 2
        guard g > 0, out[0] > 0, out[3] > 0 else { return nil }
        return [Double(out[0]) / g, 1, Double(out[3]) / g]
    }
}

extension Raw2RawNetwork {
    /// Maps an image in one piece (its sides multiples of the pooling factor) with the per-image
    /// correction of a given whole-image thumbnail and without the target-exposure step (for
    /// colour ratios such as ``mappedNeutral(_:image:from:)``); clipped to [0, 1].
    func mapCrop(_ image: PackedImage, thumbnail: Tensor, from source: CameraSide) -> PackedImage {
        let x = Tensor(channelsLast: image.values, batch: 1, height: image.height, width: image.width, channels: 4)
        let correction = imageCorrection(thumbnail: thumbnail, from: source)
        let y = withoutGradient {
            map(Variable(x), features: mappingFeatures(Variable(x), camera: source), correction: correction.map { Variable($0) }, from: source).value
        }
        let values = Numerics.clipUnit(y.channelsLastScalars())
        return PackedImage(height: image.height, width: image.width, values: values)
    }
}
