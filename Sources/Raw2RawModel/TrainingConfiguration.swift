import Foundation

/// Weights of the loss terms; a weight of 0 switches a term off (and skips its computation).
public struct LossWeights: Codable, Sendable, Equatable {
    /// Reconstruction on the unpaired images: `D_A(E_A(a)) ≈ a`, `D_B(E_B(b)) ≈ b`.
    public var reconstruction: Float
    /// Latent alignment on the anchor pairs: `E_A(a) ≈ E_B(b)` at every encoder level.
    public var alignment: Float
    /// Cross-camera mapping on the anchor pairs, both directions: `D_B(E_A(a)) ≈ b`, `D_A(E_B(b)) ≈ a`.
    public var mapping: Float
    /// Cycle consistency on the unpaired images: `map_BA(map_AB(a)) ≈ a`, `map_AB(map_BA(b)) ≈ b`.
    public var cycle: Float
    /// Deviation from the base mapping on the unpaired images, both directions: `map_AB(a) ≈
    /// base_AB(a)`, `map_BA(b) ≈ base_BA(b)` (residual architecture only). It keeps the learned
    /// correction at zero wherever the anchor pairs do not ask for one.
    public var deviation: Float

    /// Creates loss weights.
    public init(reconstruction: Float, alignment: Float, mapping: Float, cycle: Float, deviation: Float = 0) {
        self.reconstruction = reconstruction
        self.alignment = alignment
        self.mapping = mapping
        self.cycle = cycle
        self.deviation = deviation
    }
}

/// The distance every loss term uses.
public enum LossKind: String, Codable, Sendable, CaseIterable {
    /// Mean absolute difference (the default).
    case l1
    /// Mean squared difference.
    case l2
}

/// How the learning rate changes over the run.
public struct ScheduleConfiguration: Codable, Sendable, Equatable {
    /// The shape of the schedule after warm-up.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The base rate throughout.
        case constant
        /// Cosine decay from the base rate to `base * minimumFactor` at the last step.
        case cosine
    }

    /// The shape after warm-up.
    public var kind: Kind
    /// Steps of linear warm-up from `base / warmupSteps` to the base rate (0: none).
    public var warmupSteps: Int
    /// The final rate as a fraction of the base rate (cosine only).
    public var minimumFactor: Float

    /// Creates a schedule.
    public init(kind: Kind, warmupSteps: Int = 0, minimumFactor: Float = 0.1) {
        self.kind = kind
        self.warmupSteps = warmupSteps
        self.minimumFactor = minimumFactor
    }

    /// The learning rate of step `step` (0-based) out of `totalSteps`, for base rate `base`.
    public func rate(step: Int, totalSteps: Int, base: Float) -> Float {
        if warmupSteps > 0 && step < warmupSteps {
            return base * Float(step + 1) / Float(warmupSteps)
        }
        switch kind {
        case .constant:
            return base
        case .cosine:
            let span = max(1, totalSteps - warmupSteps - 1)
            let t = min(1, Double(step - warmupSteps) / Double(span))
            let f = Double(minimumFactor) + (1 - Double(minimumFactor)) * 0.5 * (1 + cos(Double.pi * t))
            return base * Float(f)
        }
    }
}

