import Calibration
import Foundation
import Raw2RawModel
import RawSupport
import RawIO

/// Upper bounds for the evaluation that look at the test target: they cheat, and reports say so.
///
/// An oracle is an ``EvaluationMethod`` made with ``EvaluationMethod/init(oracleNamed:map:)``: the
/// evaluator hands it the test target as well as the source. Its rows are flagged in reports
/// (`"oracle": true` in JSON, "(oracle: uses the test target)" in Markdown) and never count as a
/// baseline. Two oracles bound what the learned model could gain over a global colour fit:
///
/// - ``alignedGainName(_:)`` (`oracle-aligned-rootpoly2-gain` by default): the anchor fit of a kind
///   with one free exposure gain per anchor pair (`ColorMapping.fitAligningExposure`), applied to
///   the source without clipping, times the one scalar gain per image that best fits the target
///   in least squares, then clipped to [0, 1]. The bound for a perfect exposure predictor on top of
///   a global colour fit.
/// - ``perImageLinear4x4Name`` (`oracle-per-image-4x4`): a linear 4x4 fitted by least squares on
///   the test pair itself, applied to the source and clipped. The bound for any per-image global
///   linear mapping.
public enum OracleMethods {
    /// The name of the per-image linear 4x4 oracle: `oracle-per-image-4x4`.
    public static let perImageLinear4x4Name = "oracle-per-image-4x4"

    /// The report name of the exposure oracle on an anchor fit of `kind`, e.g. `oracle-aligned-rootpoly2-gain`.
    public static func alignedGainName(_ kind: ColorMapping.Kind) -> String { "oracle-aligned-\(kind.rawValue)-gain" }

    /// The default saturation level of the gain fit: 0.98, the clipping threshold of Calibration's default mask.
    public static let defaultSaturationLevel = 0.98

    /// Fits the two oracles on the anchor pairs: the exposure oracle on an anchor fit of `kind`,
    /// then the per-image linear 4x4, each for both directions.
    ///
    /// The anchor part is fitted once per direction (anchors read one at a time and reduced by an
    /// even stride to at most `maxPixelsPerPair` pixels, as for ``BaselineMethods``); only the
    /// per-image gain and the per-image 4x4 are fitted on each test pair.
    /// - Parameters:
    ///   - anchors: the anchor pairs (first image: camera A).
    ///   - kind: the colour mapping kind of the exposure oracle. Default `ColorMapping.Kind.rootPolynomial2`.
    ///   - maxPixelsPerPair: the most pixels of each anchor pair, and of each test pair for the
    ///     per-image 4x4, used for fitting. Default 262 144.
    ///   - options: least-squares options of both fits (its mask drops saturated and near-black pixels).
    ///   - saturationLevel: pixels with any channel of the source or the target at or above this
    ///     level are left out of the per-image gain fit. Default ``defaultSaturationLevel``.
    /// - Returns: the exposure oracle, then the per-image 4x4.
    /// - Throws: ``EvaluationError/dataset(_:)`` or ``EvaluationError/calibration(method:error:)``.
    public static func fit(anchors: PackedImagePairSet, kind: ColorMapping.Kind = .rootPolynomial2,
                           maxPixelsPerPair: Int = 1 << 18, options: FitOptions = FitOptions(),
                           saturationLevel: Double = defaultSaturationLevel) throws(EvaluationError) -> [EvaluationMethod] {
        let (sourcesA, sourcesB) = try BaselineMethods.loadStrided(anchors: anchors, maxPixelsPerPair: maxPixelsPerPair)
        return try fit(sourcesA: sourcesA, sourcesB: sourcesB, kind: kind, maxPixelsPerPair: maxPixelsPerPair,
                       options: options, saturationLevel: saturationLevel)
    }

    /// The oracles fitted on anchor pairs already read and reduced.
    static func fit(sourcesA: [PackedImage], sourcesB: [PackedImage], kind: ColorMapping.Kind, maxPixelsPerPair: Int,
                    options: FitOptions, saturationLevel: Double) throws(EvaluationError) -> [EvaluationMethod] {
        let name = alignedGainName(kind)
        let ab: ColorMapping, ba: ColorMapping
        do {
            ab = try ColorMapping.fitAligningExposure(kind, sources: sourcesA, targets: sourcesB, options: options).mapping
            ba = try ColorMapping.fitAligningExposure(kind, sources: sourcesB, targets: sourcesA, options: options).mapping
        } catch {
            throw .calibration(method: name, error: error)
        }
        return [alignedGain(name: name, aToB: ab, bToA: ba, saturationLevel: saturationLevel),
                perImageLinear4x4(maxPixelsPerPair: maxPixelsPerPair, options: options)]
    }

