@testable import Calibration
import Foundation
import RawIO
import Testing
@testable import Raw2RawModel

@Suite("Base selection on held-out anchors")
struct BaseSelectionTests {
    /// A fixed 4x4 cross-talk (rows: outputs R, Gr, Gb, B; columns: inputs).
    static let matrix: [[Float]] = [
        [0.70, 0.15, 0.05, 0.02],
        [0.08, 0.62, 0.10, 0.08],
        [0.06, 0.12, 0.60, 0.10],
        [0.02, 0.05, 0.18, 0.66],
    ]

    /// A random 24x24 scene of patches, with its brightness scaled by `gain`.
    static func scene(_ g: inout SeededGenerator, gain: Float) -> PackedImage {
        let n = 24
        var patches: [SIMD4<Float>] = []
        for _ in 0..<16 {
            let r = 0.05 + 0.4 * g.nextUniform(), gr = 0.05 + 0.4 * g.nextUniform(), b = 0.05 + 0.4 * g.nextUniform()
            patches.append(SIMD4(r, gr, gr * (0.9 + 0.15 * g.nextUniform()), b))
        }
        var v = [Float](repeating: 0, count: n * n * 4)
        for y in 0..<n {
            for x in 0..<n {
                let shade: Float = 0.6 + 0.4 * Float(x + y) / Float(2 * n)
                let texture = SIMD4<Float>(1 + 0.1 * g.nextUniform(), 1 + 0.1 * g.nextUniform(), 1 + 0.1 * g.nextUniform(), 1 + 0.1 * g.nextUniform())
                let p = patches[(y / 6) * 4 + x / 6] * texture * shade * gain
                for c in 0..<4 { v[(y * n + x) * 4 + c] = min(max(p[c], 0), 1) }
            }
        }
        return PackedImage(height: n, width: n, values: v)
    }

    /// `matrix * source + offset`, times `gain`, clipped to [0, 1].
    static func target(_ source: PackedImage, offset: Float = 0, gain: Float = 1) -> PackedImage {
        var out = source.values
        for p in 0..<source.pixelCount {
            for c in 0..<4 {
                var s: Float = offset
                for k in 0..<4 { s += matrix[c][k] * source.values[4 * p + k] }
                out[4 * p + c] = min(max(s * gain, 0), 1)
            }
        }
        return PackedImage(height: source.height, width: source.width, values: out)
    }

    static let candidates = BaseSelection.candidates(for: .default)

    @Test("the default's candidates: the modelled fits first, then every plain anchor baseline")
    func candidateList() {
        #expect(Self.candidates.first == BaseCandidate(kind: .rootPolynomial2, alignsExposure: true, predictsTargetExposure: true))
        #expect(Self.candidates.filter(\.isPlainFit).map(\.kind) == [.linear3x3, .linear4x4, .paperPolynomial, .rootPolynomial2])
        #expect(Self.candidates.filter { !$0.fitsAnchors } == [.identity(predictsTargetExposure: false), .identity(predictsTargetExposure: true)])
        var off = ModelConfiguration.default
        off.alignsAnchorExposure = false
        off.predictsTargetExposure = false
        #expect(BaseSelection.candidates(for: off).allSatisfy { !$0.alignsExposure && !$0.predictsTargetExposure })
        #expect(BaseCandidate.identity(predictsTargetExposure: true).description == "identity + target exposure")
        #expect(BaseCandidate.plain(.linear3x3).description == "plain linear3x3")
        #expect(ModelConfiguration.default.baseMapping == .anchorValidated)
    }

    @Test("a plain fit wins where the pairs share one exposure and the target has an offset no aligned kind can fit")
    func plainFitWins() throws {
        var g = SeededGenerator(seed: 5)
        let sources = (0..<8).map { _ in Self.scene(&g, gain: 1) }
        let targets = sources.map { Self.target($0, offset: 0.04) }
        let unpaired = (0..<8).map { _ in Self.target(Self.scene(&g, gain: 1), offset: 0.04) }
        let s = try BaseSelection.select(Self.candidates, sources: sources, targets: targets,
                                         readings: TargetReadings(targets: unpaired), options: FitOptions(seed: 1),
                                         validationPixels: 4096, direction: .aToB)
        #expect(s.fitted.candidate == .plain(.paperPolynomial), "\(s.note)")
        #expect(s.fitted.exposure == nil)
        #expect(s.fitted.gains == [Double](repeating: 1, count: 8))
        // The 16-term polynomial holds the offset exactly: held-out pairs are predicted nearly perfectly.
        let poly = try #require(s.scores.first { $0.candidate == .plain(.paperPolynomial) })
        #expect(poly.psnr > 50, "\(poly)")
        let aligned = try #require(s.scores.first { $0.candidate.alignsExposure })
        #expect(aligned.psnr < poly.psnr - 10, "\(aligned) vs \(poly)")
    }