/// The optimizer and its schedule: the run length, Adam's settings and the learning rate.
public struct OptimizationConfiguration: Codable, Sendable, Equatable {
    /// Optimizer steps of the run (0: fit the least-squares and exposure parts only). Default 1500 (`paper`: 1600).
    public var steps: Int
    /// Adam's base learning rate. Default 1e-3 (`paper`: 2e-3).
    public var learningRate: Float
    /// The learning-rate schedule. Default cosine decay to 0.1x with 50 warm-up steps (`paper`: to 0.05x after 100 warm-up steps).
    public var schedule: ScheduleConfiguration
    /// Adam's first-moment decay. Default 0.9.
    public var beta1: Float
    /// Adam's second-moment decay. Default 0.999.
    public var beta2: Float
    /// Adam's epsilon. Default 1e-8.
    public var epsilon: Float
    /// Where the paper network's output starts: with `true`, the bias of each decoder's last
    /// layer is initialised so that, before training, the network outputs the per-channel mean of
    /// its camera's anchor images (the logit of that mean under the sigmoid output, the mean
    /// itself under clamping) instead of the middle of the range. A data-dependent
    /// initialisation of four numbers per decoder; the architecture and the losses are unchanged.
    /// Paper architecture only (the residual architecture's decoder output is a residual that
    /// starts near zero). Default `false` (`paper`: `true`).
    public var outputBiasPrior: Bool

    /// Creates optimizer settings; every default is the ``TrainingConfiguration/default`` preset's.
    public init(steps: Int = 1500, learningRate: Float = 1e-3,
                schedule: ScheduleConfiguration = ScheduleConfiguration(kind: .cosine, warmupSteps: 50, minimumFactor: 0.1),
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, outputBiasPrior: Bool = false) {
        self.steps = steps
        self.learningRate = learningRate
        self.schedule = schedule
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.outputBiasPrior = outputBiasPrior
    }

    /// The default preset's optimizer: 1500 steps, Adam 1e-3 with cosine decay to 0.1x after 50 warm-up steps.
    public static let `default` = OptimizationConfiguration()

    /// The paper preset's optimizer: 1600 steps, Adam 2e-3 after 100 warm-up steps with cosine
    /// decay to 0.05x, the output bias prior. (Before issue 13's recipe: 2000 steps of Adam 3e-4
    /// at a constant rate, which stayed below the single calibration; `Documentation/Ablation.md`,
    /// "Time to claim".)
    public static let paper = OptimizationConfiguration(
        steps: 1600, learningRate: 2e-3, schedule: ScheduleConfiguration(kind: .cosine, warmupSteps: 100, minimumFactor: 0.05),
        outputBiasPrior: true)
}

/// What each training step draws from the data: patch size, batch sizes, augmentation, the
/// pool of resident images, and the pixels the least-squares fits read.
public struct SamplingConfiguration: Codable, Sendable, Equatable {
    /// Side of the square training patches, in packed pixels (a multiple of the model's
    /// ``ModelConfiguration/sizeMultiple``). Default 64 (`paper`: 32).
    public var patchSize: Int
    /// Unpaired patches per camera per step. Default 8.
    public var unpairedBatchSize: Int
    /// Anchor-pair patches per step. Default 4.
    public var anchorBatchSize: Int
    /// Random horizontal and vertical flips of training patches (pairs flip together). Default true.
    public var flips: Bool
    /// Unpaired images per camera held in memory at once for sampling patches (0: all). A
    /// resident image is swapped for a random other one every ``poolRefreshInterval`` steps, so
    /// large datasets train in bounded memory. Default 16.
    public var residentImages: Int
    /// Steps between swaps of one resident unpaired image per camera. Default 4.
    public var poolRefreshInterval: Int
    /// The most pixels per anchor pair used to fit the least-squares base (an even subsample). Default 65536.
    public var baseFitPixelsPerPair: Int
    /// Random brightness augmentation, in stops: each training patch is multiplied by `2^u`, `u`
    /// uniform in `[-gainAugmentation, gainAugmentation]`, then clipped to [0, 1]; both images of
    /// an anchor pair get the same gain, so their colour relation is kept while the network sees
    /// each scene at many exposures. Default 0 (off: no random numbers are drawn for it; `paper`: 1.5).
    public var gainAugmentation: Float
    /// Mixup of anchor pairs: each anchor patch pair is blended with a second, random anchor patch
    /// pair, `(1 - w) p + w q` with `w` uniform in `[0, anchorMixing]`, the same `w` in both
    /// cameras. For a mapping close to linear the blend of two pairs is again a pair, of a scene
    /// (texture, colours, exposure) none of the anchors shows. In [0, 1]; default 0 (off: no
    /// random numbers are drawn for it).
    public var anchorMixing: Float
    /// Anchor patches assembled from tiles: with a side `s > 0` (dividing ``patchSize``), each
    /// anchor patch pair keeps its first `s x s` tile and takes every other tile from a random
    /// anchor pair at a random place, the same place in both cameras. Neighbouring tiles then come
    /// from different scenes, whose exposures differ at random, so the surroundings of a pixel
    /// cannot tell the network an anchor scene's exposure. Needs no context branch
    /// (``ModelConfiguration/contextWidth`` 0) and no per-pair exposure alignment. Default 0 (off; `paper`: 4).
    public var anchorTiling: Int

