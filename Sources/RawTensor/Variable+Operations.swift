// Differentiable operations on `Variable`: each computes its forward pass with the Tensor kernels
// and records a pullback holding exactly the tensors its hand-written backward pass needs.

// MARK: - Convolution and matrix product

/// Differentiable 2-D convolution with optional bias and a fused activation.
///
/// Fusing the activation saves one pass over the output and one saved tensor: the backward pass
/// recovers the activation's derivative from the output alone.
public func conv2d(_ input: Variable, weight: Variable, bias: Variable? = nil, stride: Int = 1, padding: Int = 0,
                   activation: Activation = .identity) -> Variable {
    let y = conv2d(input.value, weight: weight.value, bias: bias?.value, stride: (stride, stride), padding: (padding, padding),
                   activation: activation)
    let x = input.value, w = weight.value, needsInput = input.requiresGradient, hasBias = bias != nil
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return Variable.operation(y, inputs: inputs) { g in
        let gy = activation == .identity ? g : activationBackward(gradOutput: g, output: y, activation: activation)
        let grads = conv2dBackward(gradOutput: gy, input: x, weight: w, stride: stride, padding: padding,
                                   computeInputGradient: needsInput)
        return hasBias ? [grads.input, grads.weight, grads.bias] : [grads.input, grads.weight]
    }
}

/// Differentiable matrix product of `[m, k]` and `[k, n]` variables.
public func matmul(_ a: Variable, _ b: Variable) -> Variable {
    let av = a.value, bv = b.value, ga = a.requiresGradient, gb = b.requiresGradient
    return Variable.operation(matmul(av, bv), inputs: [a, b]) { g in
        [ga ? matmul(g, bv, transposeA: false, transposeB: true) : nil,
         gb ? matmul(av, g, transposeA: true, transposeB: false) : nil]
    }
}

// MARK: - Pooling, upsampling

/// Differentiable max pooling over non-overlapping `size x size` windows.
public func maxPool2d(_ input: Variable, size: Int = 2) -> Variable {
    let x = input.value
    let y = maxPool2d(x, size: size)
    return Variable.operation(y, inputs: [input]) { g in
        [maxPool2dBackward(gradOutput: g, input: x, output: y, size: size)]
    }
}

/// Differentiable average pooling over non-overlapping `size x size` windows.
public func averagePool2d(_ input: Variable, size: Int = 2) -> Variable {
    let shape = input.shape
    return Variable.operation(averagePool2d(input.value, size: size), inputs: [input]) { g in
        [averagePool2dBackward(gradOutput: g, inputShape: shape, size: size)]
    }
}

/// Differentiable nearest-neighbour upsampling by an integer factor.
public func upsampleNearest2d(_ input: Variable, scale: Int = 2) -> Variable {
    Variable.operation(upsampleNearest2d(input.value, scale: scale), inputs: [input]) { g in
        [upsampleNearest2dBackward(gradOutput: g, scale: scale)]
    }
}

/// Differentiable bilinear upsampling by an integer factor (`align_corners=False`).
public func upsampleBilinear2d(_ input: Variable, scale: Int = 2) -> Variable {
    Variable.operation(upsampleBilinear2d(input.value, scale: scale), inputs: [input]) { g in
        [upsampleBilinear2dBackward(gradOutput: g, scale: scale)]
    }
}

// MARK: - Joining and slicing

/// Differentiable concatenation along `axis` (axis 1 joins the channels of U-Net skips).
public func concatenate(_ variables: [Variable], axis: Int) -> Variable {
    let sizes = variables.map { $0.shape[axis] }
    return Variable.operation(Tensor.concatenate(variables.map(\.value), axis: axis), inputs: variables) { g in
        g.split(sizes: sizes, axis: axis)
    }
}

/// Differentiable split along `axis` into pieces of the given sizes.
public func split(_ input: Variable, sizes: [Int], axis: Int) -> [Variable] {
    let pieces = input.value.split(sizes: sizes, axis: axis)
    return pieces.indices.map { i in
        Variable.operation(pieces[i], inputs: [input]) { g in
            let parts = sizes.indices.map { j -> Tensor in
                if j == i { return g }
                var shape = g.shape
                shape[axis] = sizes[j]
                return Tensor.zeros(shape)
            }
            return [Tensor.concatenate(parts, axis: axis)]
        }
    }
}

extension Variable {
    /// Differentiable reshape to a shape of equal element count.
    public func reshaped(_ shape: [Int]) -> Variable {
        let original = self.shape
        return Variable.operation(value.reshaped(shape), inputs: [self]) { g in [g.reshaped(original)] }
    }

    /// Differentiable slice of the batch (outermost) axis.
    public subscript(batch range: Range<Int>) -> Variable {
        let n = shape[0]
        let sizes = [range.lowerBound, range.count, n - range.upperBound]
        return split(self, sizes: sizes, axis: 0)[1]
    }
}

// MARK: - Activations

extension Variable {
    /// Differentiable elementwise activation.
    public func applying(_ activation: Activation) -> Variable {
        let y = value.applying(activation)
        return Variable.operation(y, inputs: [self]) { g in
            [activationBackward(gradOutput: g, output: y, activation: activation)]
        }
    }
}

