import Calibration
import Foundation
import RawIO
import RawTensor

/// One of the two cameras of a ``Raw2RawNetwork``.
public enum CameraSide: String, Codable, Sendable, CaseIterable {
    /// The first camera (`A`).
    case a
    /// The second camera (`B`).
    case b

    /// The other camera.
    public var other: CameraSide { self == .a ? .b : .a }
}

/// The two-camera raw-to-raw network: one U-Net encoder and decoder per camera
/// (`E_A, D_A, E_B, D_B`) and, for the residual architecture, a least-squares base mapping and a
/// global-context branch per direction.
///
/// Mapping A to B is `D_B(E_A(x))` with the source encoder's skip features (the paper), or
/// `y0 + M y0 + b + D_B(E_A(x))` with `y0 = base_AB(x)` and `(M, b)` predicted from a thumbnail
/// of the whole source image (the residual architecture; see ``ModelConfiguration``).
///
/// Parameters are named by path (`encoderA.levels.0.conv1.weight`, ...). Use
/// ``map(_:from:tiling:)`` to map whole images of any size, ``save(to:)`` and
/// ``init(contentsOf:)`` to store a trained network as a model folder.
public final class Raw2RawNetwork: Module {
    /// The architecture and sizes.
    public let configuration: ModelConfiguration
    /// The name of camera A (as in the dataset's folders).
    public let cameraA: String
    /// The name of camera B.
    public let cameraB: String

    let encoderA: UNetEncoder
    let decoderA: UNetDecoder
    let encoderB: UNetEncoder
    let decoderB: UNetDecoder
    let contextAB: ContextBranch?
    let contextBA: ContextBranch?
    /// The base mappings A to B and B to A (identity for the paper architecture).
    private(set) var baseAB: BaseMapping
    private(set) var baseBA: BaseMapping

    /// Creates a network with random initial weights drawn from `seed`.
    ///
    /// - Parameters:
    ///   - baseMappings: the least-squares mappings A to B and B to A the residual architecture
    ///     starts from (`nil`: identity; fitted by ``Trainer`` on the anchor pairs).
    public init(configuration c: ModelConfiguration, cameraA: String, cameraB: String,
                baseMappings: (aToB: ColorMapping, bToA: ColorMapping)? = nil, seed: UInt64) {
        precondition(c.problems().isEmpty, "invalid model configuration: \(c.problems().joined(separator: "; "))")
        configuration = c
        self.cameraA = cameraA
        self.cameraB = cameraB
        var g = RandomGenerator(seed: seed ^ 0x5241_5732_5241_5721)
        let paper = c.architecture == .paper
        let hidden: Initializer = paper ? .pytorchDefault : .heNormal(negativeSlope: c.hiddenActivation.negativeSlope)
        let bias: Initializer = paper ? .pytorchDefault : .constant(0)
        let out: Initializer = paper ? .pytorchDefault : .normal(standardDeviation: c.correctionInitScale)
        encoderA = UNetEncoder(configuration: c, initializer: hidden, biasInitializer: bias, generator: &g)
        decoderA = UNetDecoder(configuration: c, initializer: hidden, biasInitializer: bias, outputInitializer: out, generator: &g)
        encoderB = UNetEncoder(configuration: c, initializer: hidden, biasInitializer: bias, generator: &g)
        decoderB = UNetDecoder(configuration: c, initializer: hidden, biasInitializer: bias, outputInitializer: out, generator: &g)
        if c.architecture == .residual && c.contextWidth > 0 {
            contextAB = ContextBranch(width: c.contextWidth, activation: c.hiddenActivation, initScale: c.correctionInitScale, generator: &g)
            contextBA = ContextBranch(width: c.contextWidth, activation: c.hiddenActivation, initScale: c.correctionInitScale, generator: &g)
        } else {
            contextAB = nil
            contextBA = nil
        }
        baseAB = BaseMapping(baseMappings?.aToB)
        baseBA = BaseMapping(baseMappings?.bToA)
    }

