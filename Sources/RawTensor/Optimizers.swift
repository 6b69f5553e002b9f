import Foundation
import RawSupport

/// An update rule for one parameter tensor: a pure function of (gradient, parameter, state).
///
/// The rule holds only hyper-parameters; all per-parameter memory (momentum, moment estimates,
/// step counts) lives in ``State``, which the caller keeps, so two identical calls give identical
/// results and training resumes bit-exactly from saved state. ``ParameterUpdater`` applies a rule
/// to every parameter of a ``Module`` and keeps the states.
public protocol Optimizer: Sendable {
    /// The per-parameter memory of the rule.
    associatedtype State: Sendable

    /// A short name stored with saved state (for example `"Adam"`).
    var name: String { get }

    /// The state before the first update of `parameter`.
    func makeState(for parameter: Tensor) -> State

    /// Updates `parameter` in place from its `gradient` with step size `learningRate`; depends on
    /// nothing but its arguments.
    func update(parameter: inout Tensor, gradient: Tensor, state: inout State, learningRate: Float)

    /// The state as named tensors (for saving), keys without the parameter name.
    func tensors(of state: State) -> [String: Tensor]

    /// The state rebuilt from ``tensors(of:)``; `nil` when a tensor is missing or has the wrong shape.
    func state(from tensors: [String: Tensor], for parameter: Tensor) -> State?
}

/// Runs `body(range)` on chunks of `0..<count` in parallel (elementwise optimizer loops).
private func elementwise(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachChunk(count: count, grain: 1 << 15, body)
}

/// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, as in PyTorch's `SGD`.
public struct SGD: Optimizer {
    /// The velocity buffer (absent until the first update when momentum is zero).
    public struct State: Sendable, Equatable {
        /// The momentum buffer.
        public var velocity: Tensor
        /// Updates applied so far.
        public var step: Int
    }
    /// Momentum factor (0 for plain SGD).
    public var momentum: Float
    /// L2 penalty added to the gradient (`gradient + weightDecay * parameter`).
    public var weightDecay: Float
    /// Whether to use Nesterov momentum.
    public var nesterov: Bool
    /// `"SGD"`.
    public var name: String { "SGD" }

    /// Creates the rule.
    public init(momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum; self.weightDecay = weightDecay; self.nesterov = nesterov
    }

    /// A zero velocity.
    public func makeState(for parameter: Tensor) -> State { State(velocity: Tensor.zeros(parameter.shape), step: 0) }

    /// `v = momentum * v + g` (the first step sets `v = g`), `p -= lr * (nesterov ? g + momentum * v : v)`.
    public func update(parameter: inout Tensor, gradient: Tensor, state: inout State, learningRate: Float) {
        precondition(parameter.shape == gradient.shape, "SGD: gradient \(gradient.shape) for parameter \(parameter.shape)")
        let mu = momentum, wd = weightDecay, first = state.step == 0, nesterov = nesterov
        parameter.withUnsafeMutableBufferPointer { p in
            state.velocity.withUnsafeMutableBufferPointer { v in
                gradient.withUnsafeBufferPointer { g in
                    let n = g.count, p = p.baseAddress!, v = v.baseAddress!, g = g.baseAddress!
                    elementwise(n) { r in
                        for i in r {
                            let d = g[i] + wd * p[i]
                            if mu == 0 { p[i] -= learningRate * d; continue }
                            v[i] = first ? d : mu * v[i] + d
                            p[i] -= learningRate * (nesterov ? d + mu * v[i] : v[i])
                        }
                    }
                }
            }
        }
        state.step += 1
    }

    /// `velocity` and `step`.
    public func tensors(of state: State) -> [String: Tensor] {
        ["velocity": state.velocity, "step": Tensor(Float(state.step))]
    }

    /// Rebuilds the state from ``tensors(of:)``.
    public func state(from tensors: [String: Tensor], for parameter: Tensor) -> State? {
        guard let v = tensors["velocity"], v.shape == parameter.shape, let s = tensors["step"], s.count == 1 else { return nil }
        return State(velocity: v, step: Int(s.item))
    }
}

