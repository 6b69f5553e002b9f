import RawSupport
/// The sizes of one 2-D convolution: input `[n, inputChannels, height, width]`, weight
/// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`, zero padding and stride per axis.
struct ConvolutionGeometry: Equatable {
    let batch, inputChannels, height, width: Int
    let outputChannels, kernelHeight, kernelWidth: Int
    let strideY, strideX, paddingY, paddingX: Int
    let outputHeight, outputWidth: Int

    init(input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int)) {
        precondition(input.count == 4, "conv2d input must be [N, C, H, W], got \(input)")
        precondition(weight.count == 4, "conv2d weight must be [outC, inC, kH, kW], got \(weight)")
        precondition(weight[1] == input[1], "conv2d: weight expects \(weight[1]) input channels, input has \(input[1])")
        precondition(stride.0 >= 1 && stride.1 >= 1, "conv2d: stride must be >= 1, got \(stride)")
        precondition(padding.0 >= 0 && padding.1 >= 0, "conv2d: padding must be >= 0, got \(padding)")
        precondition(weight[2] >= 1 && weight[3] >= 1, "conv2d: empty kernel \(weight)")
        batch = input[0]; inputChannels = input[1]; height = input[2]; width = input[3]
        outputChannels = weight[0]; kernelHeight = weight[2]; kernelWidth = weight[3]
        strideY = stride.0; strideX = stride.1; paddingY = padding.0; paddingX = padding.1
        precondition(height + 2 * paddingY >= kernelHeight && width + 2 * paddingX >= kernelWidth,
                     "conv2d: kernel \(kernelHeight)x\(kernelWidth) larger than padded input \(height)x\(width) + padding \(padding)")
        outputHeight = (height + 2 * paddingY - kernelHeight) / strideY + 1
        outputWidth = (width + 2 * paddingX - kernelWidth) / strideX + 1
    }

    /// Rows of the unrolled (im2col) matrix: one per input channel and kernel tap.
    var patchSize: Int { inputChannels * kernelHeight * kernelWidth }
    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }
    var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// A 1x1 convolution with stride 1 and no padding is a plain matrix product per image.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideY == 1 && strideX == 1 && paddingY == 0 && paddingX == 0
    }
    /// Output rows unrolled at a time: enough pixels for an efficient GEMM, few enough to stay in cache.
    var rowsPerChunk: Int { max(1, min(outputHeight, Convolution.chunkPixels / max(outputWidth, 1))) }
}

/// im2col / col2im and the GEMM-based convolution kernels.
enum Convolution {
    /// Target number of output pixels unrolled per GEMM (tests override it per task to exercise chunking).
    @TaskLocal static var chunkPixels = 4096
    /// Whether stride-1 width-preserving convolutions use ``RowShiftConvolution`` (tests compare both paths).
    @TaskLocal static var usesRowShift = true
    /// Whether 3x3 stride-1 padding-1 convolutions use ``WinogradConvolution`` (tests compare the paths).
    @TaskLocal static var usesWinograd = true

    /// Writes the unrolled patches of output rows `y0..<y0+rows` of one image into `col`
    /// (`patchSize` rows of `rows * outputWidth` columns).
    static func im2col(_ g: ConvolutionGeometry, image x: UnsafePointer<Float>, y0: Int, rows: Int,
                       col: UnsafeMutablePointer<Float>, parallel: Bool) {
        let columns = rows * g.outputWidth
        let taps = g.kernelHeight * g.kernelWidth
        Parallel.forEachChunk(count: g.inputChannels, grain: max(1, 16384 / max(taps * columns, 1)), parallel: parallel) { channels in
            for c in channels {
                let plane = x + c * g.inputPlane
                for ky in 0..<g.kernelHeight {
                    for kx in 0..<g.kernelWidth {
                        let dst = col + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * columns
                        // Valid output columns: 0 <= ox * sx - px + kx < width.
                        let oxLo = min(g.outputWidth, max(0, (g.paddingX - kx + g.strideX - 1) / g.strideX))
                        let oxHi = max(oxLo, min(g.outputWidth, (g.width + g.paddingX - kx + g.strideX - 1) / g.strideX))
                        for r in 0..<rows {
                            let iy = (y0 + r) * g.strideY - g.paddingY + ky
                            let row = dst + r * g.outputWidth
                            if iy < 0 || iy >= g.height {
                                row.update(repeating: 0, count: g.outputWidth)
                                continue
                            }
                            let src = plane + iy * g.width - g.paddingX + kx
                            if oxLo > 0 { row.update(repeating: 0, count: oxLo) }
                            if g.strideX == 1 {
                                (row + oxLo).update(from: src + oxLo, count: oxHi - oxLo)
                            } else {
                                for ox in oxLo..<oxHi { row[ox] = src[ox * g.strideX] }
                            }
                            if oxHi < g.outputWidth { (row + oxHi).update(repeating: 0, count: g.outputWidth - oxHi) }
                        }
                    }
                }
            }
        }
    }

