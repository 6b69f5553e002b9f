import Foundation
import Testing
@testable import RawTensor

@Suite("Optimizers")
struct OptimizerTests {
    /// Adam written out in Double for one scalar, as in PyTorch's documentation.
    static func referenceAdam(_ grads: [Double], p0: Double, lr: Double, wd: Double, decoupled: Bool) -> Double {
        var p = p0, m = 0.0, v = 0.0
        for (t, g0) in grads.enumerated() {
            var g = g0
            if decoupled { p *= 1 - lr * wd } else { g += wd * p }
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let mh = m / (1 - pow(0.9, Double(t + 1))), vh = v / (1 - pow(0.999, Double(t + 1)))
            p -= lr * mh / (vh.squareRoot() + 1e-8)
        }
        return p
    }

    @Test("Adam and AdamW match a Double reference", arguments: [false, true])
    func adam(decoupled: Bool) {
        let rule = Adam(weightDecay: 0.1, decoupledWeightDecay: decoupled)
        let grads: [[Float]] = [[0.5, -1, 2], [0.25, -0.5, 1e-3], [-0.75, 0, 3]]
        var p = Tensor(shape: [3], values: [1, -2, 0.5])
        var state = rule.makeState(for: p)
        for g in grads { rule.update(parameter: &p, gradient: Tensor(shape: [3], values: g), state: &state, learningRate: 0.01) }
        for i in 0..<3 {
            let r = Self.referenceAdam(grads.map { Double($0[i]) }, p0: Double([1, -2, 0.5][i]), lr: 0.01, wd: 0.1, decoupled: decoupled)
            #expect(abs(Double(p.scalars[i]) - r) < 1e-6, "\(p.scalars[i]) vs \(r)")
        }
        #expect(state.step == 3)
        #expect(AdamW().name == "AdamW" && Adam().name == "Adam")
    }

    @Test("SGD with momentum matches the recurrence")
    func sgd() {
        let rule = SGD(momentum: 0.9)
        var p = Tensor(shape: [1], values: [1])
        var state = rule.makeState(for: p)
        var ref = 1.0, v = 0.0
        for (t, g) in [0.5, -0.25, 1.0].enumerated() {
            rule.update(parameter: &p, gradient: Tensor(shape: [1], values: [Float(g)]), state: &state, learningRate: 0.1)
            v = t == 0 ? g : 0.9 * v + g
            ref -= 0.1 * v
        }
        #expect(abs(Double(p.item) - ref) < 1e-6)
        var q = Tensor(shape: [1], values: [1])
        var s2 = SGD(weightDecay: 0.5).makeState(for: q)
        SGD(weightDecay: 0.5).update(parameter: &q, gradient: Tensor(shape: [1], values: [1]), state: &s2, learningRate: 0.1)
        #expect(abs(q.item - 0.85) < 1e-7)
    }

    @Test("the update is a pure function of gradient, parameter and state")
    func purity() {
        let rule = Adam()
        var g = SeededGenerator(seed: 1)
        let p0 = Tensor.randomNormal([100], using: &g), grad = Tensor.randomNormal([100], using: &g)
        var s1 = rule.makeState(for: p0), s2 = s1
        var p1 = p0, p2 = p0
        rule.update(parameter: &p1, gradient: grad, state: &s1, learningRate: 0.1)
        rule.update(parameter: &p2, gradient: grad, state: &s2, learningRate: 0.1)
        #expect(p1 == p2 && s1 == s2)
        #expect(p0 != p1)   // the original value (shared storage) is untouched: copy-on-write
    }

    @Test("learning-rate schedules")
    func schedules() {
        #expect(LearningRateSchedule.constant.factor(atStep: 1000) == 1)
        let step = LearningRateSchedule.step(every: 10, factor: 0.5)
        #expect(step.factor(atStep: 9) == 1 && step.factor(atStep: 10) == 0.5 && step.factor(atStep: 25) == 0.25)
        let cosine = LearningRateSchedule.cosine(totalSteps: 110, minimumFactor: 0.1, warmupSteps: 10)
        #expect(cosine.factor(atStep: 0) == 0.1 && cosine.factor(atStep: 4) == 0.5 && cosine.factor(atStep: 9) == 1)
        #expect(cosine.factor(atStep: 10) == 1)
        #expect(abs(cosine.factor(atStep: 60) - 0.55) < 1e-6)
        #expect(abs(cosine.factor(atStep: 110) - 0.1) < 1e-6 && abs(cosine.factor(atStep: 500) - 0.1) < 1e-6)
    }

    @Test("gradient clipping scales to the maximum norm")
    func clipping() {
        let a = Variable(Tensor.zeros([2]), requiresGradient: true), b = Variable(Tensor.zeros([1]), requiresGradient: true)
        a.gradient = Tensor(shape: [2], values: [3, 0]); b.gradient = Tensor(shape: [1], values: [4])
        #expect(clipGradientNorm([a, b], maxNorm: 1) == 5)
        #expect(a.gradient!.scalars == [0.6, 0] && b.gradient!.scalars == [0.8])
    }
}