    /// Creates sampling settings; every default is that of the ``TrainingConfiguration/default`` preset.
    public init(patchSize: Int = 64, unpairedBatchSize: Int = 8, anchorBatchSize: Int = 4, flips: Bool = true,
                residentImages: Int = 16, poolRefreshInterval: Int = 4, baseFitPixelsPerPair: Int = 65536,
                gainAugmentation: Float = 0, anchorMixing: Float = 0, anchorTiling: Int = 0) {
        self.patchSize = patchSize
        self.unpairedBatchSize = unpairedBatchSize
        self.anchorBatchSize = anchorBatchSize
        self.flips = flips
        self.residentImages = residentImages
        self.poolRefreshInterval = poolRefreshInterval
        self.baseFitPixelsPerPair = baseFitPixelsPerPair
        self.gainAugmentation = gainAugmentation
        self.anchorMixing = anchorMixing
        self.anchorTiling = anchorTiling
    }

    /// The default preset's sampling: 64-pixel patches, 8 unpaired patches per camera and 4 anchor patches per step, flips.
    public static let `default` = SamplingConfiguration()

    /// The paper preset's sampling: 32-pixel patches, 8 unpaired patches per camera and 4 anchor
    /// pairs per step, flips, gain augmentation of ±1.5 stops, anchor patches assembled from 4x4
    /// tiles. (Before issue 13's recipe: the default's sampling.)
    public static let paper = SamplingConfiguration(patchSize: 32, gainAugmentation: 1.5, anchorTiling: 4)
}

/// Checkpoints and validation during a run. None of these settings changes the trained weights,
/// so a run may resume with other values.
public struct MonitoringConfiguration: Codable, Sendable, Equatable {
    /// Steps between checkpoints (0: only at the end). Default 250.
    public var checkpointInterval: Int
    /// How many checkpoints to keep on disk (the newest). Default 2.
    public var keepCheckpoints: Int
    /// Steps between validations on held-out pairs (0: never). Default 250.
    public var validationInterval: Int
    /// The most held-out pairs a validation uses. Default 8.
    public var validationPairs: Int
    /// Validation maps a centre crop of at most this side (packed pixels) of each pair. Default 256.
    public var validationCrop: Int

    /// Creates checkpoint and validation settings; every default is that of both presets.
    public init(checkpointInterval: Int = 250, keepCheckpoints: Int = 2, validationInterval: Int = 250,
                validationPairs: Int = 8, validationCrop: Int = 256) {
        self.checkpointInterval = checkpointInterval
        self.keepCheckpoints = keepCheckpoints
        self.validationInterval = validationInterval
        self.validationPairs = validationPairs
        self.validationCrop = validationCrop
    }

    /// The monitoring of both presets: a checkpoint and a validation (8 pairs, 256-pixel crops) every 250 steps, 2 checkpoints kept.
    public static let `default` = MonitoringConfiguration()
}

extension LossWeights {
    /// The default preset's weights: mapping 1, cycle 1, deviation 2, reconstruction 0, alignment 0.
    public static let `default` = LossWeights(reconstruction: 0, alignment: 0, mapping: 1, cycle: 1, deviation: 2)

