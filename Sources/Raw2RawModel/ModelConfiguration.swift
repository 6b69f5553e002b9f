/// How the two-camera network is built.
///
/// Two architectures share the paper's structure of one encoder and one decoder per camera
/// (`E_A, D_A, E_B, D_B`, mapping A to B as `D_B(E_A(x))` with the source encoder's skip features):
///
/// - ``Architecture-swift.enum/paper``: the paper's formulation, faithfully: the decoder's output
///   *is* the mapped image (sigmoid or clamp to [0, 1]).
/// - ``Architecture-swift.enum/residual`` (the default): the mapping starts where least squares
///   ends. A global least-squares colour mapping fitted on the anchor pairs (``baseMapping``,
///   exposure-aligned with ``alignsAnchorExposure``) gives `y0`; a global-context branch (a small CNN on a thumbnail of the whole image, global
///   average pooling, an MLP) predicts a per-image 4x4 + bias correction of `y0`; the U-Net
///   decoder can add a per-pixel residual (``pixelResidual``, off by default). The learned
///   parts start small and random, never zero.
///   With ``predictsTargetExposure``, a `TargetExposure` then re-exposes each mapped image as
///   the target camera would have.
///
/// Every field has a documented default, and `ModelConfiguration()` is ``default``; decoding a
/// JSON object fills missing keys from the ``Preset-swift.enum`` named by its `"preset"` key
/// (default `"default"`).
public struct ModelConfiguration: Codable, Sendable, Equatable {
    /// A named set of values: a configuration's starting point, stored as its `"preset"` JSON key.
    ///
    /// The raw values are the names used in `model.json`, training configuration files and the
    /// command line's `--preset`.
    public enum Preset: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
        /// The residual model on a least-squares anchor fit (``ModelConfiguration/default``).
        case `default`
        /// The paper's formulation (``ModelConfiguration/paper``).
        case paper

        /// The model configuration of this preset.
        public var modelConfiguration: ModelConfiguration {
            switch self {
            case .default: return .default
            case .paper: return .paper
            }
        }

        /// The preset's name (its raw value), as written in JSON and on the command line.
        public var description: String { rawValue }

        /// The names of every preset, sorted, for messages: `default, paper`.
        public static var knownNames: String { allCases.map(\.rawValue).sorted().joined(separator: ", ") }

