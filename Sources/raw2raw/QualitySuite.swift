import Evaluation
import Foundation
import Raw2RawModel
import RawSynthesis

/// One simulated camera pair of the quality suite: two camera specifications, the lights and the
/// dataset's counts.
struct QualityPair: Sendable {
    /// The pair's name (its folder names).
    let name: String
    /// What the pair stands for, in a few words.
    let summary: String
    /// Camera A: a ``CameraSpecification`` text applied to the iPhone-X-like camera.
    let cameraA: String
    /// Camera B: a ``CameraSpecification`` text applied to the Galaxy-S9-like camera.
    let cameraB: String
    /// Light names or groups the scenes are lit by.
    let illuminants: [String]
    /// The probability of a mixture of two lights.
    let mixtureProbability: Double
    /// Anchor pairs.
    let anchors: Int
    /// The dataset's seed.
    let seed: UInt64

    /// Unpaired images per camera, test pairs and the packed size: those of the demo.
    static let unpaired = 60, tests = 30, width = 128, height = 96

    /// The dataset configuration of the pair.
    func datasetConfiguration(_ data: SpectralData) throws -> SyntheticDatasetConfiguration {
        let a = try CameraSpecification(parsing: cameraA).camera(basedOn: .iPhoneXLike(data), data: data)
        let b = try CameraSpecification(parsing: cameraB).camera(basedOn: .galaxyS9Like(data), data: data)
        let lights = try data.expandIlluminantNames(illuminants)
        return SyntheticDatasetConfiguration(
            cameraA: a, cameraB: b, unpairedCount: Self.unpaired, anchorCount: anchors, testCount: Self.tests,
            scenes: SceneConfiguration(width: Self.width, height: Self.height, illuminants: lights,
                                       mixtureProbability: mixtureProbability),
            seed: seed, format: .mat)
    }

    /// The eight pairs of the suite: measured, perturbed and parametric sensors; RGGB, GRBG, GBRG
    /// and BGGR mosaics; 10, 12 and 14 bits; percentile, mean, centre-weighted and fixed
    /// exposure; daylight, blackbody, fluorescent, high-pressure and LED light; 8 anchor pairs,
    /// or 22 as in the paper's dataset.
    static let suite: [QualityPair] = [
        QualityPair(name: "measured-rggb-grbg", summary: "the demo's two measured cameras (RGGB 12-bit vs GRBG 10-bit), standard lights",
                    cameraA: "name=nikon-rggb", cameraB: "name=sigma-grbg",
                    illuminants: ["standard"], mixtureProbability: 0.35, anchors: 8, seed: 101),
        QualityPair(name: "paper-22-anchors", summary: "the same two cameras with 22 anchor pairs as in the paper's dataset, every tabulated light",
                    cameraA: "name=nikon-rggb", cameraB: "name=sigma-grbg",
                    illuminants: ["tabulated"], mixtureProbability: 0.35, anchors: 22, seed: 102),
        QualityPair(name: "alike-nikon", summary: "two alike sensors (Nikon curves and a perturbation of them), both percentile auto-exposure",
                    cameraA: "name=nikon", cameraB: "name=nikon-perturbed,sensor=perturbed-nikon5100@2,pattern=rggb,bits=12,black=512",
                    illuminants: ["standard", "daylights"], mixtureProbability: 0.3, anchors: 8, seed: 103),
        QualityPair(name: "phone-vs-phone", summary: "two broad phone-like sensors, centre-weighted vs percentile metering, LED and daylight",
                    cameraA: "name=phone1,sensor=phone-broad@1,exposure=centre-weighted",
                    cameraB: "name=phone2,sensor=phone-broad@2,exposure=percentile,percentile=0.99",
                    illuminants: ["led", "daylights"], mixtureProbability: 0.35, anchors: 8, seed: 104),
        QualityPair(name: "ircut-vs-no-ircut", summary: "Gaussian dyes with and without an IR cut, percentile vs mean metering, blackbodies and fluorescents",
                    cameraA: "name=ircut,sensor=gaussian-ircut@3,pattern=grbg",
                    cameraB: "name=no-ircut,sensor=gaussian-no-ircut@4,pattern=rggb,bits=12,black=256,exposure=mean",
                    illuminants: ["blackbodies", "fluorescent"], mixtureProbability: 0.35, anchors: 8, seed: 105),
        QualityPair(name: "machine-vision-fixed", summary: "a machine-vision sensor at a fixed exposure vs an auto-exposed phone, standard and high-pressure lights",
                    cameraA: "name=machine-vision,sensor=machine-vision@5,pattern=bggr,bits=12,black=64,exposure=fixed,target=0.12,electrons=10000,read=3",
                    cameraB: "name=phone,sensor=phone-broad@6",
                    illuminants: ["standard", "high-pressure"], mixtureProbability: 0.35, anchors: 8, seed: 106),
        QualityPair(name: "dslr-vs-machine-vision", summary: "a perturbed Sigma DSLR (14-bit, mean metering) vs a machine-vision sensor at a fixed exposure, spiky lights",
                    cameraA: "name=dslr,sensor=perturbed-sigma-sdmerrill@7,pattern=rggb,bits=14,black=512,exposure=mean,electrons=30000,read=2",
                    cameraB: "name=machine-vision,sensor=machine-vision@8,pattern=gbrg,bits=12,black=64,exposure=fixed,target=0.12,electrons=10000,read=3",
                    illuminants: ["fluorescent", "high-pressure", "led"], mixtureProbability: 0.5, anchors: 8, seed: 107),
        QualityPair(name: "sigma-vs-gaussian", summary: "a perturbed Sigma sensor (mean metering) vs Gaussian dyes (GBRG, centre-weighted), every tabulated light",
                    cameraA: "name=sigma-perturbed,sensor=perturbed-sigma-sdmerrill@9,pattern=rggb,exposure=mean",
                    cameraB: "name=gaussian,sensor=gaussian-ircut@10,pattern=gbrg,exposure=centre-weighted,jitter=0.15",
                    illuminants: ["tabulated", "daylights"], mixtureProbability: 0.5, anchors: 8, seed: 108),
    ]
}

