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
    ///
    /// Each crop goes through the mapping path of ``Raw2RawNetwork/map(_:direction:tiling:)``
    /// (default tiling, target-exposure step metered on the mapped crop, clipping); the baseline
    /// (``ValidationResult/basePSNRAToB``) takes the same path with the least-squares base alone.
    /// When a crop is the whole image, its PSNR is that of `network.map` on the image.
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
        /// Mean PSNR over the set in both directions of the mapping path at `stage`.
        func meanPSNR(_ stage: Raw2RawNetwork.MappingStage) -> (ab: Double, ba: Double) {
            var ab = 0.0, ba = 0.0
            for v in set {
                let correctionA = stage == .network ? network.imageCorrection(thumbnail: v.thumbA, from: .a) : nil
                let correctionB = stage == .network ? network.imageCorrection(thumbnail: v.thumbB, from: .b) : nil
                let ya = network.map(v.a, direction: .aToB, tiling: .default, correction: correctionA, stage: stage)
                let yb = network.map(v.b, direction: .bToA, tiling: .default, correction: correctionB, stage: stage)
                ab += ImageMetrics(prediction: ya, reference: v.b, options: options).psnr
                ba += ImageMetrics(prediction: yb, reference: v.a, options: options).psnr
            }
            return (ab / Double(set.count), ba / Double(set.count))
        }
        if basePSNR == nil { basePSNR = meanPSNR(.base) }
        let psnr = meanPSNR(.network)
        let result = ValidationResult(step: step, pairCount: set.count, psnrAToB: psnr.ab,
                                      psnrBToA: psnr.ba, basePSNRAToB: basePSNR!.ab, basePSNRBToA: basePSNR!.ba)
        lastValidation = result
        return result
    }
}
