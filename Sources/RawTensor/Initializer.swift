import RawCore
/// How a weight tensor is filled at creation, from a seeded ``SeededGenerator``.
///
/// `fanIn` is the number of inputs of one output unit (`inputChannels * kH * kW` for a
/// convolution), `fanOut` the number of outputs an input reaches (`outputChannels * kH * kW`).
public enum Initializer: Sendable, Equatable {
    /// He/Kaiming normal: `N(0, gain^2 / fanIn)` with `gain = sqrt(2 / (1 + negativeSlope^2))`,
    /// suited to (leaky) ReLU networks.
    case heNormal(negativeSlope: Float = 0)
    /// He/Kaiming uniform: `U(-b, b)` with `b = gain * sqrt(3 / fanIn)`.
    case heUniform(negativeSlope: Float = 0)
    /// Xavier/Glorot normal: `N(0, 2 / (fanIn + fanOut))`.
    case xavierNormal
    /// Xavier/Glorot uniform: `U(-b, b)` with `b = sqrt(6 / (fanIn + fanOut))`.
    case xavierUniform
    /// PyTorch's default for `Conv2d` and `Linear` weights and biases: `U(-1/sqrt(fanIn), 1/sqrt(fanIn))`.
    case pytorchDefault
    /// `N(0, standardDeviation^2)`.
    case normal(standardDeviation: Float)
    /// Every element equal to `value` (zeros for the usual bias).
    case constant(Float)

    /// A tensor of `shape` filled by this rule.
    public func makeTensor(_ shape: [Int], fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> Tensor {
        let fi = Float(max(fanIn, 1)), fo = Float(max(fanOut, 1))
        switch self {
        case .heNormal(let a):
            let gain = (2 / (1 + a * a)).squareRoot()
            return Tensor.randomNormal(shape, standardDeviation: gain / fi.squareRoot(), using: &generator)
        case .heUniform(let a):
            let b = (2 / (1 + a * a)).squareRoot() * (3 / fi).squareRoot()
            return Tensor.randomUniform(shape, in: -b..<b, using: &generator)
        case .xavierNormal:
            return Tensor.randomNormal(shape, standardDeviation: (2 / (fi + fo)).squareRoot(), using: &generator)
        case .xavierUniform:
            let b = (6 / (fi + fo)).squareRoot()
            return Tensor.randomUniform(shape, in: -b..<b, using: &generator)
        case .pytorchDefault:
            let b = 1 / fi.squareRoot()
            return Tensor.randomUniform(shape, in: -b..<b, using: &generator)
        case .normal(let s):
            return Tensor.randomNormal(shape, standardDeviation: s, using: &generator)
        case .constant(let v):
            return Tensor(shape: shape, repeating: v)
        }
    }
}