/// Adam (Kingma & Ba), with PyTorch's bias correction and optional L2 weight decay; with
/// `decoupledWeightDecay` it is AdamW (Loshchilov & Hutter). See also `AdamW(...)`.
public struct Adam: Optimizer {
    /// First and second moment estimates and the step count.
    public struct State: Sendable, Equatable {
        /// The running mean of gradients.
        public var firstMoment: Tensor
        /// The running mean of squared gradients.
        public var secondMoment: Tensor
        /// Updates applied so far.
        public var step: Int
    }
    /// Decay of the first moment.
    public var beta1: Float
    /// Decay of the second moment.
    public var beta2: Float
    /// Added to the denominator for stability.
    public var epsilon: Float
    /// Weight decay: an L2 term added to the gradient, or (decoupled) `p *= 1 - lr * weightDecay`.
    public var weightDecay: Float
    /// Whether weight decay is decoupled from the gradient (AdamW).
    public var decoupledWeightDecay: Bool
    /// `"Adam"` or `"AdamW"`.
    public var name: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    /// Creates the rule (PyTorch's defaults).
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
                decoupledWeightDecay: Bool = false) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// Zero moments.
    public func makeState(for parameter: Tensor) -> State {
        State(firstMoment: Tensor.zeros(parameter.shape), secondMoment: Tensor.zeros(parameter.shape), step: 0)
    }

    /// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
    /// `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
    public func update(parameter: inout Tensor, gradient: Tensor, state: inout State, learningRate: Float) {
        precondition(parameter.shape == gradient.shape, "Adam: gradient \(gradient.shape) for parameter \(parameter.shape)")
        state.step += 1
        let t = Double(state.step)
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay, decoupled = decoupledWeightDecay
        let stepSize = Float(Double(learningRate) / (1 - Foundation.pow(Double(b1), t)))
        let correction2 = Float((1 - Foundation.pow(Double(b2), t)).squareRoot())
        let decay = 1 - learningRate * wd
        parameter.withUnsafeMutableBufferPointer { p in
            state.firstMoment.withUnsafeMutableBufferPointer { m in
                state.secondMoment.withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in
                        let p = p.baseAddress!, m = m.baseAddress!, v = v.baseAddress!, g = g.baseAddress!
                        elementwise(gradient.count) { r in
                            for i in r {
                                var d = g[i]
                                if decoupled { p[i] *= decay } else { d += wd * p[i] }
                                m[i] = b1 * m[i] + (1 - b1) * d
                                v[i] = b2 * v[i] + (1 - b2) * d * d
                                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `m`, `v` and `step`.
    public func tensors(of state: State) -> [String: Tensor] {
        ["m": state.firstMoment, "v": state.secondMoment, "step": Tensor(Float(state.step))]
    }

    /// Rebuilds the state from ``tensors(of:)``.
    public func state(from tensors: [String: Tensor], for parameter: Tensor) -> State? {
        guard let m = tensors["m"], let v = tensors["v"], let s = tensors["step"],
              m.shape == parameter.shape, v.shape == parameter.shape, s.count == 1 else { return nil }
        return State(firstMoment: m, secondMoment: v, step: Int(s.item))
    }
}

/// AdamW: Adam with decoupled weight decay (default `weightDecay` 0.01, as in PyTorch).
public func AdamW(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
    Adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: true)
}

/// A learning-rate multiplier as a function of the update count, with optional linear warm-up.
public struct LearningRateSchedule: Sendable, Equatable {
    /// The decay after warm-up.
    public enum Decay: Sendable, Equatable {
        /// No decay.
        case constant
        /// Multiply by `factor` every `every` updates.
        case step(every: Int, factor: Float)
        /// Half a cosine from 1 down to `minimumFactor` over `totalSteps` updates (warm-up included).
        case cosine(totalSteps: Int, minimumFactor: Float)
    }
    /// The decay after warm-up.
    public var decay: Decay
    /// Updates over which the multiplier rises linearly to 1 (0 for none).
    public var warmupSteps: Int

    /// Creates a schedule.
    public init(decay: Decay = .constant, warmupSteps: Int = 0) {
        precondition(warmupSteps >= 0, "warmupSteps must be >= 0")
        self.decay = decay; self.warmupSteps = warmupSteps
    }

    /// A constant learning rate.
    public static let constant = LearningRateSchedule()
    /// Step decay.
    public static func step(every: Int, factor: Float, warmupSteps: Int = 0) -> LearningRateSchedule {
        precondition(every > 0, "step schedule needs every > 0")
        return LearningRateSchedule(decay: .step(every: every, factor: factor), warmupSteps: warmupSteps)
    }
    /// Cosine decay.
    public static func cosine(totalSteps: Int, minimumFactor: Float = 0, warmupSteps: Int = 0) -> LearningRateSchedule {
        precondition(totalSteps > 0, "cosine schedule needs totalSteps > 0")
        return LearningRateSchedule(decay: .cosine(totalSteps: totalSteps, minimumFactor: minimumFactor), warmupSteps: warmupSteps)
    }

    /// The multiplier for update number `step` (0 for the first update).
    public func factor(atStep step: Int) -> Float {
        if step < warmupSteps { return Float(step + 1) / Float(warmupSteps) }
        let t = step - warmupSteps
        switch decay {
        case .constant: return 1
        case .step(let every, let factor): return Float(Foundation.pow(Double(factor), Double(t / every)))
        case .cosine(let total, let minimum):
            let span = max(1, total - warmupSteps)
            let progress = min(1, Double(t) / Double(span))
            return minimum + (1 - minimum) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}

/// Applies an ``Optimizer`` to the parameters of a module, keeping the per-parameter states and the
/// learning-rate schedule; the states can be saved and restored to resume training bit-exactly.
///
/// ```swift
/// let updater = ParameterUpdater(optimizer: Adam(), learningRate: 3e-4,
///                                schedule: .cosine(totalSteps: 2000, warmupSteps: 100))
/// for _ in 0..<2000 {
///     model.zeroGradients()
///     let loss = l1Loss(model(x), y)
///     loss.backward()
///     updater.update(model)
/// }
/// ```
public final class ParameterUpdater<Rule: Optimizer> {
    /// The update rule.
    public var optimizer: Rule
    /// The base learning rate (multiplied by the schedule).
    public var learningRate: Float
    /// The learning-rate schedule.
    public var schedule: LearningRateSchedule
    /// Updates applied so far.
    public private(set) var step: Int = 0
    /// The state of each parameter, by name.
    public private(set) var states: [String: Rule.State] = [:]

    /// Creates an updater with no state yet.
    public init(optimizer: Rule, learningRate: Float, schedule: LearningRateSchedule = .constant) {
        self.optimizer = optimizer; self.learningRate = learningRate; self.schedule = schedule
    }

    /// The learning rate the next update will use.
    public var currentLearningRate: Float { learningRate * schedule.factor(atStep: step) }

    /// Updates every named parameter that has a gradient, then advances the schedule.
    public func update(_ parameters: [(name: String, parameter: Variable)]) {
        let lr = currentLearningRate
        for (name, parameter) in parameters {
            guard let gradient = parameter.gradient else { continue }
            var state = states.removeValue(forKey: name) ?? optimizer.makeState(for: parameter.value)
            parameter.updateValue { value in
                optimizer.update(parameter: &value, gradient: gradient, state: &state, learningRate: lr)
            }
            states[name] = state
        }
        step += 1
    }

    /// Updates every parameter of `module` that has a gradient.
    public func update(_ module: some Module) {
        update(module.namedParameters())
    }

    /// The states as named tensors (`"<parameter>.<key>"`) and metadata (optimizer name, step), ready for
    /// ``SafeTensors``.
    public func stateArchive() -> SafeTensors {
        var tensors: [String: Tensor] = [:]
        for (name, state) in states {
            for (key, t) in optimizer.tensors(of: state) { tensors["\(name).\(key)"] = t }
        }
        return SafeTensors(tensors, metadata: ["optimizer": optimizer.name, "step": String(step),
                                               "learningRate": String(learningRate.bitPattern)])
    }

    /// Restores states saved by ``stateArchive()`` for the parameters of `module`.
    ///
    /// - Throws: ``TensorIOError/corrupt(path:reason:)`` when the archive is for another optimizer or
    ///   lacks the step, ``TensorIOError/missingTensor(path:name:)`` when a parameter's state is
    ///   incomplete; `source` names the file in errors.
    public func restore(from archive: SafeTensors, for module: some Module, source: String = "") throws(TensorIOError) {
        guard archive.metadata["optimizer"] == optimizer.name, let s = archive.metadata["step"], let savedStep = Int(s) else {
            throw .corrupt(path: source, reason: "not a \(optimizer.name) state archive (metadata \(archive.metadata))")
        }
        var restored: [String: Rule.State] = [:]
        for (name, parameter) in module.namedParameters() {
            let prefix = name + "."
            let own = archive.tensors.filter { $0.key.hasPrefix(prefix) }
            if own.isEmpty { continue }   // never updated before the save
            let keyed = Dictionary(uniqueKeysWithValues: own.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
            guard let state = optimizer.state(from: keyed, for: parameter.value) else {
                throw .missingTensor(path: source, name: name + ".*")
            }
            restored[name] = state
        }
        states = restored
        step = savedStep
        if let lr = archive.metadata["learningRate"], let bits = UInt32(lr) { learningRate = Float(bitPattern: bits) }
    }
}

/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`; returns
/// the norm before scaling.
@discardableResult
public func clipGradientNorm(_ parameters: [Variable], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters {
        if let g = p.gradient { total += g.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) * Double($1) } } }
    }
    let norm = Float(total.squareRoot())
    if norm > maxNorm && norm > 0 {
        let scale = maxNorm / norm
        for p in parameters where p.gradient != nil { p.gradient! *= scale }
    }
    return norm
}
