import Testing
@testable import RawTensor

/// Central finite-difference checking of hand-written backward passes.
///
/// The network output `y = f(inputs)` is projected on a fixed random tensor `R`, giving the scalar
/// `L = sum(y * R)`; the analytic gradient of `L` (from `backward`) is compared with
/// `(L(x + h e_i) - L(x - h e_i)) / 2h`, where `L` is accumulated in Double from the Float forward
/// pass. Tolerance: `|analytic - numeric| <= absolute + relative * |numeric|`.
enum GradientCheck {
    static func projection(_ y: Tensor, _ r: Tensor) -> Double {
        zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks every input's gradient at up to `samples` elements per input; returns the worst error.
    @discardableResult
    static func check(_ inputs: [Tensor], step h: Float = 1e-2, absolute: Double = 2e-3, relative: Double = 1e-2,
                      samples: Int = 60, seed: UInt64 = 99,
                      sourceLocation: SourceLocation = #_sourceLocation,
                      _ f: ([Variable]) -> Variable) -> Double {
        var generator = SeededGenerator(seed: seed)
        let variables = inputs.map { Variable($0, requiresGradient: true) }
        let y = f(variables)
        let r = Tensor.randomNormal(y.shape, using: &generator)
        let loss = (y * Variable(r)).sum()
        loss.backward()
        var worst = 0.0
        for (k, input) in inputs.enumerated() {
            let analytic = variables[k].gradient ?? Tensor.zeros(input.shape)
            #expect(analytic.shape == input.shape, sourceLocation: sourceLocation)
            var indices = Array(0..<input.count)
            if indices.count > samples {
                indices.shuffle(using: &generator)
                indices = Array(indices.prefix(samples))
            }
            for i in indices {
                func evaluate(_ delta: Float) -> Double {
                    var xs = inputs
                    xs[k].withUnsafeMutableBufferPointer { $0[i] += delta }
                    let out = withoutGradient { f(xs.map { Variable($0) }) }
                    return projection(out.value, r)
                }
                let numeric = (evaluate(h) - evaluate(-h)) / (2 * Double(h))
                let a = Double(analytic.scalars[i])
                let error = abs(a - numeric)
                worst = max(worst, error / (absolute + relative * abs(numeric)))
                #expect(error <= absolute + relative * abs(numeric),
                        "input \(k) element \(i): analytic \(a) vs numeric \(numeric)", sourceLocation: sourceLocation)
            }
        }
        return worst
    }

    /// A random tensor whose elements are at least `gap` away from zero (away from kinks).
    static func awayFromZero(_ shape: [Int], gap: Float = 0.05, generator: inout SeededGenerator) -> Tensor {
        Tensor.randomNormal(shape, using: &generator).map { $0 >= 0 ? $0 + gap : $0 - gap }
    }
}