        /// Decodes a preset name; an unknown name is a `DecodingError` listing the known ones.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            let name = try c.decode(String.self)
            guard let preset = Preset(rawValue: name) else {
                throw DecodingError.dataCorruptedError(in: c,
                    debugDescription: "unknown preset '\(name)' (known: \(Self.knownNames))")
            }
            self = preset
        }
    }

    /// The overall formulation.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// The paper: the U-Net pair's decoder output is the image.
        case paper
        /// A least-squares base mapping plus learned per-image and per-pixel corrections.
        case residual
    }

    /// The nonlinearity after each hidden convolution.
    public enum Activation: String, Codable, Sendable, CaseIterable {
        /// `max(x, slope * x)` with ``negativeSlope``.
        case leakyReLU
        /// `max(x, 0)`.
        case relu
    }

    /// How the output is kept in [0, 1].
    public enum OutputRange: String, Codable, Sendable, CaseIterable {
        /// A logistic sigmoid on the last layer (the paper's reconstruction, differentiable everywhere).
        case sigmoid
        /// No squashing in training; values are clipped to [0, 1] when an image is mapped.
        case clamp
    }

    /// The least-squares colour mapping fitted on the anchor pairs that the residual model starts from.
    public enum BaseMapping: String, Codable, Sendable, CaseIterable {
        /// No base: identity (the learned parts do all the work).
        case identity
        /// A 4x4 matrix on the packed channels.
        case linear4x4
        /// A 4x4 matrix plus an offset.
        case affine
        /// The 16-term polynomial of the dataset's ground truth.
        case polynomial16
        /// Root-polynomial of degree 2 (Finlayson et al. 2015): exposure-invariant.
        case rootPolynomial2
        /// Root-polynomial of degree 3: exposure-invariant, more terms.
        case rootPolynomial3
        /// Per direction, whichever of linear 4x4, root-polynomial 2 and root-polynomial 3 has the
        /// lowest mean angular error on the anchor pairs in leave-one-pair-out cross-validation
        /// (root-polynomial 2 with fewer than 3 pairs).
        case crossValidated
        /// Per direction, the least-squares part chosen on held-out anchor pairs
        /// (leave-one-pair-out): root-polynomial 2, linear 4x4 and root-polynomial 3 fitted as
        /// ``ModelConfiguration/alignsAnchorExposure`` and ``ModelConfiguration/predictsTargetExposure``
        /// say, the plain least-squares fits of the anchor baselines (3x3, 4x4, the 16-term
        /// polynomial, root-polynomial 2) and the identity. The exposure-modelled fit is kept
        /// unless another family beats it on the held-out pairs by a clear margin (the first
        /// candidate with fewer than 3 pairs). See `BaseCandidate`.
        case anchorValidated
    }

    /// The preset these values started from (informational; it chooses the defaults when decoding).
    /// Default `.default`.
    public var preset: Preset
    /// The formulation. Default `.residual`; the `paper` preset uses `.paper`.
    public var architecture: Architecture
    /// Channels of each encoder level, shallowest first; the number of levels is its count.
    /// Default `[16, 32, 64]`; the `paper` preset uses `[32, 64, 128]`.
    public var channels: [Int]
    /// Convolution kernel size of the hidden layers (odd). Default 3.
    public var kernelSize: Int
    /// Hidden nonlinearity. Default `.leakyReLU`.
    public var activation: Activation
    /// Slope of ``Activation-swift.enum/leakyReLU`` for negative inputs. Default 0.2.
    public var negativeSlope: Float
    /// How the output is kept in [0, 1]. Default `.clamp` (`.sigmoid` in the `paper` preset).
    public var outputRange: OutputRange
    /// The least-squares base of the residual architecture. Default `.anchorValidated`.
    public var baseMapping: BaseMapping
    /// Width of the global-context branch (CNN channels and MLP width); 0 switches it off. Default 32.
    public var contextWidth: Int
    /// Side of the square thumbnail of the whole image the context branch sees (a multiple of 4
    /// and of ``sizeMultiple``). Default 32.
    public var thumbnailSize: Int
    /// Standard deviation of the random initial weights of the last layer of each learned
    /// correction (per-pixel residual and per-image matrix). Small, never zero: a zero last layer
    /// gets no gradient under L1 when its input is also near zero. Default 1e-3.
    public var correctionInitScale: Float
    /// Whether the base mapping is fitted with one free brightness gain per anchor pair
    /// (`ColorMapping.fitAligningExposure(_:sources:targets:weights:options:maximumIterations:)` of
    /// Calibration)
    /// and the anchor targets of the mapping loss are divided by those gains, so that neither the
    /// fit nor the learned corrections chase the exposure differences of independently exposed
    /// captures. Residual architecture only. Default `true`; `false` in the `paper` preset.
    public var alignsAnchorExposure: Bool
    /// Whether mapped images are re-exposed like the target camera's own images (a
    /// `TargetExposure` fitted per direction on the unpaired images and the anchors). Residual
    /// architecture only. Default `true`; `false` in the `paper` preset.
    public var predictsTargetExposure: Bool
    /// Whether the residual architecture adds the U-Net decoder's per-pixel residual. Default
    /// `false`: measured on two synthetic datasets with three seeds each, the residual made the
    /// angular error from A to B worse (by 0.02-0.07°), did not change PSNR and took 60 % of the
    /// training time (`Documentation/Ablation.md`). Without it the U-Net pair is not evaluated.
    public var pixelResidual: Bool

    /// The default: residual on a root-polynomial anchor fit, context branch on, a narrow U-Net.
    /// Every field has its documented default (the memberwise initialiser's defaults are these values).
    public static let `default` = ModelConfiguration(
        preset: .default, architecture: .residual, channels: [16, 32, 64], kernelSize: 3,
        activation: .leakyReLU, negativeSlope: 0.2, outputRange: .clamp, baseMapping: .anchorValidated,
        contextWidth: 32, thumbnailSize: 32, correctionInitScale: 1e-3,
        alignsAnchorExposure: true, predictsTargetExposure: true, pixelResidual: false)

    /// The paper's formulation: a plain U-Net pair, 32-64-128 channels, LeakyReLU, sigmoid output.
    public static let paper = ModelConfiguration(
        preset: .paper, architecture: .paper, channels: [32, 64, 128], kernelSize: 3,
        activation: .leakyReLU, negativeSlope: 0.2, outputRange: .sigmoid, baseMapping: .identity,
        contextWidth: 0, thumbnailSize: 32, correctionInitScale: 1e-3,
        alignsAnchorExposure: false, predictsTargetExposure: false, pixelResidual: true)

    /// Creates a configuration; every omitted field takes its value in ``default``, so
    /// `ModelConfiguration()` equals ``default``.
    public init(preset: Preset = .default, architecture: Architecture = .residual, channels: [Int] = [16, 32, 64],
                kernelSize: Int = 3, activation: Activation = .leakyReLU, negativeSlope: Float = 0.2,
                outputRange: OutputRange = .clamp, baseMapping: BaseMapping = .anchorValidated,
                contextWidth: Int = 32, thumbnailSize: Int = 32, correctionInitScale: Float = 1e-3,
                alignsAnchorExposure: Bool = true, predictsTargetExposure: Bool = true, pixelResidual: Bool = false) {
        self.preset = preset
        self.architecture = architecture
        self.channels = channels
        self.kernelSize = kernelSize
        self.activation = activation
        self.negativeSlope = negativeSlope
        self.outputRange = outputRange
        self.baseMapping = baseMapping
        self.contextWidth = contextWidth
        self.thumbnailSize = thumbnailSize
        self.correctionInitScale = correctionInitScale
        self.alignsAnchorExposure = alignsAnchorExposure
        self.predictsTargetExposure = predictsTargetExposure
        self.pixelResidual = pixelResidual
    }

    /// Whether training changes the mapping: the paper's network, or a residual model with a
    /// per-pixel residual or a context branch (without both, it is its least-squares base and
    /// exposure model only, made by a run of 0 steps).
    public var hasLearnedMapping: Bool {
        architecture == .paper || pixelResidual || contextWidth > 0
    }

    /// The number of encoder levels.
    public var levels: Int { channels.count }

    /// The factor every tile and patch side must be a multiple of (one 2x2 pooling per level below the first).
    public var sizeMultiple: Int { 1 << max(0, levels - 1) }

    /// A list of problems with the values (empty when the configuration is usable).
    public func problems() -> [String] {
        var out: [String] = []
        if channels.isEmpty || channels.count > 6 { out.append("channels must list 1 to 6 levels, got \(channels.count)") }
        if channels.contains(where: { $0 < 1 || $0 > 1024 }) { out.append("every level needs 1 to 1024 channels, got \(channels)") }
        if kernelSize < 1 || kernelSize % 2 == 0 || kernelSize > 7 { out.append("kernelSize must be odd, 1 to 7, got \(kernelSize)") }
        if !(negativeSlope >= 0 && negativeSlope < 1) { out.append("negativeSlope must be in [0, 1), got \(negativeSlope)") }
        if contextWidth < 0 || contextWidth > 1024 { out.append("contextWidth must be 0 to 1024, got \(contextWidth)") }
        if thumbnailSize < 8 || thumbnailSize > 256 || thumbnailSize % max(4, sizeMultiple) != 0 {
            out.append("thumbnailSize must be 8 to 256 and a multiple of \(max(4, sizeMultiple)), got \(thumbnailSize)")
        }
        if !(correctionInitScale > 0 && correctionInitScale < 1) {
            out.append("correctionInitScale must be in (0, 1) (never exactly zero), got \(correctionInitScale)")
        }
        if architecture == .residual && outputRange != .clamp {
            out.append("the residual architecture clamps its output: outputRange must be clamp")
        }
        if architecture == .paper && (baseMapping != .identity || contextWidth != 0) {
            out.append("the paper architecture has no base mapping and no context branch (baseMapping identity, contextWidth 0)")
        }
        if architecture == .paper && (alignsAnchorExposure || predictsTargetExposure) {
            out.append("the paper architecture has no exposure model (alignsAnchorExposure and predictsTargetExposure false)")
        }
        if architecture == .paper && !pixelResidual {
            out.append("the paper architecture's decoder output is the image: pixelResidual must be true")
        }
        if !hasLearnedMapping && baseMapping == .identity {
            out.append("a residual model without pixel residual, context branch and base mapping maps nothing")
        }
        if alignsAnchorExposure && baseMapping == .identity {
            out.append("alignsAnchorExposure needs a fitted base mapping, not identity")
        }
        return out
    }

    private enum CodingKeys: String, CodingKey {
        case preset, architecture, channels, kernelSize, activation, negativeSlope, outputRange, baseMapping
        case contextWidth, thumbnailSize, correctionInitScale, alignsAnchorExposure, predictsTargetExposure
        case pixelResidual
    }

    /// Decodes a configuration; missing keys take the values of the preset named by `"preset"`.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, defaultPreset: .default)
    }

    /// Decodes a configuration whose missing `"preset"` means `defaultPreset`.
    init(decoding decoder: any Decoder, defaultPreset: Preset) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decodeIfPresent(Preset.self, forKey: .preset) ?? defaultPreset
        let base = name.modelConfiguration
        preset = name
        architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? base.architecture
        channels = try c.decodeIfPresent([Int].self, forKey: .channels) ?? base.channels
        kernelSize = try c.decodeIfPresent(Int.self, forKey: .kernelSize) ?? base.kernelSize
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? base.activation
        negativeSlope = try c.decodeIfPresent(Float.self, forKey: .negativeSlope) ?? base.negativeSlope
        outputRange = try c.decodeIfPresent(OutputRange.self, forKey: .outputRange) ?? base.outputRange
        baseMapping = try c.decodeIfPresent(BaseMapping.self, forKey: .baseMapping) ?? base.baseMapping
        contextWidth = try c.decodeIfPresent(Int.self, forKey: .contextWidth) ?? base.contextWidth
        thumbnailSize = try c.decodeIfPresent(Int.self, forKey: .thumbnailSize) ?? base.thumbnailSize
        correctionInitScale = try c.decodeIfPresent(Float.self, forKey: .correctionInitScale) ?? base.correctionInitScale
        alignsAnchorExposure = try c.decodeIfPresent(Bool.self, forKey: .alignsAnchorExposure) ?? base.alignsAnchorExposure
        predictsTargetExposure = try c.decodeIfPresent(Bool.self, forKey: .predictsTargetExposure) ?? base.predictsTargetExposure
        pixelResidual = try c.decodeIfPresent(Bool.self, forKey: .pixelResidual) ?? base.pixelResidual
    }
}