    @Test("the exposure model wins where the target camera auto-exposes every capture on its own")
    func exposureModelWins() throws {
        var g = SeededGenerator(seed: 9)
        // The source is exposed at random (±0.5 stop); the target meters each scene to the same
        // 98th-percentile level, whatever the source did.
        func capture(_ scene: PackedImage) -> (source: PackedImage, target: PackedImage) {
            let sourceGain = Float(exp2(Double(g.nextUniform()) - 0.5))
            let linear = Self.target(scene, gain: 1)
            let gain = Float(0.7 / ExposureMeter.maxChannelPercentile(0.98).reading(of: linear))
            let source = PackedImage(height: scene.height, width: scene.width, values: scene.values.map { min($0 * sourceGain, 1) })
            return (source, Self.target(scene, gain: gain))
        }
        let pairs = (0..<8).map { _ in capture(Self.scene(&g, gain: 0.8)) }
        let unpaired = (0..<12).map { _ in capture(Self.scene(&g, gain: 0.8)).target }
        let s = try BaseSelection.select(Self.candidates, sources: pairs.map(\.source), targets: pairs.map(\.target),
                                         readings: TargetReadings(targets: unpaired), options: FitOptions(seed: 1),
                                         validationPixels: 4096, direction: .aToB)
        #expect(s.fitted.candidate.alignsExposure && s.fitted.candidate.predictsTargetExposure, "\(s.note)")
        let exposure = try #require(s.fitted.exposure)
        #expect(exposure.strength > 0.9, "\(exposure)")
        let best = try #require(s.scores.max { $0.psnr < $1.psnr })
        let bestPlain = try #require(s.scores.filter { !$0.candidate.alignsExposure }.max { $0.psnr < $1.psnr })
        #expect(best.psnr > bestPlain.psnr + 6, "\(best) vs \(bestPlain)")
    }

    @Test("choosing: colour decides among aligned fits; another family replaces the modelled one only by a clear margin")
    func choosing() {
        // Eight folds spread around the mean in the same pattern for every candidate: the
        // per-fold differences are constant, so their standard error is 0.
        func score(_ c: BaseCandidate, _ psnr: Double, _ angle: Double, noise: Double = 0) -> BaseCandidateScore {
            var folds: [Double] = []
            for i in 0..<8 {
                let sign: Double = i % 2 == 0 ? 1 : -1
                let pattern: Double = sign * 0.1 * Double(i / 2 + 1) / 2.5
                folds.append(psnr + pattern + sign * noise)
            }
            return BaseCandidateScore(candidate: c, foldPSNR: folds, angularError: angle)
        }
        let a2 = BaseCandidate(kind: .rootPolynomial2, alignsExposure: true, predictsTargetExposure: true)
        let a4 = BaseCandidate(kind: .linear4x4, alignsExposure: true, predictsTargetExposure: true)
        // The aligned 4x4 has the higher PSNR but the worse colour: root-polynomial 2 represents the family.
        let scores = [score(a2, 30.0, 1.5), score(a4, 30.2, 1.9), score(.plain(.linear3x3), 29.0, 1.4),
                      score(.plain(.rootPolynomial2), 29.5, 1.6)]
        #expect(BaseSelection.choose(scores)?.candidate == a2)
        #expect(BaseSelection.familyWinners(scores).reference?.candidate == a2)
        // A plain fit that beats the modelled winner on every held-out pair is chosen.
        let better = [score(a2, 30.0, 1.5), score(a4, 30.6, 1.9), score(.plain(.linear3x3), 30.1, 1.4),
                      score(.plain(.rootPolynomial2), 30.3, 1.2)]
        #expect(BaseSelection.choose(better)?.candidate == .plain(.rootPolynomial2))
        // The same mean advantage (+0.3 dB) with fold differences of ±1 dB (standard error 0.38 dB): not clear enough.
        let noisy = [score(a2, 30.0, 1.5), score(.plain(.rootPolynomial2), 30.3, 1.2, noise: 1)]
        let advantage = BaseSelection.advantage(noisy[1], over: noisy[0])
        #expect(abs(advantage.mean - 0.3) < 1e-9 && abs(advantage.standardError - 1 / 7.0.squareRoot()) < 1e-9)
        #expect(BaseSelection.choose(noisy)?.candidate == a2)
        // Without modelled candidates the best plain fit is the reference; the identity must beat it clearly.
        let plainOnly = [score(.plain(.linear3x3), 29.0, 1.4), score(.plain(.rootPolynomial2), 29.5, 1.6),
                         score(.identity(predictsTargetExposure: false), 29.7, 2.0, noise: 1)]
        #expect(BaseSelection.choose(plainOnly)?.candidate == .plain(.rootPolynomial2))
        #expect(BaseSelection.choose([]) == nil)
    }

