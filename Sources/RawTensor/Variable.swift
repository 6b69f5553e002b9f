/// A node of a dynamically recorded computation graph: a tensor value, and how to send a gradient
/// back to the variables it was computed from.
///
/// Leaves are created with ``init(_:requiresGradient:)``: trainable parameters pass
/// `requiresGradient: true`, inputs and targets keep the default `false`. Every differentiable
/// operation on variables (`conv2d(_:weight:bias:stride:padding:activation:)`, `+`,
/// `l1Loss(_:_:)`, ...) returns a new variable that remembers its inputs and a
/// pullback closure holding exactly what its backward pass needs. ``backward(seed:retainGraph:)``
/// then walks the graph in reverse topological order and **adds** each leaf's gradient into its
/// ``gradient``.
///
/// Because every call records its own node, a module can be applied several times in one step (a
/// shared encoder run on two batches, say), several losses can be summed, and the gradients of all
/// uses accumulate in the shared parameters:
///
/// ```swift
/// let features = encoder(a)                 // first use
/// let mapped = decoder(encoder(b))          // second use of the same parameters
/// let loss = l1Loss(decoder(features), a) + l1Loss(mapped, target)
/// loss.backward()                           // encoder.parameters get both contributions
/// ```
///
/// Graph recording can be switched off for inference with ``withoutGradient(_:)``. Variables are
/// reference types meant for one thread (the thread running the training step); their tensors are
/// values and may be sent anywhere.
public final class Variable {
    /// The tensor this variable holds.
    public private(set) var value: Tensor
    /// The accumulated gradient of a leaf that requires one (`nil` until a backward pass reaches it).
    public var gradient: Tensor?
    /// Whether gradients flow to or through this variable.
    public let requiresGradient: Bool
    /// The variables this one was computed from (empty for leaves and released nodes).
    private(set) var inputs: [Variable]
    /// Maps this variable's gradient to gradients of `inputs` (`nil` entries mean "no gradient").
    private var pullback: ((Tensor) -> [Tensor?])?
    /// Whether this is a leaf: created directly, not computed by an operation.
    public let isLeaf: Bool

    /// Creates a leaf variable; pass `requiresGradient: true` for a trainable parameter.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.inputs = []
        self.pullback = nil
        self.isLeaf = true
    }

    private init(computed value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGradient = true
        self.inputs = inputs
        self.pullback = pullback
        self.isLeaf = false
    }

    /// The result of an operation: records a graph node when recording is on and an input needs a
    /// gradient, and returns a constant otherwise.
    static func operation(_ value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
        if GradientRecording.isEnabled && inputs.contains(where: \.requiresGradient) {
            return Variable(computed: value, inputs: inputs, pullback: pullback)
        }
        return Variable(value)
    }

    /// A custom differentiable operation: `value` computed from `inputs`, and its vector-Jacobian
    /// product `pullback`, which maps the gradient of `value` to one gradient (or `nil`) per input,
    /// each of that input's shape.
    ///
    /// Records a graph node when gradients are being recorded and an input requires one; otherwise
    /// returns a constant. The pullback should capture the tensors it needs (tensors are values, so
    /// capturing them is cheap and safe).
    ///
    /// ```swift
    /// func square(_ x: Variable) -> Variable {
    ///     let v = x.value
    ///     return Variable.differentiable(v * v, inputs: [x]) { g in [2 * v * g] }
    /// }
    /// ```
    public static func differentiable(_ value: Tensor, inputs: [Variable],
                                      pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
        operation(value, inputs: inputs, pullback: pullback)
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// Replaces the value of a leaf (for example after an optimizer step); the shape must not change.
    public func assign(_ newValue: Tensor) {
        precondition(isLeaf, "assign(_:) is only allowed on leaf variables")
        precondition(newValue.shape == value.shape, "assign: shape \(newValue.shape) differs from \(value.shape)")
        value = newValue
    }

    /// Updates a leaf's value in place (the shape must not change).
    public func updateValue(_ body: (inout Tensor) -> Void) {
        precondition(isLeaf, "updateValue(_:) is only allowed on leaf variables")
        let shape = value.shape
        body(&value)
        precondition(value.shape == shape, "updateValue: shape changed from \(shape) to \(value.shape)")
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() { gradient = nil }

    /// Back-propagates from this variable, adding gradients into every reachable leaf that requires one.
    ///
    /// - Parameters:
    ///   - seed: the gradient of the final objective with respect to this variable; `nil` means 1
    ///     and requires a single-element variable (a loss).
    ///   - retainGraph: keep the recorded operations so that `backward` can run through them again;
    ///     by default each node's saved tensors are released as soon as its pullback has run.
    public func backward(seed: Tensor? = nil, retainGraph: Bool = false) {
        precondition(requiresGradient, "backward() on a variable that does not require a gradient")
        let start: Tensor
        if let seed {
            precondition(seed.shape == value.shape, "backward: seed shape \(seed.shape) differs from \(value.shape)")
            start = seed
        } else {
            precondition(value.count == 1, "backward() without a seed needs a single-element variable, shape is \(value.shape)")
            start = Tensor(shape: value.shape, repeating: 1)
        }
        let order = topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        for node in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            if node.isLeaf {
                if node.gradient == nil { node.gradient = g } else { node.gradient! += g }
                continue
            }
            guard let pullback = node.pullback else {
                preconditionFailure("backward through a graph whose saved tensors were released; pass retainGraph: true to the first backward")
            }
            let inputGrads = pullback(g)
            precondition(inputGrads.count == node.inputs.count, "internal: pullback returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (input, ig) in zip(node.inputs, inputGrads) {
                guard input.requiresGradient, let ig else { continue }
                precondition(ig.shape == input.value.shape, "internal: gradient shape \(ig.shape) for input \(input.value.shape)")
                let key = ObjectIdentifier(input)
                if var existing = grads.removeValue(forKey: key) {
                    existing += ig
                    grads[key] = existing
                } else {
                    grads[key] = ig
                }
            }
            if !retainGraph {
                node.pullback = nil
                node.inputs = []
            }
        }
    }

    /// Nodes reachable from this one through inputs that require gradients, inputs before users.
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let child = node.inputs[next]
                if child.requiresGradient && visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

/// Whether differentiable operations record graph nodes in the current task or thread.
public enum GradientRecording {
    @TaskLocal static var enabledValue = true

    /// `true` unless inside ``withoutGradient(_:)``.
    public static var isEnabled: Bool { enabledValue }
}

/// Runs `body` without recording operations: results hold values only, so intermediate tensors
/// are freed as soon as they are no longer used (use it for inference).
public func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$enabledValue.withValue(false, operation: body)
}
