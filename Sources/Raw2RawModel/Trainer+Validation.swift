import Calibration
import Foundation
import RawSupport
import RawIO
import RawTensor

/// Validation on held-out pairs.
extension Trainer {
    /// Validates on up to ``MonitoringConfiguration/validationPairs`` held-out pairs (centre crops of
    /// at most ``MonitoringConfiguration/validationCrop`` pixels, per-image context from the whole
    /// image); `nil` without validation data.
    @discardableResult
    public func validate() throws(TrainingError) -> ValidationResult? {
        guard let pairs = data.validation, pairs.count > 0, configuration.monitoring.validationPairs > 0 else { return nil }
        if validationSet == nil {
            var set: [(a: PackedImage, b: PackedImage, thumbA: Tensor, thumbB: Tensor)] = []
            let t = configuration.model.thumbnailSize, m = configuration.model.sizeMultiple
            for i in 0..<min(pairs.count, configuration.monitoring.validationPairs) {
                let pair: (a: PackedImage, b: PackedImage)
                do { pair = try pairs.pair(at: i) } catch { throw .dataset(error) }
                guard pair.a.height >= m && pair.a.width >= m else { continue }
                set.append((pair.a.centerCrop(maxSide: configuration.monitoring.validationCrop, multiple: m),
                            pair.b.centerCrop(maxSide: configuration.monitoring.validationCrop, multiple: m),
                            Tensor(shape: [1, 4, t, t], values: pair.a.thumbnail(size: t)),
                            Tensor(shape: [1, 4, t, t], values: pair.b.thumbnail(size: t))))
            }
            validationSet = set
        }
        guard let set = validationSet, !set.isEmpty else { return nil }
        let options = MetricOptions(computesSSIM: false)
        if basePSNR == nil {
            var ab = 0.0, ba = 0.0
            for v in set {
                let ya = network.base(from: .a).mapImage(v.a), yb = network.base(from: .b).mapImage(v.b)
                ab += ImageMetrics(prediction: ya, reference: v.b, options: options).psnr
                ba += ImageMetrics(prediction: yb, reference: v.a, options: options).psnr
            }
            basePSNR = (ab / Double(set.count), ba / Double(set.count))
        }
        var ab = 0.0, ba = 0.0
        for v in set {
            let ya = network.mapCrop(v.a, thumbnail: v.thumbA, from: .a)
            let yb = network.mapCrop(v.b, thumbnail: v.thumbB, from: .b)
            ab += ImageMetrics(prediction: ya, reference: v.b, options: options).psnr
            ba += ImageMetrics(prediction: yb, reference: v.a, options: options).psnr
        }
        let result = ValidationResult(step: step, pairCount: set.count, psnrAToB: ab / Double(set.count),
                                      psnrBToA: ba / Double(set.count), basePSNRAToB: basePSNR!.ab, basePSNRBToA: basePSNR!.ba)
        lastValidation = result
        return result
    }
}

extension Raw2RawNetwork {
    /// Maps an image in one piece (its sides multiples of the pooling factor) with the per-image
    /// correction of a given whole-image thumbnail; clipped to [0, 1].
    func mapCrop(_ image: PackedImage, thumbnail: Tensor, from source: CameraSide) -> PackedImage {
        let x = Tensor(channelsLast: image.values, batch: 1, height: image.height, width: image.width, channels: 4)
        let correction = configuration.architecture == .residual ? imageCorrection(thumbnail: thumbnail, from: source) : nil
        let y = withoutGradient {
            map(Variable(x), features: mappingFeatures(Variable(x), camera: source), correction: correction.map { Variable($0) }, from: source).value
        }
        let values = Numerics.clipUnit(y.channelsLastScalars())
        return PackedImage(height: image.height, width: image.width, values: values)
    }
}
