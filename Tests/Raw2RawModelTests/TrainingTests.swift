@testable import Calibration
import Foundation
import RawIO
import RawTensor
import Testing
@testable import Raw2RawModel

/// Mean PSNR of a mapping over pairs.
func meanPSNR(_ pairs: PackedImagePairSet, _ map: (PackedImage) throws -> PackedImage) throws -> Double {
    var total = 0.0
    for i in 0..<pairs.count {
        let p = try pairs.pair(at: i)
        total += ImageMetrics(prediction: try map(p.a), reference: p.b, options: MetricOptions(computesSSIM: false)).psnr
    }
    return total / Double(pairs.count)
}

@Suite("Training", .serialized)
struct TrainingTests {
    @Test("the paper formulation's training loss falls")
    func paperLossFalls() throws {
        let ds = SyntheticDataset(unpaired: 6, anchors: 4, tests: 0, size: 48)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        var c = TrainingConfiguration.tiny(.paper, steps: 80)
        c.optimization.learningRate = 2e-3
        c.optimization.schedule = ScheduleConfiguration(kind: .constant)  // 80 steps: no warm-up, no decay
        let trainer = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out)
        var totals: [Float] = []
        try trainer.run { totals.append($0.losses.total) }
        #expect(totals.count == 80)
        let first = totals.prefix(10).reduce(0, +) / 10, last = totals.suffix(10).reduce(0, +) / 10
        #expect(last < 0.6 * first, "loss went from \(first) to \(last)")
        #expect(trainer.lastLosses!.reconstruction > 0 && trainer.lastLosses!.alignment > 0 && trainer.lastLosses!.mapping > 0)
    }

    /// Camera B is exactly a 4x4 matrix of camera A, so a zero error is reachable. The model starts
    /// from a least-squares 4x4 fitted on a subsample and learns per-pixel and per-image corrections:
    /// training must lower its loss by a clear factor and bring held-out pairs clearly closer than
    /// the untrained start (same seed, 0 steps). Measured: loss 4.2x lower, +11 and +19 dB.
    @Test("training approaches a known optimum: loss falls 3x, held-out PSNR rises 5 dB over the untrained start")
    func trainingApproachesAKnownOptimum() throws {
        let ds = SyntheticDataset(unpaired: 6, anchors: 6, tests: 4, size: 48, response: .matrix)
        let out = SyntheticDataset.modelFolder(), startOut = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: startOut) }
        let data = try ds.trainingData()
        var c = TrainingConfiguration.tiny(.default, steps: 400)
        c.model.baseMapping = .linear4x4
        c.model.alignsAnchorExposure = false
        c.model.predictsTargetExposure = false
        c.model.pixelResidual = true
        c.optimization.learningRate = 3e-3
        #expect(c.problems().isEmpty)
        let trainer = try Trainer(configuration: c, data: data, modelDirectory: out)
        var totals: [Float] = []
        try trainer.run { totals.append($0.losses.total) }
        let first = totals.prefix(10).reduce(0, +) / 10, last = totals.suffix(10).reduce(0, +) / 10
        #expect(last < first / 3, "training loss went from \(first) to \(last)")
        c.optimization.steps = 0
        let start = try Trainer(configuration: c, data: data, modelDirectory: startOut)
        try start.run()
        let tests = try ds.layout.testPairs(cameraA: "A", cameraB: "B")
        for source in CameraSide.allCases {
            let pairs = source == .a ? tests : tests.swapped
            let trained = try meanPSNR(pairs) { trainer.network.map($0, direction: MappingDirection(from: source)) }
            let untrained = try meanPSNR(pairs) { start.network.map($0, direction: MappingDirection(from: source)) }
            #expect(trained > untrained + 5, "from \(source): untrained \(untrained) dB, trained \(trained) dB")
        }
    }

    @Test("the default model beats identity and the anchor linear 3x3 on held-out pairs")
    func defaultBeatsBaselines() throws {
        let ds = SyntheticDataset(unpaired: 10, anchors: 6, tests: 6, size: 64)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let data = try ds.trainingData()
        var c = TrainingConfiguration.tiny(.default, steps: 300)
        c.monitoring.validationInterval = 100
        let trainer = try Trainer(configuration: c, data: data, modelDirectory: out)
        try trainer.run()
        // The least-squares and exposure parts alone (no context branch, no training): what the
        // choice on held-out anchors guarantees.
        var ls = c
        ls.optimization.steps = 0
        ls.model.contextWidth = 0
        let lsOut = SyntheticDataset.modelFolder()
        defer { try? FileManager.default.removeItem(at: lsOut) }
        let lsTrainer = try Trainer(configuration: ls, data: data, modelDirectory: lsOut)
        try lsTrainer.run()
        let tests = try ds.layout.testPairs(cameraA: "A", cameraB: "B")
        let anchors = try ds.layout.anchorPairs(cameraA: "A", cameraB: "B")
        var sa: [PackedImage] = [], sb: [PackedImage] = []
        for i in 0..<anchors.count { let p = try anchors.pair(at: i); sa.append(p.a); sb.append(p.b) }
        for source in CameraSide.allCases {
            let pairs = source == .a ? tests : tests.swapped
            let (s, t) = source == .a ? (sa, sb) : (sb, sa)
            let linear = try ColorMapping.fit(.linear3x3, sources: s, targets: t)
            let identity = try meanPSNR(pairs) { $0 }
            let linearPSNR = try meanPSNR(pairs) { linear.apply(to: $0) }
            // Every plain least-squares fit an evaluation reports as a baseline, fitted on the anchors.
            var plain: [Double] = []
            for kind in [ColorMapping.Kind.linear4x4, .paperPolynomial, .rootPolynomial2] {
                let m = try ColorMapping.fit(kind, sources: s, targets: t)
                plain.append(try meanPSNR(pairs) { m.apply(to: $0) })
            }
            let model = try meanPSNR(pairs) { trainer.network.map($0, direction: MappingDirection(from: source)) }
            let leastSquares = try meanPSNR(pairs) { lsTrainer.network.map($0, direction: MappingDirection(from: source)) }
            print("PSNR from \(source) on held-out pairs: identity \(identity), anchor linear3x3 \(linearPSNR), "
                  + "anchor 4x4 / poly16 / rootpoly2 \(plain), least-squares part \(leastSquares), trained model \(model)")
            #expect(model > identity + 1)
            #expect(model > linearPSNR + 0.5)
            // These cameras expose every pair alike and differ by tone curves: the choice must land
            // on the 16-term polynomial (the only kind that fits them), not lose to it.
            #expect(leastSquares > plain.max()! - 0.05, "the least-squares part must not lose to the best plain anchor fit")
            // Whether training improves on the least-squares start is tested on a problem with a known
            // optimum (trainingApproachesAKnownOptimum); on this toy set it is only printed above.
        }
        // The saved model maps exactly like the trained one.
        let loaded = try Raw2RawNetwork(contentsOf: out)
        let p = try tests.pair(at: 0)
        #expect(loaded.map(p.a, direction: .aToB) == trainer.network.map(p.a, direction: .aToB))
        #expect(try Raw2RawNetwork.readDescription(out).training?.steps == 300)
        // The default fits per-pair exposure gains (geometric mean 1).
        let gains = try #require(trainer.anchorGains)
        for g in [gains.aToB, gains.bToA] {
            #expect(g.count == anchors.count)
            #expect(abs(g.map(log).reduce(0, +)) < 1e-9)
        }
        // Target exposures (present or not: these cameras expose every pair alike) survive saving.
        #expect(loaded.targetExposures == trainer.network.targetExposures)
    }
}
