import Foundation
import RawIO
import Testing
@testable import Calibration
@testable import Raw2RawModel

@Suite("Target exposure")
struct TargetExposureTests {
    /// A `1 x n` image whose pixels are `(v, v/2, v/2, v/4)` for the given `v`s.
    static func ramp(_ values: [Float]) -> PackedImage {
        PackedImage(height: 1, width: values.count, values: values.flatMap { [$0, $0 / 2, $0 / 2, $0 / 4] })
    }

    /// A random scene of `n` pixels with brightness spread over 2 stops, scaled by `gain`.
    static func scene(seed: UInt64, gain: Double) -> PackedImage {
        var g = SeededGenerator(seed: seed)
        let n = 400
        var v = [Float]()
        for _ in 0..<n {
            let base = Float(0.1 + 0.3 * Double(g.nextUniform()))
            v += [base * 1.1, base, base * 0.95, base * 0.6].map { Float(Double($0) * gain) }
        }
        return PackedImage(height: 20, width: 20, values: v)
    }

    @Test("meter readings: percentile of the largest channel and green mean, on clipped values")
    func readings() {
        let image = Self.ramp((0..<101).map { Float($0) / 50 })   // R = 0, 0.02, ..., 2 (clipped to 1)
        #expect(abs(ExposureMeter.maxChannelPercentile(0.25).reading(of: image) - 0.5) < 1e-6)
        #expect(ExposureMeter.maxChannelPercentile(0.98).reading(of: image) == 1)
        // Greens are R/2: 0...1, mean 0.5 over 101 values.
        #expect(abs(ExposureMeter.greenMean.reading(of: image) - 0.5) < 1e-6)
        #expect(ExposureMeter.greenMean.reading(of: Self.ramp([0, 0])) == 1e-6)
        #expect(ExposureMeter.maxChannelPercentile(0.98).description == "p98(max)")
        // A mapped image before clipping is read beyond white: 0.98 * 100 = position 98, R = 1.96.
        #expect(abs(ExposureMeter.maxChannelPercentile(0.98).reading(of: image, clipsHighlights: false) - 1.96) < 1e-6)
    }

    @Test("auto-exposed target camera: full strength, and mapped images land on the target level")
    func autoExposedTarget() throws {
        var g = SeededGenerator(seed: 11)
        func jitter() -> Double { exp2(0.6 * Double(g.nextUniform()) - 0.3) }
        // Each image is exposed on its own: readings scatter around one level, independently
        // between the two images of a pair.
        let targets = (0..<40).map { Self.scene(seed: 100 + UInt64($0), gain: 1.5 * jitter()) }
        let anchorScenes = (0..<24).map { UInt64(300 + $0) }
        let anchorMapped = anchorScenes.map { Self.scene(seed: $0, gain: 1.2 * jitter()) }
        let anchorTargets = anchorScenes.map { Self.scene(seed: $0, gain: 1.5 * jitter()) }
        let model = try #require(TargetExposure.fit(targets: targets, anchorMapped: anchorMapped, anchorTargets: anchorTargets))
        #expect(model.strength > 0.6, "strength \(model.strength)")
        #expect(model.expectedLogError < model.uncorrectedLogError)
        // A mapped image exposed 1.2x moves toward the target camera's level (1.5x).
        let probe = Self.scene(seed: 999, gain: 1.2)
        let before = abs(log(model.meter.reading(of: probe)) - model.targetLogLevel)
        let after = abs(log(model.meter.reading(of: model.apply(to: probe))) - model.targetLogLevel)
        #expect(after < before * (1 - model.strength) + 0.02, "log distance to the target level \(before) -> \(after)")
    }

    @Test("fixed exposure in both cameras: no correction")
    func fixedExposure() throws {
        // The brightness of a pair is the scene's own, shared by both images; scenes vary by 3 stops.
        let gains = (0..<40).map { exp2(3 * Double($0) / 39 - 1.5) }
        let targets = gains.enumerated().map { Self.scene(seed: 400 + UInt64($0.offset), gain: $0.element) }
        let anchors = [0.5, 0.8, 1.2, 2.0, 0.6, 1.6].enumerated().map { Self.scene(seed: 600 + UInt64($0.offset), gain: $0.element) }
        // The source's own exposure predicts every anchor exactly: no model can do better on held-out anchors.
        #expect(TargetExposure.fit(targets: targets, anchorMapped: anchors, anchorTargets: anchors) == nil)
        // With a little disagreement between the pairs, a model, if any, keeps the source's exposure.
        let mapped = anchors.enumerated().map { i, a in
            PackedImage(height: a.height, width: a.width, values: a.values.map { $0 * Float(1 + 0.03 * Double(i % 3 - 1)) })
        }
        if let model = TargetExposure.fit(targets: targets, anchorMapped: mapped, anchorTargets: anchors) {
            #expect(model.strength < 0.1, "strength \(model.strength)")
        }
    }