/// The suite's variants of the default model, trained once per pair (first seed) for the ablation.
struct QualityVariant: Sendable {
    /// The method name in reports, e.g. `learned-no-correction`.
    let name: String
    /// What is switched off.
    let summary: String
    /// The variant's training configuration, from the suite's default one.
    let configure: @Sendable (inout TrainingConfiguration) -> Void

    /// The ablation: the least-squares and exposure parts alone (no training), the same without
    /// the exposure model (plain least-squares candidates only), and the previous default's
    /// choice (the base kind by angular cross-validation, always exposure-modelled).
    static let ablation: [QualityVariant] = [
        QualityVariant(name: "learned-no-correction", summary: "no learned per-image correction (no context branch, 0 training steps)") { c in
            c.optimization.steps = 0
            c.model.contextWidth = 0
        },
        QualityVariant(name: "learned-no-exposure-model", summary: "no correction, no exposure-aligned fit and no target exposure: plain fits and the identity only") { c in
            c.optimization.steps = 0
            c.model.contextWidth = 0
            c.model.alignsAnchorExposure = false
            c.model.predictsTargetExposure = false
        },
        QualityVariant(name: "learned-previous-selection", summary: "no correction, the previous default's base choice (exposure-modelled, kind by angular cross-validation)") { c in
            c.optimization.steps = 0
            c.model.contextWidth = 0
            c.model.baseMapping = .crossValidated
        },
    ]
}

/// One row of the quality table: a pair and direction.
struct QualityRow: Codable, Sendable {
    /// The pair's name.
    var pair: String
    /// `A->B` or `B->A`, with the cameras' names.
    var direction: String
    /// The baseline with the highest mean PSNR (identity, learned models and oracles excluded).
    var bestBaseline: String
    /// Its mean PSNR (dB) and mean angular error (°).
    var bestBaselinePSNR: Double
    var bestBaselineAngularError: Double?
    /// The default model's mean PSNR for each training seed, in seed order.
    var learnedPSNR: [Double]
    /// The default model's mean angular error for each seed.
    var learnedAngularError: [Double?]
    /// The worst seed's margin over the best baseline (dB).
    var worstMargin: Double
    /// The mean margin over the seeds (dB).
    var meanMargin: Double
    /// Oracle: the exposure-aligned anchor fit with the best per-image gain (uses the test targets).
    var oracleExposurePSNR: Double?
    /// Oracle: a 4x4 fitted on each test pair itself (uses the test targets).
    var oraclePerImagePSNR: Double?
    /// The ablation variants' mean PSNR, by variant name.
    var variants: [String: Double]
}
