import Calibration
import Foundation
import RawIO
import RawTensor
import Testing
@testable import Raw2RawModel

/// A random `[n, 4, h, w]` tensor with values in [lo, hi).
func randomTensor(_ shape: [Int], seed: UInt64, in range: Range<Float> = 0.05..<0.95) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, values: (0..<count).map { _ in range.lowerBound + (range.upperBound - range.lowerBound) * g.nextUniform() })
}

/// The gradient of `sum(weights * f(x))` by central differences in Double-accumulated Float.
func numericGradient(_ x: Tensor, weights: Tensor, step: Float = 1e-3, _ f: (Tensor) -> Tensor) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    let w = weights.scalars
    func objective(_ t: Tensor) -> Double {
        zip(f(t).scalars, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    for i in 0..<x.count {
        var plus = x, minus = x
        plus.withUnsafeMutableBufferPointer { $0[i] += step }
        minus.withUnsafeMutableBufferPointer { $0[i] -= step }
        out[i] = Float((objective(plus) - objective(minus)) / Double(2 * step))
    }
    return out
}

@Suite("Components")
struct ComponentTests {
    static func fitted(_ kind: ColorMapping.Kind) throws -> ColorMapping {
        let a = testImage(height: 24, width: 24, seed: 1)
        var b = a
        for i in 0..<b.pixelCount {
            let p = a.pixel(y: i / 24, x: i % 24)
            b.values[i * 4] = 0.7 * p[0] + 0.2 * p[1] + 0.1 * (p[0] * p[3]).squareRoot()
            b.values[i * 4 + 1] = 0.9 * p[1] + 0.1 * p[3]
            b.values[i * 4 + 2] = 0.85 * p[2] + 0.1 * p[0] + 0.02
            b.values[i * 4 + 3] = 0.6 * p[3] + 0.3 * p[2] * p[2]
        }
        return try ColorMapping.fit(kind, source: a, target: b)
    }

    @Test("the base mapping on tensors equals ColorMapping.evaluate", arguments: [ColorMapping.Kind.rootPolynomial2, .paperPolynomial, .affine, .linear4x4])
    func baseMatchesCalibration(kind: ColorMapping.Kind) throws {
        let mapping = try Self.fitted(kind)
        let base = BaseMapping(mapping)
        let x = randomTensor([2, 4, 5, 7], seed: 2)
        let y = base.apply(x).value
        for n in 0..<2 { for i in 0..<5 { for j in 0..<7 {
            let p = SIMD4<Double>((0..<4).map { Double(x[n, $0, i, j]) })
            let e = mapping.evaluate(p)
            for c in 0..<4 { #expect(Swift.abs(Double(y[n, c, i, j]) - e[c]) < 2e-5) }
        } } }
    }

    @Test("the base mapping's gradient matches finite differences", arguments: [ColorMapping.Kind.rootPolynomial2, .paperPolynomial])
    func baseGradient(kind: ColorMapping.Kind) throws {
        let base = BaseMapping(try Self.fitted(kind))
        let x = randomTensor([1, 4, 3, 4], seed: 3, in: 0.2..<0.9)
        let w = randomTensor([1, 4, 3, 4], seed: 4, in: -1..<1)
        let v = Variable(x, requiresGradient: true)
        let y = base(v)
        #expect(y.value.scalars.enumerated().allSatisfy { Swift.abs($0.element - base.apply(x).value.scalars[$0.offset]) < 1e-5 })
        (y * Variable(w)).sum().backward()
        let numeric = numericGradient(x, weights: w) { base.apply($0).value }
        for (a, b) in zip(v.gradient!.scalars, numeric) { #expect(Swift.abs(a - b) < 2e-3 * max(1, Swift.abs(b)), "\(a) vs \(b)") }
    }

    @Test("the per-image correction y + M y + b and its gradients match finite differences")
    func correctionGradient() {
        let y = randomTensor([2, 4, 3, 3], seed: 5)
        let m = randomTensor([2, 20], seed: 6, in: -0.5..<0.5)
        let w = randomTensor([2, 4, 3, 3], seed: 7, in: -1..<1)
        let vy = Variable(y, requiresGradient: true), vm = Variable(m, requiresGradient: true)
        let out = Raw2RawNetwork.applyCorrection(vm, to: vy)
        for n in 0..<2 { for c in 0..<4 { for i in 0..<3 { for j in 0..<3 {
            var e = y[n, c, i, j] + m[n, 16 + c]
            for k in 0..<4 { e += m[n, c * 4 + k] * y[n, k, i, j] }
            #expect(Swift.abs(out.value[n, c, i, j] - e) < 1e-6)
        } } } }
        (out * Variable(w)).sum().backward()
        let gy = numericGradient(y, weights: w) { Raw2RawNetwork.applyCorrection(Variable(m), to: Variable($0)).value }
        let gm = numericGradient(m, weights: w) { Raw2RawNetwork.applyCorrection(Variable($0), to: Variable(y)).value }
        for (a, b) in zip(vy.gradient!.scalars, gy) { #expect(Swift.abs(a - b) < 2e-3) }
        for (a, b) in zip(vm.gradient!.scalars, gm) { #expect(Swift.abs(a - b) < 2e-3) }
    }

    @Test("configurations decode partially from their preset and round-trip")
    func configurationJSON() throws {
        let json = #"{"preset": "paper", "steps": 5000, "lossWeights": {"cycle": 0.5}, "model": {"channels": [16, 32, 64]}}"#
        let c = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(json.utf8))
        var expected = TrainingConfiguration.paper
        expected.optimization.steps = 5000
        expected.lossWeights.cycle = 0.5
        expected.model.channels = [16, 32, 64]
        #expect(c == expected)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: Data("{}".utf8)) == .default)
        for preset in [TrainingConfiguration.default, .paper] {
            let data = try JSONEncoder().encode(preset)
            #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: data) == preset)
            #expect(preset.problems().isEmpty)
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"preset": "fancy"}"#.utf8))
        }
        var bad = TrainingConfiguration.default
        bad.sampling.patchSize = 30
        bad.model.correctionInitScale = 0
        bad.lossWeights.mapping = -1
        let problems = bad.problems()
        #expect(problems.count == 3)
        #expect(problems.contains { $0.contains("patchSize") } && problems.contains { $0.contains("never exactly zero") })
        #expect(ModelConfiguration.paper.channels == [32, 64, 128] && ModelConfiguration.paper.outputRange == .sigmoid)
        #expect(TrainingConfiguration.paper.lossWeights == LossWeights(reconstruction: 1, alignment: 1, mapping: 1, cycle: 0))
    }

    @Test("the paper network has the reference's 518,116 parameters per encoder and decoder")
    func paperParameterCount() {
        let network = Raw2RawNetwork(configuration: .paper, cameraA: "A", cameraB: "B", seed: 0)
        #expect(network.parameterCount == 2 * 518_116)
        #expect(network.namedParameters().map(\.name).contains("encoderA.levels.0.conv1.weight"))
    }

    @Test("patches are cut and flipped channel-first; thumbnails average areas")
    func patchesAndThumbnails() {
        let image = testImage(height: 10, width: 12)
        var patch = [Float](repeating: 0, count: 4 * 4 * 4)
        patch.withUnsafeMutableBufferPointer {
            image.copyPatch(y: 3, x: 5, size: 4, flipHorizontal: true, flipVertical: false, into: $0.baseAddress!)
        }
        for c in 0..<4 { for y in 0..<4 { for x in 0..<4 {
            #expect(patch[c * 16 + y * 4 + x] == image[3 + y, 5 + 3 - x, PackedChannel(rawValue: c)!])
        } } }
        let thumb = image.thumbnail(size: 2)
        var mean: Float = 0
        for y in 0..<5 { for x in 0..<6 { mean += image[y, x, .red] } }
        #expect(Swift.abs(thumb[0] - mean / 30) < 1e-5)
    }

    @Test("the sampler's pool keeps at most the resident images and visits others over time")
    func samplerPool() throws {
        let ds = SyntheticDataset(unpaired: 6, anchors: 2, tests: 0, size: 40)
        defer { ds.remove() }
        let data = try ds.trainingData()
        let sampler = PatchSampler(unpairedA: data.unpairedA, unpairedB: data.unpairedB, anchors: data.anchors,
                                   patchSize: 16, thumbnailSize: 8, flips: true, residentImages: 2, refreshInterval: 1,
                                   generator: SeededGenerator(seed: 9))
        var visited = Set<Int>()
        for step in 0..<30 {
            let b = try sampler.batch(step: step, unpaired: 3, anchorCount: 2)
            #expect(b.unpairedA.shape == [3, 4, 16, 16] && b.anchorBThumbnails.shape == [2, 4, 8, 8])
            #expect(sampler.state.residentA.count == 2 && Set(sampler.state.residentA).count == 2)
            visited.formUnion(sampler.state.residentA)
        }
        #expect(visited.count == 6)
    }

    @Test("gain augmentation scales both images of an anchor pair alike, within [0, 1], and is off by default")
    func gainAugmentation() throws {
        let image = PackedImage(height: 24, width: 24, values: [Float](repeating: 0.25, count: 24 * 24 * 4))
        let unpaired = PackedImageSet(images: [image, image]), anchors = PackedImagePairSet(imagesA: [image], imagesB: [image])
        func batch(_ gain: Float) throws -> TrainingBatch {
            let sampler = PatchSampler(unpairedA: unpaired, unpairedB: unpaired, anchors: anchors, patchSize: 8, thumbnailSize: 4,
                                       flips: true, residentImages: 0, refreshInterval: 4, gainAugmentation: gain,
                                       generator: SeededGenerator(seed: 2))
            return try sampler.batch(step: 0, unpaired: 6, anchorCount: 6)
        }
        let off = try batch(0)
        #expect(off.unpairedA.scalars.allSatisfy { $0 == 0.25 } && off.anchorB.scalars.allSatisfy { $0 == 0.25 })
        let on = try batch(1)
        #expect(on.anchorA.scalars == on.anchorB.scalars, "both images of a pair get the same gain")
        #expect(on.anchorAThumbnails.scalars == on.anchorBThumbnails.scalars)
        let all = on.unpairedA.scalars + on.unpairedB.scalars + on.anchorA.scalars
        #expect(all.allSatisfy { $0 >= 0.125 - 1e-6 && $0 <= 0.5 + 1e-6 }, "a gain of at most one stop either way")
        // Each patch is one constant (one gain), and the patches differ.
        let perPatch = (0..<6).map { n in Set(on.unpairedA.scalars[(n * 256)..<((n + 1) * 256)]) }
        #expect(perPatch.allSatisfy { $0.count == 1 })
        #expect(Set(perPatch.map { $0.first! }).count > 1)
        #expect(TrainingConfiguration.paper.sampling.gainAugmentation >= 0)
        var c = TrainingConfiguration.default
        c.sampling.gainAugmentation = 5
        #expect(c.problems().contains { $0.contains("gainAugmentation") })
    }

    @Test("anchor mixing blends two anchor pairs with one weight, keeping a linear relation between the cameras, and is off by default")
    func anchorMixing() throws {
        // Camera B is exactly 2x camera A (kept below 1), so every blend of pairs is again a pair.
        var g = SeededGenerator(seed: 4)
        let images = (0..<3).map { _ in
            PackedImage(height: 20, width: 20, values: (0..<(20 * 20 * 4)).map { _ in Float(g.nextUniformDouble()) * 0.4 })
        }
        let doubled = images.map { PackedImage(height: 20, width: 20, values: $0.values.map { 2 * $0 }) }
        let anchors = PackedImagePairSet(imagesA: images, imagesB: doubled)
        let unpaired = PackedImageSet(images: images)
        func batch(_ mixing: Float) throws -> TrainingBatch {
            let sampler = PatchSampler(unpairedA: unpaired, unpairedB: unpaired, anchors: anchors, patchSize: 8, thumbnailSize: 4,
                                       flips: true, residentImages: 0, refreshInterval: 4, anchorMixing: mixing,
                                       generator: SeededGenerator(seed: 3))
            return try sampler.batch(step: 0, unpaired: 2, anchorCount: 8)
        }
        let off = try batch(0), on = try batch(1)
        for b in [off, on] {
            for (a, twice) in zip(b.anchorA.scalars, b.anchorB.scalars) { #expect(Swift.abs(2 * a - twice) < 1e-6) }
            for (a, twice) in zip(b.anchorAThumbnails.scalars, b.anchorBThumbnails.scalars) { #expect(Swift.abs(2 * a - twice) < 1e-6) }
        }
        // Without mixing every patch value is one of the images' values; with it, most are blends.
        let originals = Set(images.flatMap(\.values))
        #expect(off.anchorA.scalars.allSatisfy { originals.contains($0) })
        let blended = on.anchorA.scalars.filter { !originals.contains($0) }.count
        #expect(blended > on.anchorA.count / 2, "\(blended) of \(on.anchorA.count) values blended")
        #expect(on.anchorA.scalars.allSatisfy { $0 >= 0 && $0 <= 0.4 + 1e-6 }, "a convex blend stays in the images' range")
        #expect(TrainingConfiguration.paper.sampling.anchorMixing == 0 && TrainingConfiguration.default.sampling.anchorMixing == 0)
        var c = TrainingConfiguration.paper
        c.sampling.anchorMixing = 1.5
        #expect(c.problems().contains { $0.contains("anchorMixing") })
        var d = TrainingConfiguration.default
        d.sampling.anchorMixing = 0.5
        #expect(d.problems().contains { $0.contains("alignsAnchorExposure") }, "the default aligns anchor exposures pair by pair")
        d.model.alignsAnchorExposure = false
        #expect(d.problems().isEmpty)
    }

    @Test("the output bias prior starts the paper network at the anchors' channel means, and round-trips through JSON")
    func outputBiasPrior() throws {
        let ds = SyntheticDataset(unpaired: 4, anchors: 3, tests: 0, size: 32)
        let out = SyntheticDataset.modelFolder()
        defer { ds.remove(); try? FileManager.default.removeItem(at: out) }
        let data = try ds.trainingData()
        var c = TrainingConfiguration.tiny(.paper, steps: 0)
        c.optimization.outputBiasPrior = true
        #expect(c.problems().isEmpty)
        let trainer = try Trainer(configuration: c, data: data, modelDirectory: out)
        for (side, set) in [(CameraSide.a, data.anchors.setA), (CameraSide.b, data.anchors.setB)] {
            var sum = [Double](repeating: 0, count: 4), count = 0.0
            for i in 0..<set.count {
                let image = try set.image(at: i)
                for (k, v) in image.values.enumerated() { sum[k % 4] += Double(v) }
                count += Double(image.pixelCount)
            }
            let bias = trainer.network.decoder(side).output.bias!.value.scalars
            for ch in 0..<4 {
                let m = sum[ch] / count
                #expect(Swift.abs(Double(bias[ch]) - log(m / (1 - m))) < 1e-5, "channel \(ch): bias \(bias[ch]), mean \(m)")
            }
        }
        // Decoded back from JSON, and absent from the JSON of configurations that do not use it.
        let json = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: json) == c)
        #expect(!String(decoding: try JSONEncoder().encode(TrainingConfiguration.default), as: UTF8.self).contains("outputBiasPrior"))
        #expect(TrainingConfiguration.paper.optimization.outputBiasPrior, "the paper preset's recipe uses it")
        var residual = TrainingConfiguration.default
        residual.optimization.outputBiasPrior = true
        #expect(residual.problems().contains { $0.contains("outputBiasPrior") })
    }

    @Test("anchor tiling assembles anchor patches from tiles of several pairs, the same tiles in both cameras")
    func anchorTiling() throws {
        // Anchor pair i is constant 0.1 (i + 1) in camera A and twice that in camera B.
        let images = (0..<4).map { i in PackedImage(height: 16, width: 16, values: [Float](repeating: 0.1 * Float(i + 1), count: 16 * 16 * 4)) }
        let doubled = images.map { PackedImage(height: 16, width: 16, values: $0.values.map { 2 * $0 }) }
        let anchors = PackedImagePairSet(imagesA: images, imagesB: doubled), unpaired = PackedImageSet(images: images)
        let sampler = PatchSampler(unpairedA: unpaired, unpairedB: unpaired, anchors: anchors, patchSize: 8, thumbnailSize: 4,
                                   flips: true, residentImages: 0, refreshInterval: 4, anchorTiling: 2,
                                   generator: SeededGenerator(seed: 5))
        let b = try sampler.batch(step: 0, unpaired: 1, anchorCount: 6)
        var sources = Set<Float>()
        for n in 0..<6 {
            for c in 0..<4 {
                for ty in 0..<4 {
                    for tx in 0..<4 {
                        // Every 2x2 tile is one constant: one anchor pair per tile.
                        var tile = Set<Float>()
                        for y in 0..<2 { for x in 0..<2 {
                            let a = b.anchorA[n, c, 2 * ty + y, 2 * tx + x], twice = b.anchorB[n, c, 2 * ty + y, 2 * tx + x]
                            #expect(Swift.abs(2 * a - twice) < 1e-6)
                            tile.insert(a)
                        } }
                        #expect(tile.count == 1)
                        sources.formUnion(tile)
                    }
                }
            }
        }
        #expect(sources.count == 4, "tiles come from every anchor pair over the batch, got \(sources.sorted())")
        var c = TrainingConfiguration.paper
        c.sampling.anchorTiling = 8
        #expect(c.problems().isEmpty)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(c)) == c)
        c.sampling.anchorTiling = 7
        #expect(c.problems().contains { $0.contains("anchorTiling") })
        var d = TrainingConfiguration.default
        d.sampling.anchorTiling = 8
        #expect(d.problems().contains { $0.contains("contextWidth 0") })
    }
}
