import RawCore
/// A 2-D convolution layer with optional bias and a fused activation.
///
/// ```swift
/// var generator = SeededGenerator(seed: 1)
/// let conv = Conv2d(inputChannels: 4, outputChannels: 32, kernelSize: 3, padding: 1,
///                   activation: .leakyReLU(negativeSlope: 0.2), generator: &generator)
/// let y = conv(Variable(x))     // records the call; y.backward(...) reaches conv.weight
/// ```
///
/// Each call records its own graph node with what its backward pass needs, so one layer can be used
/// several times in a step and the weight gradients of all uses add up.
public final class Conv2d: UnaryLayer {
    /// The kernel, `[outputChannels, inputChannels, kernelSize, kernelSize]`.
    public let weight: Variable
    /// The bias, `[outputChannels]`, if the layer has one.
    public let bias: Variable?
    /// The stride on both axes.
    public let stride: Int
    /// The zero padding on both sides of both axes.
    public let padding: Int
    /// The activation applied to the output (fused into the convolution's output pass).
    public let activation: Activation

    /// Creates a convolution with weights drawn from `initializer` and a zero (or initialised) bias.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, activation: Activation = .identity,
                initializer: Initializer = .heNormal(), biasInitializer: Initializer = .constant(0),
                generator: inout SeededGenerator) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "Conv2d needs positive sizes, got \(inputChannels)->\(outputChannels) k\(kernelSize)")
        let fanIn = inputChannels * kernelSize * kernelSize, fanOut = outputChannels * kernelSize * kernelSize
        weight = Variable(initializer.makeTensor([outputChannels, inputChannels, kernelSize, kernelSize],
                                                 fanIn: fanIn, fanOut: fanOut, using: &generator), requiresGradient: true)
        self.bias = bias ? Variable(biasInitializer.makeTensor([outputChannels], fanIn: fanIn, fanOut: fanOut, using: &generator),
                                    requiresGradient: true) : nil
        self.stride = stride
        self.padding = padding
        self.activation = activation
    }

    /// The number of input channels.
    public var inputChannels: Int { weight.shape[1] }
    /// The number of output channels.
    public var outputChannels: Int { weight.shape[0] }
    /// The kernel's side length.
    public var kernelSize: Int { weight.shape[2] }

    /// Applies the convolution (and activation) to an `[N, inputChannels, H, W]` variable.
    public func callAsFunction(_ input: Variable) -> Variable {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, activation: activation)
    }
}

/// A fully connected layer, `y = x * weight^T + bias`, on `[N, inputFeatures]` variables.
public final class Linear: UnaryLayer {
    /// The weight, `[outputFeatures, inputFeatures]`.
    public let weight: Variable
    /// The bias, `[outputFeatures]`, if the layer has one.
    public let bias: Variable?
    /// The activation applied to the output.
    public let activation: Activation

    /// Creates a fully connected layer with weights drawn from `initializer`.
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, activation: Activation = .identity,
                initializer: Initializer = .heNormal(), biasInitializer: Initializer = .constant(0),
                generator: inout SeededGenerator) {
        weight = Variable(initializer.makeTensor([outputFeatures, inputFeatures], fanIn: inputFeatures,
                                                 fanOut: outputFeatures, using: &generator), requiresGradient: true)
        self.bias = bias ? Variable(biasInitializer.makeTensor([outputFeatures], fanIn: inputFeatures, fanOut: outputFeatures,
                                                               using: &generator), requiresGradient: true) : nil
        self.activation = activation
    }

    /// Applies the layer to an `[N, inputFeatures]` variable.
    public func callAsFunction(_ input: Variable) -> Variable {
        precondition(input.shape.count == 2 && input.shape[1] == weight.shape[1],
                     "Linear expects [N, \(weight.shape[1])], got \(input.shape)")
        let y = linear(input, weight: weight, bias: bias)
        return activation == .identity ? y : y.applying(activation)
    }
}

/// Max pooling over non-overlapping `size x size` windows, as a layer.
public final class MaxPool2d: UnaryLayer {
    /// The window side (and stride).
    public let size: Int
    /// Creates the layer.
    public init(size: Int = 2) { self.size = size }
    /// Applies the pooling.
    public func callAsFunction(_ input: Variable) -> Variable { maxPool2d(input, size: size) }
}

/// Average pooling over non-overlapping `size x size` windows, as a layer.
public final class AveragePool2d: UnaryLayer {
    /// The window side (and stride).
    public let size: Int
    /// Creates the layer.
    public init(size: Int = 2) { self.size = size }
    /// Applies the pooling.
    public func callAsFunction(_ input: Variable) -> Variable { averagePool2d(input, size: size) }
}

/// Upsampling by an integer factor, as a layer.
public final class Upsample: UnaryLayer {
    /// The interpolation of ``Upsample``.
    public enum Mode: Sendable, Equatable {
        /// Repeat each pixel.
        case nearest
        /// Bilinear interpolation (`align_corners=False`).
        case bilinear
    }
    /// The factor on both axes.
    public let scale: Int
    /// The interpolation.
    public let mode: Mode
    /// Creates the layer.
    public init(scale: Int = 2, mode: Mode = .nearest) { self.scale = scale; self.mode = mode }
    /// Applies the upsampling.
    public func callAsFunction(_ input: Variable) -> Variable {
        mode == .nearest ? upsampleNearest2d(input, scale: scale) : upsampleBilinear2d(input, scale: scale)
    }
}

/// An elementwise activation, as a layer.
public final class ActivationLayer: UnaryLayer {
    /// The activation.
    public let activation: Activation
    /// Creates the layer.
    public init(_ activation: Activation) { self.activation = activation }
    /// Applies the activation.
    public func callAsFunction(_ input: Variable) -> Variable { input.applying(activation) }
}

/// Layers applied one after another.
public final class Sequential: UnaryLayer {
    /// The layers, in order.
    public let layers: [any UnaryLayer]
    /// Creates the chain.
    public init(_ layers: [any UnaryLayer]) { self.layers = layers }
    /// Applies every layer in order.
    public func callAsFunction(_ input: Variable) -> Variable { layers.reduce(input) { $1($0) } }
}

/// Differentiable affine map `input * weight^T + bias` of `[N, inFeatures]` by an `[outFeatures, inFeatures]`
/// weight and an optional `[outFeatures]` bias.
public func linear(_ input: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    let x = input.value, w = weight.value
    precondition(x.rank == 2 && w.rank == 2 && x.shape[1] == w.shape[1],
                 "linear: input \(x.shape) does not match weight \(w.shape)")
    var y = matmul(x, w, transposeA: false, transposeB: true)
    if let bias {
        precondition(bias.shape == [w.shape[0]], "linear: bias \(bias.shape) does not match weight \(w.shape)")
        y = y + bias.value
    }
    let needsInput = input.requiresGradient, hasBias = bias != nil
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return Variable.operation(y, inputs: inputs) { g in
        let dx = needsInput ? matmul(g, w) : nil
        let dw = matmul(g, x, transposeA: true, transposeB: false)
        return hasBias ? [dx, dw, g.sum(alongAxes: [0])] : [dx, dw]
    }
}