    /// The least-squares base mapping from `camera` to the other one (`nil` for the identity).
    public func baseMapping(from camera: CameraSide) -> ColorMapping? {
        camera == .a ? baseAB.mapping : baseBA.mapping
    }

    /// Replaces the base mappings (the residual architecture's starting point).
    public func setBaseMappings(aToB: ColorMapping?, bToA: ColorMapping?) {
        baseAB = BaseMapping(aToB)
        baseBA = BaseMapping(bToA)
    }

    /// The camera side of a camera name.
    public func side(of camera: String) throws(TrainingError) -> CameraSide {
        if camera == cameraA { return .a }
        if camera == cameraB { return .b }
        throw .unknownCamera(name: camera, available: [cameraA, cameraB])
    }

    func encoder(_ camera: CameraSide) -> UNetEncoder { camera == .a ? encoderA : encoderB }
    func decoder(_ camera: CameraSide) -> UNetDecoder { camera == .a ? decoderA : decoderB }
    func context(from camera: CameraSide) -> ContextBranch? { camera == .a ? contextAB : contextBA }
    func base(from camera: CameraSide) -> BaseMapping { camera == .a ? baseAB : baseBA }

    /// The encoder features of `x` (`[N, 4, H, W]`) in `camera`'s encoder, shallowest first.
    func encode(_ x: Variable, camera: CameraSide) -> [Variable] {
        encoder(camera)(x)
    }

    /// Applies the output range of the paper architecture (sigmoid), or nothing.
    private func outputActivation(_ y: Variable) -> Variable {
        configuration.outputRange == .sigmoid ? sigmoid(y) : y
    }

    /// The per-image correction `[N, 20]` of the base mapping from `source`, or `nil` without a context branch.
    func correction(thumbnails: Variable, from source: CameraSide) -> Variable? {
        context(from: source).map { $0(thumbnails) }
    }

    /// Maps `x` from `source` to the other camera given precomputed source `features`.
    ///
    /// - Parameter correction: the `[N, 20]` output of the context branch (residual architecture).
    func map(_ x: Variable, features: [Variable], correction: Variable?, from source: CameraSide) -> Variable {
        let target = source.other
        let decoded = decoder(target)(features)
        switch configuration.architecture {
        case .paper:
            return outputActivation(decoded)
        case .residual:
            var y = base(from: source)(x)
            if let correction { y = Self.applyCorrection(correction, to: y) }
            return y + decoded
        }
    }

    /// Maps `x` from `source` to the other camera; `thumbnails` are those of the images `x` was cut from.
    func map(_ x: Variable, thumbnails: Variable?, from source: CameraSide) -> Variable {
        let features = encode(x, camera: source)
        let corr = thumbnails.flatMap { correction(thumbnails: $0, from: source) }
        return map(x, features: features, correction: corr, from: source)
    }

    /// Reconstructs `x` in its own camera: `D(E(x))` (paper) or `x + D(E(x))` (residual).
    func reconstruct(_ x: Variable, features: [Variable], camera: CameraSide) -> Variable {
        let decoded = decoder(camera)(features)
        switch configuration.architecture {
        case .paper: return outputActivation(decoded)
        case .residual: return x + decoded
        }
    }

    /// `y + M y + b` per image, for `[N, 20]` corrections (16 matrix entries row-major, then 4 offsets).
    static func applyCorrection(_ correction: Variable, to y: Variable) -> Variable {
        let n = y.shape[0]
        let parts = split(correction, sizes: Array(repeating: 1, count: 20), axis: 1).map { $0.reshaped([n, 1, 1, 1]) }
        let channels = split(y, sizes: [1, 1, 1, 1], axis: 1)
        var outputs: [Variable] = []
        for c in 0..<4 {
            var o = channels[c] + parts[16 + c]
            for k in 0..<4 { o = o + parts[c * 4 + k] * channels[k] }
            outputs.append(o)
        }
        return concatenate(outputs, axis: 1)
    }
}
