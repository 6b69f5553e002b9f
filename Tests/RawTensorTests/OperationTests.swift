import Testing
@testable import RawTensor

@Suite("Operation gradients")
struct OperationGradientTests {
    @Test("max pooling", arguments: [2, 3])
    func maxPool(size: Int) {
        // Distinct, well-separated values so that a finite step never changes a window's maximum.
        var g = SeededGenerator(seed: 5)
        var values = (0..<(2 * 3 * 7 * 6)).map { Float($0) * 0.1 }
        values.shuffle(using: &g)
        let x = Tensor(shape: [2, 3, 7, 6], values: values)
        GradientCheck.check([x], step: 1e-2) { maxPool2d($0[0], size: size) }
    }

    @Test("max pooling forward picks window maxima")
    func maxPoolForward() {
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 5, 2, 0, 3, 4, -1, -2])
        #expect(maxPool2d(x).scalars == [5, 2])
        #expect(averagePool2d(x).scalars == [3.25, -0.25])
    }

    @Test("average pooling", arguments: [2, 3])
    func averagePool(size: Int) {
        var g = SeededGenerator(seed: 6)
        let x = Tensor.randomNormal([2, 2, 7, 6], using: &g)
        GradientCheck.check([x]) { averagePool2d($0[0], size: size) }
    }

    @Test("nearest upsampling", arguments: [2, 3])
    func nearest(scale: Int) {
        var g = SeededGenerator(seed: 7)
        let x = Tensor.randomNormal([2, 2, 3, 4], using: &g)
        GradientCheck.check([x]) { upsampleNearest2d($0[0], scale: scale) }
        #expect(upsampleNearest2d(Tensor(shape: [1, 1, 1, 2], values: [1, 2])).scalars == [1, 1, 2, 2, 1, 1, 2, 2])
    }

    @Test("bilinear upsampling", arguments: [2, 3])
    func bilinear(scale: Int) {
        var g = SeededGenerator(seed: 8)
        let x = Tensor.randomNormal([2, 2, 3, 4], using: &g)
        GradientCheck.check([x]) { upsampleBilinear2d($0[0], scale: scale) }
    }

    @Test("bilinear upsampling equals PyTorch's align_corners=False values")
    func bilinearValues() {
        // torch.nn.functional.interpolate(tensor([[[[0,1],[2,3]]]]), scale_factor=2, mode="bilinear")
        let y = upsampleBilinear2d(Tensor(shape: [1, 1, 2, 2], values: [0, 1, 2, 3]))
        #expect(y.scalars == [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3])
    }

    @Test("activations", arguments: [Activation.relu, .leakyReLU(negativeSlope: 0.2), .sigmoid, .tanh, .identity])
    func activations(_ activation: Activation) {
        var g = SeededGenerator(seed: 9)
        let x = GradientCheck.awayFromZero([2, 3, 4, 3], generator: &g)
        GradientCheck.check([x], step: 1e-3) { $0[0].applying(activation) }
    }

    @Test("activation values")
    func activationValues() {
        let x = Tensor(shape: [4], values: [-2, -0.5, 0, 3])
        #expect(relu(x).scalars == [0, 0, 0, 3])
        #expect(leakyReLU(x, negativeSlope: 0.1).scalars == [-0.2, -0.05, 0, 3])
        #expect(abs(sigmoid(x).scalars[0] - 0.11920292) < 1e-6)
        #expect(abs(tanh(x).scalars[1] - (-0.46211716)) < 1e-6)
    }

    @Test("losses, with gradients to both arguments",
          arguments: [LossFunction.l1, .meanSquaredError, .charbonnier(epsilon: 1e-3), .charbonnier(epsilon: 0.5)])
    func losses(_ function: LossFunction) {
        var g = SeededGenerator(seed: 10)
        let p = Tensor.randomNormal([2, 3, 4, 4], using: &g)
        let t = p + GradientCheck.awayFromZero([2, 3, 4, 4], generator: &g)   // no zero differences
        GradientCheck.check([p, t], step: 1e-3) { pointwiseLoss(function, $0[0], $0[1]) }
    }

    @Test("loss values")
    func lossValues() {
        let p = Tensor(shape: [4], values: [1, 2, 3, 4]), t = Tensor(shape: [4], values: [1, 0, 4, 4])
        #expect(l1Loss(p, t).item == 0.75)
        #expect(mseLoss(p, t).item == 1.25)
        let c = charbonnierLoss(p, t, epsilon: 1).item
        let expected: Double = (1.0 + 5.0.squareRoot() + 2.0.squareRoot() + 1.0) / 4.0
        #expect(abs(Double(c) - expected) < 1e-6)
    }

    @Test("concatenation and split along channels")
    func concatSplit() {
        var g = SeededGenerator(seed: 11)
        let a = Tensor.randomNormal([2, 2, 3, 3], using: &g), b = Tensor.randomNormal([2, 3, 3, 3], using: &g)
        GradientCheck.check([a, b]) { concatenate([$0[0], $0[1]], axis: 1) }
        let c = Tensor.randomNormal([2, 5, 3, 3], using: &g)
        GradientCheck.check([c]) { v in
            let parts = split(v[0], sizes: [2, 3], axis: 1)
            return concatenate([parts[1], parts[0] * parts[0]], axis: 1)
        }
        let joined = Tensor.concatenate([a, b], axis: 1)
        let back = joined.split(sizes: [2, 3], axis: 1)
        #expect(back[0] == a && back[1] == b)
        #expect(joined[1, 2, 1, 0] == b[1, 0, 1, 0])
    }

    @Test("elementwise arithmetic with broadcasting")
    func arithmetic() {
        var g = SeededGenerator(seed: 12)
        let a = Tensor.randomNormal([2, 3, 4, 2], using: &g), b = Tensor.randomNormal([2, 3, 4, 2], using: &g)
        let s = Tensor.randomNormal([2, 3, 1, 1], using: &g), row = Tensor.randomNormal([2], using: &g)
        GradientCheck.check([a, b]) { ($0[0] + $0[1]) * $0[0] - $0[1] }
        GradientCheck.check([a, s]) { $0[0] * $0[1] + $0[1] }   // per-channel scale and shift (FiLM)
        GradientCheck.check([a, row]) { $0[0] - $0[1] * $0[1] }
        GradientCheck.check([a]) { (2.5 * $0[0] + 1).mean(alongAxes: [2, 3]) }
        GradientCheck.check([a]) { -($0[0].sum() * 0.5) + $0[0].mean() }
        #expect((Tensor(shape: [2, 1], values: [1, 2]) + Tensor(shape: [3], values: [10, 20, 30])).scalars == [11, 21, 31, 12, 22, 32])
        #expect(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).mean(alongAxes: [1]).scalars == [2, 5])
    }

    @Test("matrix product and linear layer")
    func matrixProduct() {
        var g = SeededGenerator(seed: 13)
        let a = Tensor.randomNormal([3, 5], using: &g), b = Tensor.randomNormal([5, 4], using: &g)
        GradientCheck.check([a, b]) { matmul($0[0], $0[1]) }
        #expect(matmul(Tensor(shape: [2, 2], values: [1, 2, 3, 4]), Tensor(shape: [2, 1], values: [5, 6])).scalars == [17, 39])
        let w = Tensor.randomNormal([3, 5], using: &g), bias = Tensor.randomNormal([3], using: &g)
        GradientCheck.check([a, w, bias]) { linear($0[0], weight: $0[1], bias: $0[2]) }
        let layer = Linear(inputFeatures: 5, outputFeatures: 3, activation: .tanh, generator: &g)
        let y = layer(Variable(a))
        let reference = tanh(matmul(a, layer.weight.value.transposed) + layer.bias!.value)
        #expect(zip(y.value.scalars, reference.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("a custom differentiable operation")
    func customOperation() {
        func cube(_ x: Variable) -> Variable {
            let v = x.value
            return Variable.differentiable(v * v * v, inputs: [x]) { g in [3 * v * v * g] }
        }
        var g = SeededGenerator(seed: 15)
        GradientCheck.check([Tensor.randomNormal([3, 4], using: &g)], step: 1e-3) { cube($0[0]) + $0[0] }
        #expect(withoutGradient { cube(Variable(Tensor(2), requiresGradient: true)) }.isLeaf)
    }

    @Test("reshape and batch slicing")
    func reshapeSlice() {
        var g = SeededGenerator(seed: 14)
        let a = Tensor.randomNormal([4, 2, 3, 3], using: &g)
        GradientCheck.check([a]) { $0[0][batch: 1..<3].reshaped([2, 18]) }
        #expect(a[batch: 2][0, 1, 2, 0] == a[2, 1, 2, 0])
    }
}

