import RawCore
import Testing
@testable import RawTensor

/// (batch, inC, outC, height, width): 3x3, stride 1, padding 1, with at least 16 channels on both
/// sides (the Winograd path); odd and even sizes, sizes below one group of four tiles, and channel
/// counts that are not multiples of a SIMD width.
let winogradCases: [(Int, Int, Int, Int, Int)] = [
    (2, 16, 16, 8, 8),
    (1, 17, 19, 9, 11),
    (3, 16, 21, 7, 5),
    (1, 18, 16, 1, 1),
    (2, 20, 17, 2, 3),
    (1, 16, 16, 13, 17),
    (1, 33, 18, 6, 9),
]

@Suite("Winograd convolution")
struct WinogradTests {
    /// The largest difference relative to the largest magnitude of `b` (or 1).
    func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / max(b.abs().max(), 1)
    }

    @Test("the Winograd path is chosen exactly for 3x3 stride-1 padding-1 convolutions with 16+ channels")
    func applies() {
        func geometry(_ c: Int, _ o: Int, _ k: Int, _ s: Int, _ p: Int) -> ConvolutionGeometry {
            ConvolutionGeometry(input: [1, c, 8, 8], weight: [o, c, k, k], stride: (s, s), padding: (p, p))
        }
        #expect(WinogradConvolution.applies(geometry(16, 16, 3, 1, 1)))
        #expect(WinogradConvolution.applies(geometry(128, 64, 3, 1, 1)))
        #expect(!WinogradConvolution.applies(geometry(4, 32, 3, 1, 1)))
        #expect(!WinogradConvolution.applies(geometry(32, 4, 3, 1, 1)))
        #expect(!WinogradConvolution.applies(geometry(32, 32, 3, 2, 1)))
        #expect(!WinogradConvolution.applies(geometry(32, 32, 3, 1, 0)))
        #expect(!WinogradConvolution.applies(geometry(32, 32, 5, 1, 2)))
        #expect(ConvolutionPlan(geometry(32, 32, 3, 1, 1)).method == .winograd)
    }

    @Test("Winograd forward (with bias) equals a direct convolution", arguments: winogradCases)
    func forwardMatchesDirect(_ c: (Int, Int, Int, Int, Int)) {
        var g = SeededGenerator(seed: 11)
        let x = Tensor.randomNormal([c.0, c.1, c.3, c.4], using: &g)
        let w = Tensor.randomNormal([c.2, c.1, 3, 3], using: &g)
        let b = Tensor.randomNormal([c.2], using: &g)
        let fast = conv2d(x, weight: w, bias: b, padding: 1)
        let slow = directConvolution(x, w, b, stride: 1, padding: 1)
        #expect(fast.shape == slow.shape)
        #expect(relativeDifference(fast, slow) < 2e-6, "relative error \(relativeDifference(fast, slow))")
    }

    @Test("Winograd forward in chunks of tile rows equals one chunk, with an odd last chunk")
    func chunked() {
        var g = SeededGenerator(seed: 12)
        let x = Tensor.randomNormal([2, 16, 11, 9], using: &g)
        let w = Tensor.randomNormal([17, 16, 3, 3], using: &g)
        let whole = Convolution.$chunkPixels.withValue(1 << 20) { conv2d(x, weight: w, bias: nil, padding: 1) }
        let wholeGrad = Convolution.$chunkPixels.withValue(1 << 20) { conv2dBackward(gradOutput: whole, input: x, weight: w, padding: 1) }
        for pixels in [80, 160, 240] {   // 1, 2 and 3 tile rows of 5 tiles per chunk (11 rows: 6 tile rows)
            let y = Convolution.$chunkPixels.withValue(pixels) { conv2d(x, weight: w, bias: nil, padding: 1) }
            let grad = Convolution.$chunkPixels.withValue(pixels) { conv2dBackward(gradOutput: whole, input: x, weight: w, padding: 1) }
            #expect(relativeDifference(y, whole) < 1e-6)
            #expect(relativeDifference(grad.input!, wholeGrad.input!) < 1e-6)
            #expect(relativeDifference(grad.weight, wholeGrad.weight) < 1e-6)
        }
        #expect(Convolution.$chunkPixels.withValue(160) { ConvolutionPlan(ConvolutionGeometry(input: x.shape, weight: w.shape, stride: (1, 1),
                                                                                          padding: (1, 1))).rowsPerChunk } == 4)
        let reference = directConvolution(x, w, nil, stride: 1, padding: 1)
        #expect(relativeDifference(whole, reference) < 2e-6)
    }

    @Test("Winograd and GEMM paths give the same gradients", arguments: winogradCases)
    func gradientsMatchGEMM(_ c: (Int, Int, Int, Int, Int)) {
        var g = SeededGenerator(seed: 13)
        let x = Tensor.randomNormal([c.0, c.1, c.3, c.4], using: &g)
        let w = Tensor.randomNormal([c.2, c.1, 3, 3], using: &g)
        let dy = Tensor.randomNormal([c.0, c.2, c.3, c.4], using: &g)
        let reference = Convolution.$usesWinograd.withValue(false) { conv2dBackward(gradOutput: dy, input: x, weight: w, padding: 1) }
        let fast = conv2dBackward(gradOutput: dy, input: x, weight: w, padding: 1)
        #expect(relativeDifference(fast.input!, reference.input!) < 2e-6)
        #expect(relativeDifference(fast.weight, reference.weight) < 2e-6)
        #expect(fast.bias == reference.bias)
        let noInput = conv2dBackward(gradOutput: dy, input: x, weight: w, padding: 1, computeInputGradient: false)
        #expect(noInput.input == nil && noInput.weight == fast.weight)
    }

    @Test("Winograd backward matches finite differences", arguments: [(1, 16, 16, 5, 7), (2, 17, 16, 4, 3)])
    func backward(_ c: (Int, Int, Int, Int, Int)) {
        var g = SeededGenerator(seed: 14)
        let x = Tensor.randomNormal([c.0, c.1, c.3, c.4], using: &g)
        let w = Tensor.randomNormal([c.2, c.1, 3, 3], using: &g) * 0.2
        let b = Tensor.randomNormal([c.2], using: &g)
        GradientCheck.check([x, w, b]) { v in conv2d(v[0], weight: v[1], bias: v[2], stride: 1, padding: 1) }
    }

    @Test("the fused bias and activation equal separate passes",
          arguments: [Activation.identity, .relu, .leakyReLU(negativeSlope: 0.2), .sigmoid, .tanh])
    func fusedActivation(_ activation: Activation) {
        var g = SeededGenerator(seed: 15)
        let x = Tensor.randomNormal([2, 16, 7, 10], using: &g)
        for (inputs, kernel, padding) in [(16, 3, 1), (16, 1, 0), (16, 3, 0), (3, 3, 1)] {
            let xi = x.split(sizes: [inputs, 16 - inputs], axis: 1)[0]
            let w = Tensor.randomNormal([18, inputs, kernel, kernel], using: &g)
            let b = Tensor.randomNormal([18], using: &g)
            let fused = conv2d(Variable(xi), weight: Variable(w), bias: Variable(b), padding: padding, activation: activation).value
            let separate = conv2d(xi, weight: w, bias: b, padding: padding).applying(activation)
            #expect(relativeDifference(fused, separate) < 1e-6, "\(activation), \(inputs) inputs, \(kernel)x\(kernel)")
        }
    }

    @Test("Winograd results do not depend on the thread count")
    func threadCountIndependence() {
        var g = SeededGenerator(seed: 16)
        let x = Tensor.randomNormal([3, 16, 21, 18], using: &g)
        let w = Tensor.randomNormal([20, 16, 3, 3], using: &g)
        let b = Tensor.randomNormal([20], using: &g)
        func run() -> [Tensor] {
            var results: [Tensor] = []
            for input in [x, x[batch: 1]] {
                let y = conv2d(input, weight: w, bias: b, padding: 1)
                let grads = conv2dBackward(gradOutput: y, input: input, weight: w, padding: 1)
                results += [y, grads.input!, grads.weight, grads.bias]
            }
            return results
        }
        let one = ComputeConfiguration.withThreadCount(1) { run() }
        #expect(ComputeConfiguration.withThreadCount(2) { run() } == one)
        #expect(ComputeConfiguration.withThreadCount(3) { run() } == one)
    }
}
