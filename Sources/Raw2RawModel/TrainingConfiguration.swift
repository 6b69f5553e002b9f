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

/// Everything that defines a training run: the model, the losses, the data sampling, the
/// optimizer, checkpoints and validation.
///
/// Two named presets: ``default`` (the residual model, see ``ModelConfiguration``) and ``paper``
/// (the paper's formulation: reconstruction + latent alignment + cross-camera mapping, L1, all at
/// weight 1). Decoding a JSON object fills every missing key from the preset named by its
/// `"preset"` key (default `"default"`), so a configuration file only lists what it changes:
///
/// ```json
/// { "preset": "paper", "steps": 5000, "model": { "channels": [16, 32, 64] } }
/// ```
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The preset these values started from.
    public var preset: Preset
    /// The network. Default ``ModelConfiguration/default``.
    public var model: ModelConfiguration
    /// Loss weights. Default: mapping 1, cycle 1, deviation 2, reconstruction 0, alignment 0
    /// (`paper`: reconstruction 1, alignment 1, mapping 1, nothing else).
    public var lossWeights: LossWeights
    /// The distance of every loss term. Default `.l1`.
    public var loss: LossKind
    /// Side of the square training patches, in packed pixels (a multiple of the model's
    /// ``ModelConfiguration/sizeMultiple``). Default 64.
    public var patchSize: Int
    /// Unpaired patches per camera per step. Default 8.
    public var unpairedBatchSize: Int
    /// Anchor-pair patches per step. Default 4.
    public var anchorBatchSize: Int
    /// Optimizer steps of the run (0: fit the least-squares and exposure parts only). Default 1500 (`paper`: 2000).
    public var steps: Int
    /// Adam's base learning rate. Default 1e-3 (`paper`: 3e-4).
    public var learningRate: Float
    /// The learning-rate schedule. Default cosine decay to 0.1x with 50 warm-up steps (`paper`: constant).
    public var schedule: ScheduleConfiguration
    /// Adam's first-moment decay. Default 0.9.
    public var beta1: Float
    /// Adam's second-moment decay. Default 0.999.
    public var beta2: Float
    /// Adam's epsilon. Default 1e-8.
    public var epsilon: Float
    /// Random horizontal and vertical flips of training patches (pairs flip together). Default true.
    public var flips: Bool
    /// The seed of every random choice (initial weights, patches, flips). Default 0.
    public var seed: UInt64
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
    /// Unpaired images per camera held in memory at once for sampling patches (0: all). A
    /// resident image is swapped for a random other one every ``poolRefreshInterval`` steps, so
    /// large datasets train in bounded memory. Default 16.
    public var residentImages: Int
    /// Steps between swaps of one resident unpaired image per camera. Default 4.
    public var poolRefreshInterval: Int
    /// The most pixels per anchor pair used to fit the least-squares base (an even subsample). Default 65536.
    public var baseFitPixelsPerPair: Int

    /// The default preset: the residual model with cycle consistency.
    public static let `default` = TrainingConfiguration(
        preset: .default, model: .default,
        lossWeights: LossWeights(reconstruction: 0, alignment: 0, mapping: 1, cycle: 1, deviation: 2), loss: .l1,
        patchSize: 64, unpairedBatchSize: 8, anchorBatchSize: 4, steps: 1500, learningRate: 1e-3,
        schedule: ScheduleConfiguration(kind: .cosine, warmupSteps: 50, minimumFactor: 0.1),
        beta1: 0.9, beta2: 0.999, epsilon: 1e-8, flips: true, seed: 0,
        checkpointInterval: 250, keepCheckpoints: 2, validationInterval: 250, validationPairs: 8,
        validationCrop: 256, residentImages: 16, poolRefreshInterval: 4, baseFitPixelsPerPair: 65536)

    /// The paper's formulation: plain U-Net pair, reconstruction + alignment + mapping, L1, Adam 3e-4.
    public static let paper = TrainingConfiguration(
        preset: .paper, model: .paper,
        lossWeights: LossWeights(reconstruction: 1, alignment: 1, mapping: 1, cycle: 0), loss: .l1,
        patchSize: 64, unpairedBatchSize: 8, anchorBatchSize: 4, steps: 2000, learningRate: 3e-4,
        schedule: ScheduleConfiguration(kind: .constant), beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
        flips: true, seed: 0, checkpointInterval: 250, keepCheckpoints: 2, validationInterval: 250,
        validationPairs: 8, validationCrop: 256, residentImages: 16, poolRefreshInterval: 4,
        baseFitPixelsPerPair: 65536)

    /// The training presets share the model presets' names.
    public typealias Preset = ModelConfiguration.Preset

    /// Creates a configuration from every field.
    public init(preset: Preset, model: ModelConfiguration, lossWeights: LossWeights, loss: LossKind,
                patchSize: Int, unpairedBatchSize: Int, anchorBatchSize: Int, steps: Int, learningRate: Float,
                schedule: ScheduleConfiguration, beta1: Float, beta2: Float, epsilon: Float, flips: Bool,
                seed: UInt64, checkpointInterval: Int, keepCheckpoints: Int, validationInterval: Int,
                validationPairs: Int, validationCrop: Int, residentImages: Int, poolRefreshInterval: Int,
                baseFitPixelsPerPair: Int) {
        self.preset = preset
        self.model = model
        self.lossWeights = lossWeights
        self.loss = loss
        self.patchSize = patchSize
        self.unpairedBatchSize = unpairedBatchSize
        self.anchorBatchSize = anchorBatchSize
        self.steps = steps
        self.learningRate = learningRate
        self.schedule = schedule
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.flips = flips
        self.seed = seed
        self.checkpointInterval = checkpointInterval
        self.keepCheckpoints = keepCheckpoints
        self.validationInterval = validationInterval
        self.validationPairs = validationPairs
        self.validationCrop = validationCrop
        self.residentImages = residentImages
        self.poolRefreshInterval = poolRefreshInterval
        self.baseFitPixelsPerPair = baseFitPixelsPerPair
    }

    /// A list of problems with the values (empty when the configuration is usable).
    public func problems() -> [String] {
        var out = model.problems()
        let m = model.sizeMultiple
        if patchSize < m || patchSize % m != 0 || patchSize > 1024 {
            out.append("patchSize must be a multiple of \(m) (the model's pooling), at most 1024, got \(patchSize)")
        }
        if unpairedBatchSize < 0 || anchorBatchSize < 0 { out.append("batch sizes must not be negative") }
        let w = lossWeights
        for (name, v) in [("reconstruction", w.reconstruction), ("alignment", w.alignment), ("mapping", w.mapping),
                          ("cycle", w.cycle), ("deviation", w.deviation)]
        where !(v >= 0 && v.isFinite) {
            out.append("loss weight \(name) must be finite and not negative, got \(v)")
        }
        if (w.reconstruction > 0 || w.cycle > 0 || w.deviation > 0) && unpairedBatchSize == 0 {
            out.append("reconstruction, cycle or deviation losses need unpairedBatchSize > 0")
        }
        if (w.alignment > 0 || w.mapping > 0) && anchorBatchSize == 0 {
            out.append("alignment or mapping losses need anchorBatchSize > 0")
        }
        if w.reconstruction + w.alignment + w.mapping + w.cycle + w.deviation <= 0 { out.append("at least one loss weight must be positive") }
        if w.deviation > 0 && model.architecture != .residual { out.append("the deviation loss needs the residual architecture") }
        if model.architecture == .paper && w.alignment > 0 && model.channels.isEmpty { out.append("alignment needs encoder levels") }
        if steps < 0 { out.append("steps must not be negative, got \(steps)") }
        if steps > 0 && !model.hasLearnedMapping {
            out.append("the model has no learned part (pixelResidual false, contextWidth 0): train it with 0 steps")
        }
        if !(learningRate > 0 && learningRate.isFinite) { out.append("learningRate must be positive, got \(learningRate)") }
        if schedule.warmupSteps < 0 { out.append("warmupSteps must not be negative") }
        if !(schedule.minimumFactor >= 0 && schedule.minimumFactor <= 1) { out.append("minimumFactor must be in [0, 1]") }
        if !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) { out.append("Adam betas must be in [0, 1)") }
        if !(epsilon > 0) { out.append("Adam epsilon must be positive") }
        if checkpointInterval < 0 { out.append("checkpointInterval must not be negative") }
        if keepCheckpoints < 1 { out.append("keepCheckpoints must be at least 1") }
        if validationInterval < 0 || validationPairs < 0 { out.append("validation settings must not be negative") }
        if validationCrop < m { out.append("validationCrop must be at least \(m)") }
        if residentImages < 0 || poolRefreshInterval < 1 { out.append("residentImages >= 0 and poolRefreshInterval >= 1 needed") }
        if baseFitPixelsPerPair < 16 { out.append("baseFitPixelsPerPair must be at least 16") }
        return out
    }

    private enum CodingKeys: String, CodingKey {
        case preset, model, lossWeights, loss, patchSize, unpairedBatchSize, anchorBatchSize, steps, learningRate
        case schedule, beta1, beta2, epsilon, flips, seed, checkpointInterval, keepCheckpoints
        case validationInterval, validationPairs, validationCrop, residentImages, poolRefreshInterval, baseFitPixelsPerPair
    }

    /// Decodes a configuration; missing keys take the values of the preset named by `"preset"`.
    ///
    /// A nested `"model"` object without its own `"preset"` starts from this preset's model.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decodeIfPresent(Preset.self, forKey: .preset) ?? .default
        let base = name.trainingConfiguration
        preset = name
        if c.contains(.model) {
            model = try ModelConfiguration(decoding: c.superDecoder(forKey: .model), defaultPreset: base.model.preset)
        } else {
            model = base.model
        }
        lossWeights = try c.decodeIfPresent(PartialLossWeights.self, forKey: .lossWeights)?.filled(from: base.lossWeights) ?? base.lossWeights
        loss = try c.decodeIfPresent(LossKind.self, forKey: .loss) ?? base.loss
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? base.patchSize
        unpairedBatchSize = try c.decodeIfPresent(Int.self, forKey: .unpairedBatchSize) ?? base.unpairedBatchSize
        anchorBatchSize = try c.decodeIfPresent(Int.self, forKey: .anchorBatchSize) ?? base.anchorBatchSize
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? base.steps
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? base.learningRate
        schedule = try c.decodeIfPresent(ScheduleConfiguration.self, forKey: .schedule) ?? base.schedule
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? base.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? base.beta2
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? base.epsilon
        flips = try c.decodeIfPresent(Bool.self, forKey: .flips) ?? base.flips
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? base.seed
        checkpointInterval = try c.decodeIfPresent(Int.self, forKey: .checkpointInterval) ?? base.checkpointInterval
        keepCheckpoints = try c.decodeIfPresent(Int.self, forKey: .keepCheckpoints) ?? base.keepCheckpoints
        validationInterval = try c.decodeIfPresent(Int.self, forKey: .validationInterval) ?? base.validationInterval
        validationPairs = try c.decodeIfPresent(Int.self, forKey: .validationPairs) ?? base.validationPairs
        validationCrop = try c.decodeIfPresent(Int.self, forKey: .validationCrop) ?? base.validationCrop
        residentImages = try c.decodeIfPresent(Int.self, forKey: .residentImages) ?? base.residentImages
        poolRefreshInterval = try c.decodeIfPresent(Int.self, forKey: .poolRefreshInterval) ?? base.poolRefreshInterval
        baseFitPixelsPerPair = try c.decodeIfPresent(Int.self, forKey: .baseFitPixelsPerPair) ?? base.baseFitPixelsPerPair
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
