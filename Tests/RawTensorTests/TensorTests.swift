import Foundation
import Testing
@testable import RawTensor

@Suite("Tensor")
struct TensorTests {
    @Test("copy-on-write value semantics")
    func copyOnWrite() {
        let a = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        var b = a
        b[0, 1] = 9
        #expect(a.scalars == [1, 2, 3, 4] && b.scalars == [1, 9, 3, 4])
        var c = a.reshaped([4])
        c.withUnsafeMutableBufferPointer { $0[0] = -1 }
        #expect(a[0, 0] == 1 && c.scalars[0] == -1)
    }

    @Test("creation, reshape and reductions")
    func basics() {
        #expect(Tensor.zeros([2, 3]).count == 6 && Tensor.ones([3]).scalars == [1, 1, 1])
        #expect(Tensor.arange(4).reshaped([2, -1]).shape == [2, 2])
        let t = Tensor(shape: [2, 3], values: [1, -2, 3, 4, 5, -6])
        #expect(t.sum().item == 5 && abs(t.mean().item - 5.0 / 6.0) < 1e-7)
        #expect(t.max() == 5 && t.min() == -6)
        #expect(Tensor(7).rank == 0 && Tensor(7).item == 7)
        #expect(t.abs().scalars == [1, 2, 3, 4, 5, 6] && t.clamped(to: 0...3).scalars == [1, 0, 3, 3, 3, 0])
        #expect(t.transposed.scalars == [1, 4, -2, 5, 3, -6])
        #expect((t * 2 - 1).scalars == [1, -5, 5, 7, 9, -13])
    }

    @Test("seeded random tensors are reproducible and have the right moments")
    func random() {
        var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42)
        let a = Tensor.randomNormal([100_000], using: &g1), b = Tensor.randomNormal([100_000], using: &g2)
        #expect(a == b)
        let mean = a.sumDouble() / 1e5
        let variance = a.squared().sumDouble() / 1e5 - mean * mean
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.02)
        let u = Tensor.randomUniform([100_000], in: -1..<3, using: &g1)
        #expect(u.min() >= -1 && u.max() < 3 && abs(u.sumDouble() / 1e5 - 1) < 0.02)
    }

    @Test("channel-last conversion round-trips")
    func channelsLast() {
        // Two 2x3 images with 4 channels, value = 1000 n + 100 y + 10 x + c.
        var hwc: [Float] = []
        for n in 0..<2 { for y in 0..<2 { for x in 0..<3 { for c in 0..<4 { hwc.append(Float(1000 * n + 100 * y + 10 * x + c)) } } } }
        let t = Tensor(channelsLast: hwc, batch: 2, height: 2, width: 3, channels: 4)
        #expect(t.shape == [2, 4, 2, 3] && t[1, 3, 1, 2] == 1123 && t[0, 2, 0, 1] == 12)
        #expect(t.channelsLastScalars() == hwc)
    }

    @Test("cropping and flipping")
    func cropFlip() {
        let t = Tensor.arange(2 * 3 * 4).reshaped([1, 2, 3, 4])
        #expect(t.cropped(top: 1, left: 1, height: 2, width: 2).scalars == [5, 6, 9, 10, 17, 18, 21, 22])
        #expect(t.flipped(alongAxis: 3)[0, 1, 2, 0] == 23 && t.flipped(alongAxis: 2)[0, 0, 0, 1] == 9)
        #expect(t.flipped(alongAxis: 1).flipped(alongAxis: 1) == t)
    }

    @Test("matrix products are bitwise reproducible with several BLAS threads")
    func blasDeterminism() {
        var g = SeededGenerator(seed: 3)
        let a = Tensor.randomNormal([300, 257], using: &g), b = Tensor.randomNormal([257, 311], using: &g)
        let first = matmul(a, b)
        for _ in 0..<5 { #expect(matmul(a, b) == first) }
        let x = Tensor.randomNormal([4, 16, 40, 40], using: &g), w = Tensor.randomNormal([16, 16, 3, 3], using: &g)
        let y = conv2d(x, weight: w, padding: 1)
        let grads = conv2dBackward(gradOutput: y, input: x, weight: w, padding: 1)
        for _ in 0..<3 {
            #expect(conv2d(x, weight: w, padding: 1) == y)
            let again = conv2dBackward(gradOutput: y, input: x, weight: w, padding: 1)
            #expect(again.weight == grads.weight && again.input == grads.input && again.bias == grads.bias)
        }
        // A direct reference for the product itself.
        let ref = (0..<311).map { j in (0..<257).reduce(0.0) { $0 + Double(a[5, $1]) * Double(b[$1, j]) } }
        #expect(zip((0..<311).map { first[5, $0] }, ref).allSatisfy { abs(Double($0) - $1) < 1e-3 })
    }

    @Test("own parallel loops give the same results for any thread count")
    func threadCountIndependence() {
        var g = SeededGenerator(seed: 4)
        let x = Tensor.randomNormal([3, 5, 64, 64], using: &g)
        func run(_ threads: Int) -> [Tensor] { ComputeConfiguration.withThreadCount(threads) { run() } }
        func run() -> [Tensor] {
            var wg = SeededGenerator(seed: 9)
            let w = Tensor.randomNormal([4, 5, 3, 3], using: &wg)
            var results = [maxPool2d(x), upsampleBilinear2d(x), x.applying(.sigmoid), x.sum(), Tensor.concatenate([x, x], axis: 1),
                           LossFunction.l1.gradient(x, x * 0.5), matmul(x.reshaped([-1, 256]), x.reshaped([256, -1]))]
            for (input, stride, padding) in [(x, 1, 1), (x[batch: 1], 1, 1), (x[batch: 2], 2, 0), (x[batch: 0..<2], 2, 1)] {
                let y = conv2d(input, weight: w, stride: stride, padding: padding)
                let grads = conv2dBackward(gradOutput: y, input: input, weight: w, stride: stride, padding: padding)
                results += [y, grads.input!, grads.weight, grads.bias]
            }
            return results
        }
        let one = run(1)
        #expect(run(2) == one)
        #expect(run(3) == one)
    }
}
