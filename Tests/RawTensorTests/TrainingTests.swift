import Foundation
import Testing
@testable import RawTensor

@Suite("Modules and training")
struct TrainingTests {
    @Test("parameters are discovered with dotted names")
    func parameterNames() {
        let model = UNetPair(channels: [4, 8], seed: 1)
        let names = model.namedParameters().map(\.name)
        #expect(names.contains("encoderA.levels.0.conv2.weight"))
        #expect(names.contains("decoderB.out.bias"))
        #expect(names.contains("decoderA.ups.0.weight"))
        #expect(Set(names).count == names.count)
        // 4 modules; encoder: 2 levels x 2 convs x (w, b); decoder: 1 up + 1 level (2 convs) + out.
        #expect(names.count == 2 * (8 + 8))
        let expected = 2 * ((4 * 4 * 9 + 4 + 4 * 4 * 9 + 4 + 4 * 8 * 9 + 8 + 8 * 8 * 9 + 8)
                            + (8 * 4 * 9 + 4 + 8 * 4 * 9 + 4 + 4 * 4 * 9 + 4 + 4 * 4 + 4))
        #expect(model.parameterCount == expected)
    }

    @Test("the default network has the reference implementation's 518,116 parameters per encoder+decoder")
    func defaultNetworkSize() {
        var g = SeededGenerator(seed: 0)
        let e = Encoder(channels: [32, 64, 128], generator: &g), d = Decoder(channels: [32, 64, 128], generator: &g)
        #expect(e.parameterCount + d.parameterCount == 518_116)
    }

    @Test("a module used twice in one step accumulates the gradients of both uses")
    func sharedModuleAccumulates() {
        var g = SeededGenerator(seed: 2)
        let conv = Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: 3, padding: 1, activation: .tanh, generator: &g)
        let x1 = Tensor.randomNormal([1, 2, 5, 5], using: &g), x2 = Tensor.randomNormal([2, 2, 5, 5], using: &g)
        let t1 = Tensor.randomNormal([1, 2, 5, 5], using: &g), t2 = Tensor.randomNormal([2, 2, 5, 5], using: &g)

