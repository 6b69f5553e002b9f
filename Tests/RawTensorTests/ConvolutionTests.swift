import Testing
@testable import RawTensor

/// A naive direct convolution in Double: the independent reference for the im2col + GEMM kernel.
func directConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> Tensor {
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    let o = w.shape[0], kh = w.shape[2], kw = w.shape[3]
    let ho = (h + 2 * padding - kh) / stride + 1, wo = (wd + 2 * padding - kw) / stride + 1
    let xs = x.scalars, ws = w.scalars, bs = b?.scalars
    var out = [Float](repeating: 0, count: n * o * ho * wo)
    for ni in 0..<n { for oc in 0..<o { for oy in 0..<ho { for ox in 0..<wo {
        var s = Double(bs?[oc] ?? 0)
        for ic in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
            if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
            s += Double(xs[((ni * c + ic) * h + iy) * wd + ix]) * Double(ws[((oc * c + ic) * kh + ky) * kw + kx])
        } } }
        out[((ni * o + oc) * ho + oy) * wo + ox] = Float(s)
    } } } }
    return Tensor(shape: [n, o, ho, wo], values: out)
}

/// (batch, inC, outC, height, width, kernel, stride, padding)
let convolutionCases: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
    (2, 3, 4, 6, 5, 3, 1, 1),
    (1, 2, 3, 7, 7, 3, 2, 1),
    (2, 4, 2, 5, 6, 1, 1, 0),   // pointwise fast path
    (1, 3, 2, 8, 5, 5, 1, 2),
    (1, 2, 2, 6, 7, 2, 2, 0),
    (2, 1, 3, 5, 5, 3, 1, 0),
    (1, 2, 2, 4, 4, 1, 2, 1),   // 1x1 with stride and padding: general path
    (1, 3, 2, 9, 4, 3, 3, 2),
    (2, 11, 3, 6, 5, 3, 1, 1),  // row-shift path (inC * kW >= 32)
    (1, 7, 2, 7, 6, 5, 1, 2),   // row-shift path, 5x5
]

@Suite("Convolution")
struct ConvolutionTests {
    @Test("conv2d forward equals a direct convolution", arguments: convolutionCases)
    func forwardMatchesDirect(_ c: (Int, Int, Int, Int, Int, Int, Int, Int)) {
        var g = SeededGenerator(seed: 1)
        let x = Tensor.randomNormal([c.0, c.1, c.3, c.4], using: &g)
        let w = Tensor.randomNormal([c.2, c.1, c.5, c.5], using: &g)
        let b = Tensor.randomNormal([c.2], using: &g)
        let fast = conv2d(x, weight: w, bias: b, stride: c.6, padding: c.7)
        let slow = directConvolution(x, w, b, stride: c.6, padding: c.7)
        #expect(fast.shape == slow.shape)
        let err = zip(fast.scalars, slow.scalars).map { abs($0 - $1) }.max()!
        #expect(err < 1e-4, "max error \(err)")
    }

    @Test("conv2d in row chunks equals one chunk", arguments: [(1, 1), (2, 1), (1, 0)])
    func chunked(stride: Int, padding: Int) {
        var g = SeededGenerator(seed: 2)
        let x = Tensor.randomNormal([2, 12, 20, 9], using: &g)
        let w = Tensor.randomNormal([4, 12, 3, 3], using: &g)
        let (whole, wholeGrad) = Convolution.$chunkPixels.withValue(1 << 20) {
            let y = conv2d(x, weight: w, bias: nil, stride: stride, padding: padding)
            return (y, conv2dBackward(gradOutput: y, input: x, weight: w, stride: stride, padding: padding))
        }
        let (chunked, chunkedGrad) = Convolution.$chunkPixels.withValue(20) {   // two or three output rows per chunk
            (conv2d(x, weight: w, bias: nil, stride: stride, padding: padding),
             conv2dBackward(gradOutput: whole, input: x, weight: w, stride: stride, padding: padding))
        }
        let dy = zip(whole.scalars, chunked.scalars).map { abs($0 - $1) }.max()!
        #expect(dy < 1e-5)
        let dx = zip(wholeGrad.input!.scalars, chunkedGrad.input!.scalars).map { abs($0 - $1) }.max()!
        let dw = zip(wholeGrad.weight.scalars, chunkedGrad.weight.scalars).map { abs($0 - $1) }.max()!
        #expect(dx < 1e-4 && dw < 1e-3)
    }

    @Test("the row-shift and im2col paths agree", arguments: [(3, 1), (5, 2), (3, 0), (1, 0)])
    func pathsAgree(kernel: Int, padding: Int) {
        var g = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([2, 11, 9, 7], using: &g)
        let w = Tensor.randomNormal([4, 11, kernel, kernel], using: &g)
        #expect(RowShiftConvolution.applies(ConvolutionGeometry(input: x.shape, weight: w.shape, stride: (1, 1),
                                                                padding: (padding, padding))) == (2 * padding == kernel - 1 && kernel > 1))
        let (y1, g1) = Convolution.$usesRowShift.withValue(false) {
            let y = conv2d(x, weight: w, bias: nil, padding: padding)
            return (y, conv2dBackward(gradOutput: y, input: x, weight: w, padding: padding))
        }
        let y2 = conv2d(x, weight: w, bias: nil, padding: padding)
        let g2 = conv2dBackward(gradOutput: y1, input: x, weight: w, padding: padding)
        // Same sums in different orders: equal up to Float rounding, relative to the values' size.
        func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
            zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()! / max(a.abs().max(), 1)
        }
        #expect(relativeDifference(y1, y2) < 1e-6)
        #expect(relativeDifference(g1.input!, g2.input!) < 1e-6 && relativeDifference(g1.weight, g2.weight) < 1e-6)
    }

    @Test("conv2d backward matches finite differences", arguments: convolutionCases)
    func backward(_ c: (Int, Int, Int, Int, Int, Int, Int, Int)) {
        var g = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal([c.0, c.1, c.3, c.4], using: &g)
        let w = Tensor.randomNormal([c.2, c.1, c.5, c.5], using: &g) * 0.5
        let b = Tensor.randomNormal([c.2], using: &g)
        GradientCheck.check([x, w, b]) { v in
            conv2d(v[0], weight: v[1], bias: v[2], stride: c.6, padding: c.7)
        }
    }

    @Test("conv2d with a fused activation matches finite differences",
          arguments: [Activation.leakyReLU(negativeSlope: 0.2), .sigmoid, .tanh])
    func fusedActivation(_ activation: Activation) {
        var g = SeededGenerator(seed: 4)
        let x = Tensor.randomNormal([2, 3, 5, 5], using: &g)
        let w = Tensor.randomNormal([2, 3, 3, 3], using: &g) * 0.3
        let b = Tensor.randomNormal([2], using: &g)
        GradientCheck.check([x, w, b], step: 1e-3) { v in
            conv2d(v[0], weight: v[1], bias: v[2], stride: 1, padding: 1, activation: activation)
        }
    }
}
