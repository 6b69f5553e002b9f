import Calibration
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
        c.learningRate = 2e-3
        let trainer = try Trainer(configuration: c, data: ds.trainingData(), modelDirectory: out)
        var totals: [Float] = []
        try trainer.run { totals.append($0.losses.total) }
        #expect(totals.count == 80)
        let first = totals.prefix(10).reduce(0, +) / 10, last = totals.suffix(10).reduce(0, +) / 10
        #expect(last < 0.6 * first, "loss went from \(first) to \(last)")
        #expect(trainer.lastLosses!.reconstruction > 0 && trainer.lastLosses!.alignment > 0 && trainer.lastLosses!.mapping > 0)
    }

    @Test("the default model beats identity and the anchor linear 3x3 on held-out pairs")
    func defaultBeatsBaselines() throws {
        let ds = SyntheticDataset(unpaired: 10, anchors: 6, tests: 6, size: 64)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let data = try ds.trainingData()
        var c = TrainingConfiguration.tiny(.default, steps: 300)
        c.validationInterval = 100
        let trainer = try Trainer(configuration: c, data: data, modelDirectory: out)
        try trainer.run()
        let tests = try ds.layout.testPairs(cameraA: "A", cameraB: "B")
        let anchors = try ds.layout.anchorPairs(cameraA: "A", cameraB: "B")
        var sa: [PackedImage] = [], sb: [PackedImage] = []
        for i in 0..<anchors.count { let p = try anchors.pair(at: i); sa.append(p.a); sb.append(p.b) }
        for source in CameraSide.allCases {
            let pairs = source == .a ? tests : tests.swapped
            let linear = try ColorMapping.fit(.linear3x3, sources: source == .a ? sa : sb, targets: source == .a ? sb : sa)
            let base = trainer.network.baseMapping(from: source)!
            let identity = try meanPSNR(pairs) { $0 }
            let linearPSNR = try meanPSNR(pairs) { linear.apply(to: $0) }
            let basePSNR = try meanPSNR(pairs) { base.apply(to: $0) }
            let model = try meanPSNR(pairs) { trainer.network.map($0, from: source) }
            print("PSNR from \(source) on held-out pairs: identity \(identity), anchor linear3x3 \(linearPSNR), "
                  + "anchor rootpoly2 (the base) \(basePSNR), trained model \(model)")
            #expect(model > identity + 1)
            #expect(model > linearPSNR + 0.5)
            #expect(model > basePSNR - 0.1)
        }
        // The saved model maps exactly like the trained one.
        let loaded = try Raw2RawNetwork(contentsOf: out)
        let p = try tests.pair(at: 0)
        #expect(loaded.map(p.a, from: .a) == trainer.network.map(p.a, from: .a))
        #expect(try Raw2RawNetwork.readDescription(out).training?.steps == 300)
        // The default fits per-pair exposure gains (geometric mean 1) and a target-exposure model per direction.
        let gains = try #require(trainer.anchorGains)
        for g in [gains.aToB, gains.bToA] {
            #expect(g.count == anchors.count)
            #expect(abs(g.map(log).reduce(0, +)) < 1e-9)
        }
        #expect(loaded.targetExposure(from: .a) == trainer.network.targetExposure(from: .a))
        #expect(loaded.targetExposure(from: .a) != nil && loaded.targetExposure(from: .b) != nil)
    }
}