        mseLoss(conv(Variable(x1)), Variable(t1)).backward()
        let g1 = conv.weight.gradient!
        conv.zeroGradients()
        mseLoss(conv(conv(Variable(x2))), Variable(t2)).backward()
        let g2 = conv.weight.gradient!
        conv.zeroGradients()
        (mseLoss(conv(Variable(x1)), Variable(t1)) + mseLoss(conv(conv(Variable(x2))), Variable(t2))).backward()
        let both = conv.weight.gradient!
        let err = zip(both.scalars, (g1 + g2).scalars).map { abs($0 - $1) }.max()!
        #expect(err < 1e-5)
    }

    @Test("the U-Net pair's loss gradient matches finite differences")
    func unetGradient() {
        let model = UNetPair(channels: [3, 4], seed: 3)
        var g = SeededGenerator(seed: 4)
        let ua = Tensor.randomUniform([2, 4, 8, 8], using: &g), ub = Tensor.randomUniform([2, 4, 8, 8], using: &g)
        let a = Tensor.randomUniform([1, 4, 8, 8], using: &g), b = Tensor.randomUniform([1, 4, 8, 8], using: &g)
        let loss = model.loss(unpairedA: ua, unpairedB: ub, anchorA: a, anchorB: b)
        loss.backward()
        // Check a few weights of each module (the loss mixes L1 kinks, so use a small step).
        for (name, p) in model.namedParameters() where name.hasSuffix("conv1.weight") || name.hasSuffix("out.weight") {
            let analytic = p.gradient!.scalars
            for i in [0, p.value.count / 2, p.value.count - 1] {
                let original = p.value
                func evaluate(_ d: Float) -> Double {
                    var v = original
                    v.withUnsafeMutableBufferPointer { $0[i] += d }
                    p.assign(v)
                    defer { p.assign(original) }
                    return Double(withoutGradient { model.loss(unpairedA: ua, unpairedB: ub, anchorA: a, anchorB: b) }.value.item)
                }
                let numeric = (evaluate(1e-3) - evaluate(-1e-3)) / 2e-3
                #expect(abs(Double(analytic[i]) - numeric) <= 2e-3 + 0.05 * abs(numeric), "\(name)[\(i)]: \(analytic[i]) vs \(numeric)")
            }
        }
    }

    @Test("a tiny conv net learns a known colour matrix")
    func convergence() {
        // Target: y = M x + c per pixel (a 4x4 colour matrix on packed channels).
        // The targets are computed here pixel by pixel, not with conv2d (the code under test).
        let m: [Float] = [0.8, 0.1, 0.05, 0.0, 0.1, 0.7, 0.2, 0.05, 0.05, 0.2, 0.6, 0.1, 0.0, 0.05, 0.1, 0.9]
        let offset: [Float] = [0.01, -0.02, 0.0, 0.03]
        func target(_ x: Tensor) -> Tensor {
            let n = x.shape[0], h = x.shape[2], w = x.shape[3], xs = x.scalars
            var out = [Float](repeating: 0, count: xs.count)
            for b in 0..<n { for o in 0..<4 { for p in 0..<(h * w) {
                var v = Double(offset[o])
                for i in 0..<4 { v += Double(m[o * 4 + i]) * Double(xs[(b * 4 + i) * h * w + p]) }
                out[(b * 4 + o) * h * w + p] = Float(v)
            } } }
            return Tensor(shape: x.shape, values: out)
        }
        var g = SeededGenerator(seed: 5)
        let net = Sequential([
            Conv2d(inputChannels: 4, outputChannels: 16, kernelSize: 3, padding: 1, activation: .leakyReLU(negativeSlope: 0.2),
                   initializer: .heNormal(negativeSlope: 0.2), generator: &g),
            Conv2d(inputChannels: 16, outputChannels: 4, kernelSize: 1, initializer: .xavierUniform, generator: &g),
        ])
        let updater = ParameterUpdater(optimizer: Adam(), learningRate: 2e-2, schedule: .cosine(totalSteps: 600, minimumFactor: 0.05, warmupSteps: 10))
        var last: Float = .infinity
        for _ in 0..<600 {
            let x = Tensor.randomUniform([4, 4, 12, 12], using: &g)
            let y = target(x)
            net.zeroGradients()
            let loss = mseLoss(net(Variable(x)), Variable(y))
            loss.backward()
            updater.update(net)
            last = loss.value.item
        }
        let x = Tensor.randomUniform([2, 4, 16, 16], using: &g)
        let test = mseLoss(net(x), target(x)).item
        // Predicting each channel's mean gives an MSE of about 0.05 (uniform inputs): 500 times better is required.
        #expect(last < 1e-4 && test < 1e-4, "train \(last), test \(test)")
    }

    static func trainSteps(seed: UInt64, steps: Int, updater: ParameterUpdater<Adam>? = nil, model: UNetPair? = nil,
                           dataSeed: UInt64 = 7, firstStep: Int = 0) -> (UNetPair, ParameterUpdater<Adam>) {
        let model = model ?? UNetPair(channels: [4, 8], seed: seed)
        let updater = updater ?? ParameterUpdater(optimizer: Adam(), learningRate: 1e-3)
        for step in firstStep..<(firstStep + steps) {
            var g = SeededGenerator(seed: dataSeed &+ UInt64(step))
            let ua = Tensor.randomUniform([2, 4, 16, 16], using: &g), ub = Tensor.randomUniform([2, 4, 16, 16], using: &g)
            let a = Tensor.randomUniform([1, 4, 16, 16], using: &g), b = Tensor.randomUniform([1, 4, 16, 16], using: &g)
            model.zeroGradients()
            model.loss(unpairedA: ua, unpairedB: ub, anchorA: a, anchorB: b).backward()
            updater.update(model)
        }
        return (model, updater)
    }

    @Test("the same seed gives bit-identical weights after training")
    func determinism() {
        let (m1, _) = Self.trainSteps(seed: 11, steps: 4)
        let (m2, _) = Self.trainSteps(seed: 11, steps: 4)
        let (m3, _) = Self.trainSteps(seed: 12, steps: 4)
        #expect(m1.parameterTensors() == m2.parameterTensors())
        #expect(m1.parameterTensors() != m3.parameterTensors())
    }

    @Test("training resumes bit-exactly from saved weights and optimizer state")
    func resume() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rawtensor-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (reference, _) = Self.trainSteps(seed: 21, steps: 5)

        let (partial, updater) = Self.trainSteps(seed: 21, steps: 3)
        try SafeTensors(partial.parameterTensors()).write(to: folder.appendingPathComponent("weights.safetensors"))
        try updater.stateArchive().write(to: folder.appendingPathComponent("optimizer.safetensors"))

        let fresh = UNetPair(channels: [4, 8], seed: 999)
        try fresh.loadParameters(SafeTensors(contentsOf: folder.appendingPathComponent("weights.safetensors")).tensors)
        let restored = ParameterUpdater(optimizer: Adam(), learningRate: 0.5)
        try restored.restore(from: SafeTensors(contentsOf: folder.appendingPathComponent("optimizer.safetensors")), for: fresh)
        #expect(restored.step == 3 && restored.learningRate == 1e-3)
        let (resumed, _) = Self.trainSteps(seed: 0, steps: 2, updater: restored, model: fresh, firstStep: 3)
        #expect(resumed.parameterTensors() == reference.parameterTensors())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["optimizer.safetensors", "weights.safetensors"])
    }

    @Test("strict loading rejects missing, unexpected and mis-shaped tensors")
    func strictLoading() {
        let model = UNetPair(channels: [2, 4], seed: 1)
        var tensors = model.parameterTensors()
        tensors["extra"] = Tensor.zeros([1])
        #expect(throws: TensorIOError.unexpectedTensor(path: "f", name: "extra")) { try model.loadParameters(tensors, source: "f") }
        tensors["extra"] = nil
        tensors["decoderB.out.bias"] = Tensor.zeros([5])
        #expect(throws: TensorIOError.shapeMismatch(path: "f", name: "decoderB.out.bias", expected: [4], found: [5])) {
            try model.loadParameters(tensors, source: "f")
        }
        tensors["decoderB.out.bias"] = nil
        #expect(throws: TensorIOError.missingTensor(path: "f", name: "decoderB.out.bias")) { try model.loadParameters(tensors, source: "f") }
    }
}