    @Test("a 3x3 with averaged greens becomes the same mapping on the four packed channels")
    func linear3x3OnPackedChannels() throws {
        let m3 = try ColorMapping(kind: .linear3x3, coefficients: [0.9, 0.1, 0.0, 0.2, 0.7, 0.1, 0.05, 0.1, 0.8])
        let m4 = try m3.onPackedChannels()
        #expect(m4.kind == .linear4x4)
        for pixel in [SIMD4<Double>(0.2, 0.4, 0.3, 0.1), SIMD4(0.9, 0.1, 0.5, 0.7)] {
            let a = m3.evaluate(pixel), b = m4.evaluate(pixel)
            for c in 0..<4 { #expect(abs(a[c] - b[c]) < 1e-12) }
        }
        // G = 0.1 r + 0.7 g + 0.1 b with g the mean green (0.3 here): 0.24, written to both greens.
        let green = m4.evaluate(SIMD4<Double>(0.2, 0.4, 0.2, 0.1))
        #expect(abs(green[1] - 0.24) < 1e-12 && abs(green[2] - 0.24) < 1e-12)
    }

    @Test("new meters: the mean of all channels and the centre-weighted mean")
    func meters() {
        // Left half 0.2, right half 0.6 in every channel: the mean is 0.4 and so is the symmetric centre weighting.
        let w = 10, h = 6
        var v = [Float]()
        for _ in 0..<h { for x in 0..<w { v += [Float](repeating: x < w / 2 ? 0.2 : 0.6, count: 4) } }
        let halves = PackedImage(height: h, width: w, values: v)
        #expect(abs(ExposureMeter.channelMean.reading(of: halves) - 0.4) < 1e-6)
        #expect(abs(ExposureMeter.centreWeightedMean.reading(of: halves) - 0.4) < 1e-6)
        // A bright centre and a dark border: centre weighting reads brighter than the plain mean.
        var c = [Float]()
        for y in 0..<9 { for x in 0..<9 { c += [Float](repeating: abs(y - 4) <= 1 && abs(x - 4) <= 1 ? 0.9 : 0.1, count: 4) } }
        let spot = PackedImage(height: 9, width: 9, values: c)
        let mean = (9 * 0.9 + 72 * 0.1) / 81
        #expect(abs(ExposureMeter.channelMean.reading(of: spot) - mean) < 1e-6)
        // Gaussian weights with a standard deviation of 9 / 3 = 3 pixels around (4, 4).
        var weighted = 0.0, total = 0.0
        for y in 0..<9 {
            for x in 0..<9 {
                let w = exp(-Double((y - 4) * (y - 4) + (x - 4) * (x - 4)) / 18)
                weighted += w * (abs(y - 4) <= 1 && abs(x - 4) <= 1 ? 0.9 : 0.1)
                total += w
            }
        }
        #expect(abs(ExposureMeter.centreWeightedMean.reading(of: spot) - weighted / total) < 1e-5)
        #expect(ExposureMeter.centreWeightedMean.reading(of: spot) > mean + 0.05)
        // An average meter saturates when more than 5 % of its values are clipped; a highlight meter at 0.97.
        #expect(!ExposureMeter.channelMean.isSaturated(spot) && !ExposureMeter.maxChannelPercentile(0.98).isSaturated(spot))
        let white = PackedImage(height: 9, width: 9, values: c.map { $0 > 0.5 ? 1 : 0.1 })
        #expect(ExposureMeter.channelMean.isSaturated(white) && ExposureMeter.centreWeightedMean.isSaturated(white))
        #expect(ExposureMeter.channelMean.description == "mean(all)" && ExposureMeter.centreWeightedMean.description == "centre(all)")
    }
}