    @Test("the meter is one the target camera holds steady: a mean-metering camera gets an average meter")
    func meterBySpread() throws {
        var g = SeededGenerator(seed: 21)
        // Scenes of very different contrast: highlight percentiles vary from scene to scene,
        // the mean does not, because the camera exposes every capture to a mean of 0.2 (±2 %).
        func scene(_ seed: UInt64) -> PackedImage {
            var r = SeededGenerator(seed: seed)
            let contrast = 0.2 + 1.6 * Double(r.nextUniform())
            var v = [Float]()
            for _ in 0..<400 {
                let base = Float(pow(Double(r.nextUniform()), 1 + contrast))
                v += [base * 1.1, base, base * 0.95, base * 0.6]
            }
            let image = PackedImage(height: 20, width: 20, values: v)
            let gain = 0.2 * (1 + 0.02 * (2 * Double(g.nextUniform()) - 1)) / ExposureMeter.channelMean.reading(of: image)
            return PackedImage(height: 20, width: 20, values: v.map { min($0 * Float(gain), 1) })
        }
        let targets = (0..<40).map { scene(700 + UInt64($0)) }
        let anchorTargets = (0..<8).map { scene(800 + UInt64($0)) }
        // The mapped sources are the same scenes exposed at random (±0.5 stop).
        let anchorMapped = anchorTargets.map { t in
            PackedImage(height: t.height, width: t.width, values: t.values.map { $0 * Float(exp2(Double(g.nextUniform()) - 0.5)) })
        }
        let model = try #require(TargetExposure.fit(targets: targets, anchorMapped: anchorMapped, anchorTargets: anchorTargets))
        #expect(model.meter == .channelMean || model.meter == .centreWeightedMean || model.meter == .greenMean, "\(model)")
        #expect(model.strength > 0.9, "\(model)")
        #expect(abs(exp(model.targetLogLevel) - 0.2) < 0.01, "\(model)")
    }

    @Test("too few images or usable anchors: no model")
    func tooFew() {
        let one = [Self.scene(seed: 1, gain: 1)]
        #expect(TargetExposure.fit(targets: one, anchorMapped: one, anchorTargets: one) == nil)
        #expect(TargetExposure.fit(targets: one + one, anchorMapped: [], anchorTargets: []) == nil)
        // Every target saturates: no meter can be matched.
        let bright = (0..<4).map { Self.scene(seed: UInt64(10 + $0), gain: 8) }
        #expect(TargetExposure.fit(targets: bright, anchorMapped: bright, anchorTargets: bright) == nil)
    }

    @Test("the model round-trips through JSON")
    func codable() throws {
        let m = TargetExposure(meter: .maxChannelPercentile(0.99), targetLogLevel: -0.2, strength: 0.8,
                               expectedLogError: 0.1, uncorrectedLogError: 0.2)
        let data = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(TargetExposure.self, from: data) == m)
    }

    @Test("a network re-exposes mapped images with its model, and keeps it through save and load")
    func networkApplies() throws {
        let network = try randomNetwork(InferenceTests.tinyDefault)
        let image = testImage(height: 40, width: 52)
        let plain = network.map(image, direction: .aToB, tiling: .untiled)
        let plainB = network.map(image, direction: .bToA, tiling: .untiled)
        // Full strength toward a green mean of 0.2.
        let model = TargetExposure(meter: .greenMean, targetLogLevel: log(0.2), strength: 1,
                                   expectedLogError: 0, uncorrectedLogError: 0.3)
        network.targetExposures = DirectionPair(aToB: model, bToA: nil)
        let exposed = network.map(image, direction: .aToB, tiling: .untiled)
        #expect(abs(ExposureMeter.greenMean.reading(of: exposed) - 0.2) < 0.01)
        #expect(network.map(image, direction: .bToA, tiling: .untiled) == plainB)
        #expect(plain != exposed)
        let folder = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try network.save(to: folder)
        let loaded = try Raw2RawNetwork(contentsOf: folder)
        #expect(loaded.targetExposures == DirectionPair(aToB: model, bToA: nil))
        #expect(loaded.map(image, direction: .aToB, tiling: .untiled) == exposed)
    }

    @Test("configurations written before the exposure options decode with their preset's values")
    func olderConfigurations() throws {
        let d = try JSONDecoder().decode(ModelConfiguration.self, from: Data(#"{"preset":"default","contextWidth":16}"#.utf8))
        #expect(d.alignsAnchorExposure && d.predictsTargetExposure && d.contextWidth == 16)
        let p = try JSONDecoder().decode(ModelConfiguration.self, from: Data(#"{"preset":"paper"}"#.utf8))
        #expect(!p.alignsAnchorExposure && !p.predictsTargetExposure)
        var bad = ModelConfiguration.paper
        bad.predictsTargetExposure = true
        #expect(bad.problems().contains { $0.contains("exposure") })
        var identity = ModelConfiguration.default
        identity.baseMapping = .identity
        #expect(identity.problems().contains { $0.contains("alignsAnchorExposure") })
    }
}