    /// The paper's weights: reconstruction 1, alignment 1, mapping 1, nothing else.
    public static let paper = LossWeights(reconstruction: 1, alignment: 1, mapping: 1, cycle: 0)
}

/// Everything that defines a training run: the model, the losses, the optimizer
/// (``optimization``), the data sampling (``sampling``), checkpoints and validation
/// (``monitoring``), and the seed.
///
/// Two named presets: ``default`` (the residual model, see ``ModelConfiguration``) and ``paper``
/// (the paper's formulation: reconstruction + latent alignment + cross-camera mapping, L1, all at
/// weight 1).
///
/// ### JSON
///
/// The JSON form (in configuration files, `model.json` and checkpoints) is one flat object: the
/// fields of the groups appear at the top level under their own names, as they did before the
/// groups existed. Decoding fills every missing key from the preset named by its `"preset"` key
/// (default `"default"`), so a configuration file only lists what it changes:
///
/// ```json
/// { "preset": "paper", "steps": 5000, "patchSize": 128, "model": { "channels": [16, 32, 64] } }
/// ```
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The preset these values started from.
    public var preset: Preset
    /// The network. Default ``ModelConfiguration/default``.
    public var model: ModelConfiguration
    /// Loss weights. Default ``LossWeights/default`` (`paper`: ``LossWeights/paper``).
    public var lossWeights: LossWeights
    /// The distance of every loss term. Default `.l1`.
    public var loss: LossKind
    /// The optimizer: steps, learning rate and schedule, Adam's settings. Default
    /// ``OptimizationConfiguration/default`` (`paper`: ``OptimizationConfiguration/paper``).
    public var optimization: OptimizationConfiguration
    /// Patches and batches, augmentation, resident images, least-squares fit pixels. Default ``SamplingConfiguration/default``.
    public var sampling: SamplingConfiguration
    /// Checkpoints and validation. Default ``MonitoringConfiguration/default``.
    public var monitoring: MonitoringConfiguration
    /// The seed of every random choice (initial weights, patches, flips, least-squares folds). Default 0.
    public var seed: UInt64

    /// The default preset: the residual model with cycle consistency.
    public static let `default` = TrainingConfiguration()

    /// The paper's formulation: plain U-Net pair, reconstruction + alignment + mapping, L1, trained
    /// with the recipe of ``OptimizationConfiguration/paper`` and ``SamplingConfiguration/paper``.
    public static let paper = TrainingConfiguration(preset: .paper, model: .paper, lossWeights: .paper, optimization: .paper,
                                                    sampling: .paper)

    /// The training presets share the model presets' names.
    public typealias Preset = ModelConfiguration.Preset

    /// Creates a configuration; every default is the ``default`` preset's.
    public init(preset: Preset = .default, model: ModelConfiguration = .default, lossWeights: LossWeights = .default,
                loss: LossKind = .l1, optimization: OptimizationConfiguration = .default,
                sampling: SamplingConfiguration = .default, monitoring: MonitoringConfiguration = .default, seed: UInt64 = 0) {
        self.preset = preset
        self.model = model
        self.lossWeights = lossWeights
        self.loss = loss
        self.optimization = optimization
        self.sampling = sampling
        self.monitoring = monitoring
        self.seed = seed
    }

    /// A list of problems with the values (empty when the configuration is usable).
    public func problems() -> [String] {
        var out = model.problems()
        let o = optimization, s = sampling, mon = monitoring
        let m = model.sizeMultiple
        if s.patchSize < m || s.patchSize % m != 0 || s.patchSize > 1024 {
            out.append("patchSize must be a multiple of \(m) (the model's pooling), at most 1024, got \(s.patchSize)")
        }
        if s.unpairedBatchSize < 0 || s.anchorBatchSize < 0 { out.append("batch sizes must not be negative") }
        let w = lossWeights
        for (name, v) in [("reconstruction", w.reconstruction), ("alignment", w.alignment), ("mapping", w.mapping),
                          ("cycle", w.cycle), ("deviation", w.deviation)]
        where !(v >= 0 && v.isFinite) {
            out.append("loss weight \(name) must be finite and not negative, got \(v)")
        }
        if (w.reconstruction > 0 || w.cycle > 0 || w.deviation > 0) && s.unpairedBatchSize == 0 {
            out.append("reconstruction, cycle or deviation losses need unpairedBatchSize > 0")
        }
        if (w.alignment > 0 || w.mapping > 0) && s.anchorBatchSize == 0 {
            out.append("alignment or mapping losses need anchorBatchSize > 0")
        }
        if w.reconstruction + w.alignment + w.mapping + w.cycle + w.deviation <= 0 { out.append("at least one loss weight must be positive") }
        if w.deviation > 0 && model.architecture != .residual { out.append("the deviation loss needs the residual architecture") }
        if model.architecture == .paper && w.alignment > 0 && model.channels.isEmpty { out.append("alignment needs encoder levels") }
        if o.steps < 0 { out.append("steps must not be negative, got \(o.steps)") }
        if o.steps > 0 && !model.hasLearnedMapping {
            out.append("the model has no learned part (pixelResidual false, contextWidth 0): train it with 0 steps")
        }
        if !(o.learningRate > 0 && o.learningRate.isFinite) { out.append("learningRate must be positive, got \(o.learningRate)") }
        if o.schedule.warmupSteps < 0 { out.append("warmupSteps must not be negative") }
        if !(o.schedule.minimumFactor >= 0 && o.schedule.minimumFactor <= 1) { out.append("minimumFactor must be in [0, 1]") }
        if !(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1) { out.append("Adam betas must be in [0, 1)") }
        if !(o.epsilon > 0) { out.append("Adam epsilon must be positive") }
        if o.outputBiasPrior && model.architecture != .paper {
            out.append("outputBiasPrior initialises the paper network's output: it needs the paper architecture")
        }
        if mon.checkpointInterval < 0 { out.append("checkpointInterval must not be negative") }
        if mon.keepCheckpoints < 1 { out.append("keepCheckpoints must be at least 1") }
        if mon.validationInterval < 0 || mon.validationPairs < 0 { out.append("validation settings must not be negative") }
        if mon.validationCrop < m { out.append("validationCrop must be at least \(m)") }
        if s.residentImages < 0 || s.poolRefreshInterval < 1 { out.append("residentImages >= 0 and poolRefreshInterval >= 1 needed") }
        if s.baseFitPixelsPerPair < 16 { out.append("baseFitPixelsPerPair must be at least 16") }
        if !(s.gainAugmentation >= 0 && s.gainAugmentation <= 4) { out.append("gainAugmentation must be in [0, 4] stops, got \(s.gainAugmentation)") }
        if !(s.anchorMixing >= 0 && s.anchorMixing <= 1) { out.append("anchorMixing must be in [0, 1], got \(s.anchorMixing)") }
        if s.anchorTiling < 0 || (s.anchorTiling > 0 && s.patchSize % s.anchorTiling != 0) {
            out.append("anchorTiling must be 0 or divide patchSize \(s.patchSize), got \(s.anchorTiling)")
        }
        if s.anchorTiling > 0 && (model.alignsAnchorExposure || model.contextWidth > 0) {
            out.append("anchorTiling assembles anchor patches from several pairs: it needs contextWidth 0 and alignsAnchorExposure false")
        }
        if s.anchorMixing > 0 && model.alignsAnchorExposure {
            out.append("anchorMixing blends anchor pairs, whose exposures alignsAnchorExposure aligns one pair at a time: switch one of them off")
        }
        return out
    }

    private enum CodingKeys: String, CodingKey {
        case preset, model, lossWeights, loss, patchSize, unpairedBatchSize, anchorBatchSize, steps, learningRate
        case schedule, beta1, beta2, epsilon, flips, seed, checkpointInterval, keepCheckpoints
        case validationInterval, validationPairs, validationCrop, residentImages, poolRefreshInterval, baseFitPixelsPerPair
        case gainAugmentation, anchorMixing, anchorTiling, outputBiasPrior
    }

    /// The keys ``encode(to:)`` always writes (every key but the recipe options that are off).
    private static let alwaysEncodedKeys: [CodingKeys] = [
        .preset, .model, .lossWeights, .loss, .seed, .steps, .learningRate, .schedule, .beta1, .beta2, .epsilon,
        .patchSize, .unpairedBatchSize, .anchorBatchSize, .flips, .residentImages, .poolRefreshInterval,
        .baseFitPixelsPerPair, .checkpointInterval, .keepCheckpoints, .validationInterval, .validationPairs, .validationCrop,
    ]

    /// Decodes a configuration from its flat JSON form; missing keys take the values of the
    /// preset named by `"preset"`.
    ///
    /// The groups' fields are read from the top level (as every model folder and checkpoint
    /// written so far has them). A nested `"model"` object without its own `"preset"` starts
    /// from this preset's model. The recipe options the encoder writes only when they are on
    /// (``SamplingConfiguration/gainAugmentation``, ``SamplingConfiguration/anchorMixing``,
    /// ``SamplingConfiguration/anchorTiling``, ``OptimizationConfiguration/outputBiasPrior``) are
    /// off when missing from a complete encoding (one with every other key, as in `model.json`
    /// and checkpoints), so a `paper` model or checkpoint written before the preset's recipe
    /// changed keeps the recipe it was trained with.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decodeIfPresent(Preset.self, forKey: .preset) ?? .default
        let base = name.trainingConfiguration
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        // The encoder leaves out the recipe options that are off, so in a complete encoding (a
        // model.json or checkpoint: every key the encoder always writes is there) a missing one
        // is off, whatever the preset says today; in a configuration file listing only some keys
        // it takes the preset's value.
        let complete = Self.alwaysEncodedKeys.allSatisfy(c.contains)
        func option<T: Decodable>(_ key: CodingKeys, _ fallback: T, off: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? (complete ? off : fallback)
        }
        preset = name
        if c.contains(.model) {
            model = try ModelConfiguration(decoding: c.superDecoder(forKey: .model), defaultPreset: base.model.preset)
        } else {
            model = base.model
        }
        lossWeights = try c.decodeIfPresent(PartialLossWeights.self, forKey: .lossWeights)?.filled(from: base.lossWeights) ?? base.lossWeights
        loss = try value(.loss, base.loss)
        seed = try value(.seed, base.seed)
        let o = base.optimization
        optimization = OptimizationConfiguration(
            steps: try value(.steps, o.steps), learningRate: try value(.learningRate, o.learningRate),
            schedule: try value(.schedule, o.schedule), beta1: try value(.beta1, o.beta1), beta2: try value(.beta2, o.beta2),
            epsilon: try value(.epsilon, o.epsilon), outputBiasPrior: try option(.outputBiasPrior, o.outputBiasPrior, off: false))
        let s = base.sampling
        sampling = SamplingConfiguration(
            patchSize: try value(.patchSize, s.patchSize), unpairedBatchSize: try value(.unpairedBatchSize, s.unpairedBatchSize),
            anchorBatchSize: try value(.anchorBatchSize, s.anchorBatchSize), flips: try value(.flips, s.flips),
            residentImages: try value(.residentImages, s.residentImages),
            poolRefreshInterval: try value(.poolRefreshInterval, s.poolRefreshInterval),
            baseFitPixelsPerPair: try value(.baseFitPixelsPerPair, s.baseFitPixelsPerPair),
            gainAugmentation: try option(.gainAugmentation, s.gainAugmentation, off: 0),
            anchorMixing: try option(.anchorMixing, s.anchorMixing, off: 0), anchorTiling: try option(.anchorTiling, s.anchorTiling, off: 0))
        let m = base.monitoring
        monitoring = MonitoringConfiguration(
            checkpointInterval: try value(.checkpointInterval, m.checkpointInterval),
            keepCheckpoints: try value(.keepCheckpoints, m.keepCheckpoints),
            validationInterval: try value(.validationInterval, m.validationInterval),
            validationPairs: try value(.validationPairs, m.validationPairs),
            validationCrop: try value(.validationCrop, m.validationCrop))
    }

    /// Encodes the flat JSON form: every field of the groups at the top level under its own name
    /// (``SamplingConfiguration/gainAugmentation``, ``SamplingConfiguration/anchorMixing`` and
    /// ``SamplingConfiguration/anchorTiling`` only when they are not 0, ``OptimizationConfiguration/outputBiasPrior`` only when it is true).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(preset, forKey: .preset)
        try c.encode(model, forKey: .model)
        try c.encode(lossWeights, forKey: .lossWeights)
        try c.encode(loss, forKey: .loss)
        try c.encode(seed, forKey: .seed)
        let o = optimization
        try c.encode(o.steps, forKey: .steps)
        try c.encode(o.learningRate, forKey: .learningRate)
        try c.encode(o.schedule, forKey: .schedule)
        try c.encode(o.beta1, forKey: .beta1)
        try c.encode(o.beta2, forKey: .beta2)
        try c.encode(o.epsilon, forKey: .epsilon)
        if o.outputBiasPrior { try c.encode(o.outputBiasPrior, forKey: .outputBiasPrior) }
        let s = sampling
        try c.encode(s.patchSize, forKey: .patchSize)
        try c.encode(s.unpairedBatchSize, forKey: .unpairedBatchSize)
        try c.encode(s.anchorBatchSize, forKey: .anchorBatchSize)
        try c.encode(s.flips, forKey: .flips)
        try c.encode(s.residentImages, forKey: .residentImages)
        try c.encode(s.poolRefreshInterval, forKey: .poolRefreshInterval)
        try c.encode(s.baseFitPixelsPerPair, forKey: .baseFitPixelsPerPair)
        // Written only when on, so configurations without it keep the JSON they always had.
        if s.gainAugmentation != 0 { try c.encode(s.gainAugmentation, forKey: .gainAugmentation) }
        if s.anchorMixing != 0 { try c.encode(s.anchorMixing, forKey: .anchorMixing) }
        if s.anchorTiling != 0 { try c.encode(s.anchorTiling, forKey: .anchorTiling) }
        let m = monitoring
        try c.encode(m.checkpointInterval, forKey: .checkpointInterval)
        try c.encode(m.keepCheckpoints, forKey: .keepCheckpoints)
        try c.encode(m.validationInterval, forKey: .validationInterval)
        try c.encode(m.validationPairs, forKey: .validationPairs)
        try c.encode(m.validationCrop, forKey: .validationCrop)
    }
}

/// Loss weights with every field optional, for configuration files that change only some.
private struct PartialLossWeights: Decodable {
    var reconstruction: Float?
    var alignment: Float?
    var mapping: Float?
    var cycle: Float?
    var deviation: Float?

    func filled(from base: LossWeights) -> LossWeights {
        LossWeights(reconstruction: reconstruction ?? base.reconstruction, alignment: alignment ?? base.alignment,
                    mapping: mapping ?? base.mapping, cycle: cycle ?? base.cycle,
                    deviation: deviation ?? base.deviation)
    }
}

extension ModelConfiguration.Preset {
    /// The training configuration of this preset (its ``TrainingConfiguration/model`` is ``modelConfiguration``).
    public var trainingConfiguration: TrainingConfiguration {
        switch self {
        case .default: return .default
        case .paper: return .paper
        }
    }
}