/// Differentiable `max(x, 0)`.
public func relu(_ x: Variable) -> Variable { x.applying(.relu) }
/// Differentiable leaky ReLU.
public func leakyReLU(_ x: Variable, negativeSlope: Float = 0.2) -> Variable { x.applying(.leakyReLU(negativeSlope: negativeSlope)) }
/// Differentiable logistic sigmoid.
public func sigmoid(_ x: Variable) -> Variable { x.applying(.sigmoid) }
/// Differentiable hyperbolic tangent.
public func tanh(_ x: Variable) -> Variable { x.applying(.tanh) }

// MARK: - Arithmetic

extension Variable {
    /// Differentiable elementwise sum with broadcasting.
    public static func + (lhs: Variable, rhs: Variable) -> Variable {
        let sa = lhs.shape, sb = rhs.shape, ga = lhs.requiresGradient, gb = rhs.requiresGradient
        return Variable.operation(lhs.value + rhs.value, inputs: [lhs, rhs]) { g in
            [ga ? g.sum(toShape: sa) : nil, gb ? g.sum(toShape: sb) : nil]
        }
    }

    /// Differentiable elementwise difference with broadcasting.
    public static func - (lhs: Variable, rhs: Variable) -> Variable {
        let sa = lhs.shape, sb = rhs.shape, ga = lhs.requiresGradient, gb = rhs.requiresGradient
        return Variable.operation(lhs.value - rhs.value, inputs: [lhs, rhs]) { g in
            [ga ? g.sum(toShape: sa) : nil, gb ? (-g).sum(toShape: sb) : nil]
        }
    }

    /// Differentiable elementwise product with broadcasting.
    public static func * (lhs: Variable, rhs: Variable) -> Variable {
        let a = lhs.value, b = rhs.value, ga = lhs.requiresGradient, gb = rhs.requiresGradient
        return Variable.operation(a * b, inputs: [lhs, rhs]) { g in
            [ga ? (g * b).sum(toShape: a.shape) : nil, gb ? (g * a).sum(toShape: b.shape) : nil]
        }
    }

    /// Differentiable product with a constant scalar (for example a loss weight).
    public static func * (lhs: Float, rhs: Variable) -> Variable {
        Variable.operation(lhs * rhs.value, inputs: [rhs]) { g in [lhs * g] }
    }

    /// Differentiable product with a constant scalar.
    public static func * (lhs: Variable, rhs: Float) -> Variable { rhs * lhs }

    /// Differentiable sum with a constant scalar.
    public static func + (lhs: Variable, rhs: Float) -> Variable {
        Variable.operation(lhs.value + rhs, inputs: [lhs]) { g in [g] }
    }

    /// Differentiable negation.
    public static prefix func - (operand: Variable) -> Variable {
        Variable.operation(-operand.value, inputs: [operand]) { g in [-g] }
    }

    /// Differentiable sum of all elements (a scalar).
    public func sum() -> Variable {
        let shape = self.shape
        return Variable.operation(value.sum(), inputs: [self]) { g in [Tensor(shape: shape, repeating: g.item)] }
    }

    /// Differentiable mean of all elements (a scalar).
    public func mean() -> Variable {
        let shape = self.shape, n = Float(value.count)
        return Variable.operation(value.mean(), inputs: [self]) { g in [Tensor(shape: shape, repeating: g.item / n)] }
    }

    /// Differentiable mean over `axes` (kept with size 1), e.g. `[2, 3]` for global average pooling.
    public func mean(alongAxes axes: [Int]) -> Variable {
        let shape = self.shape
        let y = value.mean(alongAxes: axes, keepingDimensions: true)
        let n = Float(value.count / max(y.count, 1))
        return Variable.operation(y, inputs: [self]) { g in [(g * (1 / n)).broadcast(to: shape)] }
    }
}

/// Sums variables (for example several weighted losses) into one.
public func sum(_ variables: [Variable]) -> Variable {
    precondition(!variables.isEmpty, "sum of no variables")
    return variables.dropFirst().reduce(variables[0], +)
}

// MARK: - Losses

/// A differentiable mean-reduced loss; gradients flow to both arguments (useful when both sides are
/// network outputs, as in a feature-alignment loss).
public func pointwiseLoss(_ function: LossFunction, _ prediction: Variable, _ target: Variable) -> Variable {
    let p = prediction.value, t = target.value, gp = prediction.requiresGradient, gt = target.requiresGradient
    let value = Tensor(Float(function.value(p, t)))
    return Variable.operation(value, inputs: [prediction, target]) { g in
        let dp = function.gradient(p, t, scale: g.item)
        return [gp ? dp : nil, gt ? -dp : nil]
    }
}

/// Differentiable mean absolute error.
public func l1Loss(_ prediction: Variable, _ target: Variable) -> Variable { pointwiseLoss(.l1, prediction, target) }
/// Differentiable mean squared error.
public func mseLoss(_ prediction: Variable, _ target: Variable) -> Variable { pointwiseLoss(.meanSquaredError, prediction, target) }
/// Differentiable Charbonnier loss `mean(sqrt(d^2 + epsilon^2))`.
public func charbonnierLoss(_ prediction: Variable, _ target: Variable, epsilon: Float = 1e-3) -> Variable {
    pointwiseLoss(.charbonnier(epsilon: epsilon), prediction, target)
}
