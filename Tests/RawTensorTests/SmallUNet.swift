@testable import RawTensor

/// The encoder of the paper network of Documentation/Method.md (two 3x3 convolutions per level, LeakyReLU 0.2, 2x2 max
/// pooling between levels), with configurable widths so tests can keep it tiny.
final class Level: Module {
    let conv1: Conv2d
    let conv2: Conv2d
    init(_ input: Int, _ output: Int, generator: inout SeededGenerator) {
        let act = Activation.leakyReLU(negativeSlope: 0.2)
        conv1 = Conv2d(inputChannels: input, outputChannels: output, kernelSize: 3, padding: 1, activation: act,
                       initializer: .heNormal(negativeSlope: 0.2), generator: &generator)
        conv2 = Conv2d(inputChannels: output, outputChannels: output, kernelSize: 3, padding: 1, activation: act,
                       initializer: .heNormal(negativeSlope: 0.2), generator: &generator)
    }
    func callAsFunction(_ x: Variable) -> Variable { conv2(conv1(x)) }
}

final class Encoder: Module {
    let levels: [Level]
    init(channels: [Int], inputChannels: Int = 4, generator: inout SeededGenerator) {
        var levels: [Level] = []
        var c = inputChannels
        for w in channels { levels.append(Level(c, w, generator: &generator)); c = w }
        self.levels = levels
    }
    /// The features of every level, finest first.
    func callAsFunction(_ x: Variable) -> [Variable] {
        var features: [Variable] = []
        var h = x
        for (i, level) in levels.enumerated() {
            h = level(i == 0 ? h : maxPool2d(h))
            features.append(h)
        }
        return features
    }
}

final class Decoder: Module {
    let ups: [Conv2d]
    let levels: [Level]
    let out: Conv2d
    init(channels: [Int], outputChannels: Int = 4, generator: inout SeededGenerator) {
        var ups: [Conv2d] = [], levels: [Level] = []
        for i in stride(from: channels.count - 1, to: 0, by: -1) {
            ups.append(Conv2d(inputChannels: channels[i], outputChannels: channels[i - 1], kernelSize: 3, padding: 1,
                              activation: .leakyReLU(negativeSlope: 0.2), initializer: .heNormal(negativeSlope: 0.2),
                              generator: &generator))
            levels.append(Level(2 * channels[i - 1], channels[i - 1], generator: &generator))
        }
        self.ups = ups
        self.levels = levels
        out = Conv2d(inputChannels: channels[0], outputChannels: outputChannels, kernelSize: 1, activation: .sigmoid,
                     initializer: .xavierUniform, generator: &generator)
    }
    func callAsFunction(_ features: [Variable]) -> Variable {
        var y = features.last!
        for (i, up) in ups.enumerated() {
            let skip = features[features.count - 2 - i]
            y = levels[i](concatenate([up(upsampleNearest2d(y)), skip], axis: 1))
        }
        return out(y)
    }
}

/// Two encoder-decoder pairs (cameras A and B) trained with the three losses of Documentation/Method.md.
final class UNetPair: Module {
    let encoderA: Encoder, decoderA: Decoder, encoderB: Encoder, decoderB: Decoder
    init(channels: [Int], seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        encoderA = Encoder(channels: channels, generator: &g)
        decoderA = Decoder(channels: channels, generator: &g)
        encoderB = Encoder(channels: channels, generator: &g)
        decoderB = Decoder(channels: channels, generator: &g)
    }

    /// Reconstruction on unpaired batches, feature alignment and cross mapping on anchor pairs.
    func loss(unpairedA: Tensor, unpairedB: Tensor, anchorA: Tensor, anchorB: Tensor) -> Variable {
        let ua = Variable(unpairedA), ub = Variable(unpairedB), a = Variable(anchorA), b = Variable(anchorB)
        let reconstruction = l1Loss(decoderA(encoderA(ua)), ua) + l1Loss(decoderB(encoderB(ub)), ub)
        let fa = encoderA(a), fb = encoderB(b)
        let alignment = sum(zip(fa, fb).map { l1Loss($0, $1) })
        let mapping = l1Loss(decoderB(fa), b) + l1Loss(decoderA(fb), a)
        return reconstruction + alignment + mapping
    }
}
