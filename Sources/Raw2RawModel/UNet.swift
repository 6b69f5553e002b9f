import RawTensor

/// Two convolutions of one U-Net level, each followed by the hidden activation.
final class ConvPair: Module {
    let conv1: Conv2d
    let conv2: Conv2d

    init(inputChannels: Int, outputChannels: Int, kernelSize: Int, activation: Activation,
         initializer: Initializer, biasInitializer: Initializer, generator: inout SeededGenerator) {
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize,
                       padding: kernelSize / 2, activation: activation, initializer: initializer,
                       biasInitializer: biasInitializer, generator: &generator)
        conv2 = Conv2d(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: kernelSize,
                       padding: kernelSize / 2, activation: activation, initializer: initializer,
                       biasInitializer: biasInitializer, generator: &generator)
    }

    func callAsFunction(_ x: Variable) -> Variable { conv2(conv1(x)) }
}

/// A U-Net encoder on 4-channel packed raw: per level two convolutions, with 2x2 max pooling
/// between levels. Returns the features of every level (the skips), shallowest first.
final class UNetEncoder: Module {
    let levels: [ConvPair]

    init(configuration c: ModelConfiguration, initializer: Initializer, biasInitializer: Initializer,
         generator: inout SeededGenerator) {
        var levels: [ConvPair] = []
        var inputChannels = 4
        for ch in c.channels {
            levels.append(ConvPair(inputChannels: inputChannels, outputChannels: ch, kernelSize: c.kernelSize,
                                   activation: c.hiddenActivation, initializer: initializer,
                                   biasInitializer: biasInitializer, generator: &generator))
            inputChannels = ch
        }
        self.levels = levels
    }

    /// The features of each level for an `[N, 4, H, W]` input (H and W multiples of the pooling factor).
    func callAsFunction(_ x: Variable) -> [Variable] {
        var features: [Variable] = []
        var h = x
        for (i, level) in levels.enumerated() {
            if i > 0 { h = maxPool2d(h, size: 2) }
            h = level(h)
            features.append(h)
        }
        return features
    }
}

/// A U-Net decoder: from the deepest features up, nearest-neighbour 2x upsampling and a
/// convolution, concatenation with the skip of that level, two convolutions; a final 1x1
/// convolution to 4 channels (without activation: the caller applies the output range).
final class UNetDecoder: Module {
    /// The convolution after each upsampling, deepest first.
    let up: [Conv2d]
    /// The two convolutions after each skip concatenation, deepest first.
    let blocks: [ConvPair]
    /// The final 1x1 convolution to the 4 packed channels.
    let output: Conv2d

    init(configuration c: ModelConfiguration, initializer: Initializer, biasInitializer: Initializer,
         outputInitializer: Initializer, generator: inout SeededGenerator) {
        var up: [Conv2d] = [], blocks: [ConvPair] = []
        let ch = c.channels
        for level in stride(from: ch.count - 2, through: 0, by: -1) {
            up.append(Conv2d(inputChannels: ch[level + 1], outputChannels: ch[level], kernelSize: c.kernelSize,
                             padding: c.kernelSize / 2, activation: c.hiddenActivation, initializer: initializer,
                             biasInitializer: biasInitializer, generator: &generator))
            blocks.append(ConvPair(inputChannels: 2 * ch[level], outputChannels: ch[level], kernelSize: c.kernelSize,
                                   activation: c.hiddenActivation, initializer: initializer,
                                   biasInitializer: biasInitializer, generator: &generator))
        }
        self.up = up
        self.blocks = blocks
        output = Conv2d(inputChannels: ch[0], outputChannels: 4, kernelSize: 1, padding: 0,
                        initializer: outputInitializer, biasInitializer: .constant(0), generator: &generator)
    }

    /// The 4-channel output (before any output activation) for encoder features, shallowest first.
    func callAsFunction(_ features: [Variable]) -> Variable {
        precondition(features.count == blocks.count + 1, "the decoder needs \(blocks.count + 1) feature levels, got \(features.count)")
        var h = features[features.count - 1]
        for i in 0..<blocks.count {
            let skip = features[features.count - 2 - i]
            h = up[i](upsampleNearest2d(h, scale: 2))
            h = blocks[i](concatenate([h, skip], axis: 1))
        }
        return output(h)
    }
}

/// The global-context branch: a small CNN on a thumbnail of the whole image, global average
/// pooling and a two-layer MLP, predicting a per-image 4x4 matrix and offset that correct the
/// base mapping (`y0 + M y0 + b`). The last layer starts small and random, never zero.
final class ContextBranch: Module {
    let conv1: Conv2d
    let conv2: Conv2d
    let conv3: Conv2d
    let hidden: Linear
    let head: Linear

    init(width: Int, activation: Activation, initScale: Float, generator: inout SeededGenerator) {
        let he = Initializer.heNormal(negativeSlope: activation.negativeSlope)
        conv1 = Conv2d(inputChannels: 4, outputChannels: width, kernelSize: 3, padding: 1, activation: activation,
                       initializer: he, generator: &generator)
        conv2 = Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, padding: 1, activation: activation,
                       initializer: he, generator: &generator)
        conv3 = Conv2d(inputChannels: width, outputChannels: width, kernelSize: 3, padding: 1, activation: activation,
                       initializer: he, generator: &generator)
        hidden = Linear(inputFeatures: width, outputFeatures: width, activation: activation, initializer: he,
                        generator: &generator)
        head = Linear(inputFeatures: width, outputFeatures: 20, initializer: .normal(standardDeviation: initScale),
                      generator: &generator)
    }

    /// The `[N, 20]` correction (16 matrix entries row-major, then 4 offsets) for `[N, 4, t, t]` thumbnails.
    func callAsFunction(_ thumbnails: Variable) -> Variable {
        var h = conv1(thumbnails)
        h = averagePool2d(h, size: 2)
        h = conv2(h)
        h = averagePool2d(h, size: 2)
        h = conv3(h)
        let n = h.shape[0], c = h.shape[1]
        let pooled = h.mean(alongAxes: [2, 3]).reshaped([n, c])
        return head(hidden(pooled))
    }
}

extension Activation {
    /// The negative slope of a leaky ReLU (0 otherwise), for He initialisation.
    var negativeSlope: Float {
        if case .leakyReLU(let s) = self { return s }
        return 0
    }
}

extension ModelConfiguration {
    /// The RawTensor activation of the hidden layers.
    var hiddenActivation: RawTensor.Activation {
        switch activation {
        case .leakyReLU: return .leakyReLU(negativeSlope: negativeSlope)
        case .relu: return .relu
        }
    }

    /// A bound on the receptive radius of the U-Net (in input pixels): how far an output pixel
    /// can see. Tiled inference uses it as the minimum halo.
    var receptiveRadius: Int {
        let r = kernelSize / 2
        let levels = channels.count
        var radius = 0
        for l in 0..<levels { radius += 2 * r << l }          // encoder convolutions
        for l in 1..<max(1, levels) { radius += 1 << l }     // pooling
        for l in 0..<max(0, levels - 1) { radius += (3 * r + 1) << l }  // decoder: upsample, up conv, two convs
        return radius + 1
    }
}