    /// The exposure oracle on given mappings: each test source mapped without clipping, times the
    /// gain that best fits the target in least squares, clipped to [0, 1].
    ///
    /// The gain is `g = Σ t·m / Σ m·m` over the four channels of the pixels where every channel
    /// of both the source and the target is below `saturationLevel` (`m` the unclipped mapped
    /// source, `t` the target); it is 1 when no pixel qualifies or the sums give no positive
    /// finite gain.
    /// - Parameters:
    ///   - name: the report name.
    ///   - aToB: the mapping from camera A to camera B.
    ///   - bToA: the mapping from camera B to camera A.
    ///   - saturationLevel: the saturation level of the gain fit. Default ``defaultSaturationLevel``.
    public static func alignedGain(name: String, aToB: ColorMapping, bToA: ColorMapping,
                                   saturationLevel: Double = defaultSaturationLevel) -> EvaluationMethod {
        EvaluationMethod(oracleNamed: name) { source, target, direction in
            let mapped = try unclipped(direction == .aToB ? aToB : bToA, source)
            let g = Float(bestGain(prediction: mapped, source: source.values, target: target.values,
                                   saturationLevel: saturationLevel))
            return PackedImage(height: source.height, width: source.width,
                               values: mapped.map { Numerics.clipUnit(g * $0) })
        }
    }

    /// The per-image linear 4x4 oracle: a `ColorMapping.Kind.linear4x4` fitted by least squares
    /// from the test source to its own target, applied to the source and clipped to [0, 1].
    ///
    /// The fit uses `options` (by default its mask drops pixels saturated or near black in the
    /// source or the target) on the pair reduced by an even stride to at most `maxPixelsPerPair`
    /// pixels. When too few pixels pass the mask it is fitted on every pixel.
    /// - Parameters:
    ///   - maxPixelsPerPair: the most pixels of each test pair used for fitting. Default 262 144.
    ///   - options: least-squares options.
    public static func perImageLinear4x4(maxPixelsPerPair: Int = 1 << 18, options: FitOptions = FitOptions()) -> EvaluationMethod {
        precondition(maxPixelsPerPair > 0, "maxPixelsPerPair must be positive, got \(maxPixelsPerPair)")
        return EvaluationMethod(oracleNamed: perImageLinear4x4Name) { source, target, _ in
            let s = source.evenSubsample(maxPixels: maxPixelsPerPair), t = target.evenSubsample(maxPixels: maxPixelsPerPair)
            let mapping: ColorMapping
            do throws(CalibrationError) {
                mapping = try ColorMapping.fit(.linear4x4, source: s, target: t, options: options)
            } catch {
                guard case .tooFewSamples = error else { throw error }
                var all = options
                all.mask = .none
                mapping = try ColorMapping.fit(.linear4x4, source: s, target: t, options: all)
            }
            return mapping.apply(to: source)
        }
    }

    /// `mapping` applied to `image` without clipping, as packed values (Calibration's
    /// ``Calibration/ColorMapping/applyUnclipped(to:precision:)``, every kind on the four packed channels).
    static func unclipped(_ mapping: ColorMapping, _ image: PackedImage) throws -> [Float] {
        mapping.applyUnclipped(to: image).values
    }

    /// The least-squares gain of `prediction` onto `target` over the unsaturated pixels (see
    /// ``alignedGain(name:aToB:bToA:saturationLevel:)``); 1 when none qualifies.
    static func bestGain(prediction: [Float], source: [Float], target: [Float], saturationLevel: Double) -> Double {
        precondition(prediction.count == target.count && source.count == target.count, "one prediction per target value needed")
        let level = Float(saturationLevel)
        var tm = 0.0, mm = 0.0
        for p in 0..<(target.count / 4) {
            let i = 4 * p
            guard (0..<4).allSatisfy({ target[i + $0] < level && source[i + $0] < level }) else { continue }
            for c in 0..<4 {
                let m = Double(prediction[i + c])
                tm += Double(target[i + c]) * m
                mm += m * m
            }
        }
        let g = tm / mm
        return mm > 0 && g.isFinite && g > 0 ? g : 1
    }
}