    /// Adds the unrolled gradient `col` of output rows `y0..<y0+rows` back into the image gradient `dx`.
    static func col2im(_ g: ConvolutionGeometry, col: UnsafePointer<Float>, y0: Int, rows: Int,
                       image dx: UnsafeMutablePointer<Float>, parallel: Bool) {
        let columns = rows * g.outputWidth
        let taps = g.kernelHeight * g.kernelWidth
        Parallel.forEachChunk(count: g.inputChannels, grain: max(1, 16384 / max(taps * columns, 1)), parallel: parallel) { channels in
            for c in channels {
                let plane = dx + c * g.inputPlane
                for ky in 0..<g.kernelHeight {
                    for kx in 0..<g.kernelWidth {
                        let src = col + ((c * g.kernelHeight + ky) * g.kernelWidth + kx) * columns
                        let oxLo = min(g.outputWidth, max(0, (g.paddingX - kx + g.strideX - 1) / g.strideX))
                        let oxHi = max(oxLo, min(g.outputWidth, (g.width + g.paddingX - kx + g.strideX - 1) / g.strideX))
                        for r in 0..<rows {
                            let iy = (y0 + r) * g.strideY - g.paddingY + ky
                            if iy < 0 || iy >= g.height { continue }
                            let row = src + r * g.outputWidth
                            let dst = plane + iy * g.width - g.paddingX + kx
                            if g.strideX == 1 {
                                for ox in oxLo..<oxHi { dst[ox] += row[ox] }
                            } else {
                                for ox in oxLo..<oxHi { dst[ox * g.strideX] += row[ox] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Per-channel sums of `dy` (`[n, C, plane]`), accumulated in Double in a fixed order.
    static func channelSums(_ dy: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
                            into result: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(count: channels, grain: max(1, 32768 / max(plane * batch, 1))) { range in
            for c in range {
                var s = 0.0
                for n in 0..<batch {
                    s += Double(Reduce.sum(dy + (n * channels + c) * plane, plane))
                }
                result[c] = Float(s)
            }
        }
    }
}

/// 2-D cross-correlation (the "convolution" of deep learning) of an `[N, C, H, W]` input with a
/// `[outC, C, kH, kW]` weight, optional `[outC]` bias, zero padding and stride.
///
/// 3x3 convolutions with stride 1, padding 1 and at least 16 input and output channels use
/// Winograd's F(2x2, 3x3) transform; other stride-1 width-preserving ones unroll their horizontal
/// taps, the rest use im2col on row chunks of each image, all followed by `cblas_sgemm`; a 1x1
/// convolution with stride 1 is a single matrix product per image. The bias is added in the
/// output pass. Results equal a direct convolution up to Float rounding.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
    conv2d(input, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding))
}

/// 2-D convolution with separate vertical and horizontal stride and padding.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int)) -> Tensor {
    conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, activation: .identity)
}

/// A convolution with the bias and `activation` fused into its output pass.
func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int), activation: Activation) -> Tensor {
    let g = ConvolutionGeometry(input: input.shape, weight: weight.shape, stride: stride, padding: padding)
    if let bias { precondition(bias.shape == [g.outputChannels], "conv2d: bias must be [\(g.outputChannels)], got \(bias.shape)") }
    if case .leakyReLU(let slope) = activation {
        precondition(slope > 0, "leakyReLU needs a positive slope to be invertible from its output, got \(slope)")
    }
    let out = Tensor(uninitializedShape: g.outputShape)
    Convolution.forward(g, input: input.storage.pointer, weight: weight.storage.pointer, bias: bias?.storage.pointer,
                        activation: activation, output: out.storage.pointer)
    withExtendedLifetime((input, weight, bias)) {}
    return out
}

/// The gradients of `conv2d(_:weight:bias:stride:padding:)` with respect to its input, weight and
/// bias, given the gradient of its output (vector-Jacobian product).
///
/// - Parameters:
///   - gradOutput: the gradient of the convolution's output, `[N, outC, outH, outW]`.
///   - input: the convolution's input, `[N, C, H, W]`.
///   - weight: its weight, `[outC, C, kH, kW]`.
///   - stride: the stride used in the forward pass.
///   - padding: the zero padding used in the forward pass.
///   - computeInputGradient: pass `false` for a first layer whose input needs no gradient.
public func conv2dBackward(gradOutput: Tensor, input: Tensor, weight: Tensor, stride: Int = 1, padding: Int = 0,
                           computeInputGradient: Bool = true) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    conv2dBackward(gradOutput: gradOutput, input: input, weight: weight, stride: (stride, stride),
                   padding: (padding, padding), computeInputGradient: computeInputGradient)
}

/// The gradients of a convolution with separate vertical and horizontal stride and padding.
public func conv2dBackward(gradOutput: Tensor, input: Tensor, weight: Tensor, stride: (Int, Int), padding: (Int, Int),
                           computeInputGradient: Bool = true) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let g = ConvolutionGeometry(input: input.shape, weight: weight.shape, stride: stride, padding: padding)
    precondition(gradOutput.shape == g.outputShape, "conv2dBackward: gradOutput \(gradOutput.shape) != output \(g.outputShape)")
    let dw = Tensor.zeros(weight.shape)
    let db = Tensor(uninitializedShape: [g.outputChannels])
    let dx: Tensor? = computeInputGradient ? Tensor.zeros(input.shape) : nil
    let pdx = dx?.storage.pointer
    Convolution.backward(g, gradOutput: gradOutput.storage.pointer, input: input.storage.pointer,
                         weight: weight.storage.pointer, gradWeight: dw.storage.pointer, gradInput: pdx)
    Convolution.channelSums(gradOutput.storage.pointer, batch: g.batch, channels: g.outputChannels,
                            plane: g.outputPlane, into: db.storage.pointer)
    withExtendedLifetime((gradOutput, input, weight)) {}
    return (dx, dw, db)
}
