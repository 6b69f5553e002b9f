import Calibration
import Foundation
import RawIO
import RawTensor

/// The two-camera raw-to-raw network: one U-Net encoder and decoder per camera
/// (`E_A, D_A, E_B, D_B`) and, for the residual architecture, a least-squares base mapping and a
/// global-context branch per direction.
///
/// Mapping A to B is `D_B(E_A(x))` with the source encoder's skip features (the paper), or
/// `y0 + M y0 + b (+ D_B(E_A(x)) with ModelConfiguration/pixelResidual)` with `y0 = base_AB(x)`
/// and `(M, b)` predicted from a thumbnail of the whole source image (the residual architecture;
/// see ``ModelConfiguration``), then re-exposed by a `TargetExposure` when the model has one.
///
/// Parameters are named by path (`encoderA.levels.0.conv1.weight`, ...). Use
/// ``map(_:direction:tiling:)`` to map whole images of any size, ``save(to:training:)`` and
/// ``init(contentsOf:)`` to store a trained network as a model folder.
///
/// - Important: A network is **not** `Sendable`, and must be used from one thread (or task) at a
///   time. It is a reference type holding mutable state: its parameters are `Variable`s whose
///   values and gradients training and ``loadParameters(_:strict:source:)``
///   change in place, and ``baseMappings`` and ``targetExposures`` can be replaced. Mapping
///   (``map(_:direction:tiling:)``) only reads them, but nothing would stop another thread from
///   changing them meanwhile. To map from several threads, load one network per thread with
///   ``init(contentsOf:)``.
public final class Raw2RawNetwork: Module {
    /// The architecture and sizes.
    public let configuration: ModelConfiguration
    /// The name of camera A (as in the dataset's folders).
    public let cameraA: String
    /// The name of camera B.
    public let cameraB: String
    /// Whether the model folder this network was loaded from was verified against its recorded
    /// checksums (``ModelIntegrity/notLoaded`` for a network created in memory).
    public internal(set) var integrity: ModelIntegrity = .notLoaded

    let encoderA: UNetEncoder
    let decoderA: UNetDecoder
    let encoderB: UNetEncoder
    let decoderB: UNetDecoder
    let contextAB: ContextBranch?
    let contextBA: ContextBranch?
    /// The base mappings A to B and B to A (identity for the paper architecture).
    var baseAB: BaseMapping
    var baseBA: BaseMapping
    /// The target-exposure models A to B and B to A (`nil`: the source's exposure is kept).
    var exposureAB: TargetExposure?
    var exposureBA: TargetExposure?

    /// Creates a network with random initial weights drawn from `seed`.
    ///
    /// - Parameters:
    ///   - c: the architecture and sizes; a configuration with problems
    ///     (``ModelConfiguration/problems()``) is a programming error (precondition).
    ///   - cameraA: the name of camera A, as in the dataset's folders.
    ///   - cameraB: the name of camera B.
    ///   - baseMappings: the least-squares mappings A to B and B to A the residual architecture
    ///     starts from (`nil`: identity; fitted by ``Trainer`` on the anchor pairs).
    ///   - seed: the seed of the initial weights; the same seed gives the same network.
    public init(configuration c: ModelConfiguration, cameraA: String, cameraB: String,
                baseMappings: DirectionPair<ColorMapping>? = nil, seed: UInt64) {
        precondition(c.problems().isEmpty, "invalid model configuration: \(c.problems().joined(separator: "; "))")
        configuration = c
        self.cameraA = cameraA
        self.cameraB = cameraB
        var g = SeededGenerator(seed: seed ^ 0x5241_5732_5241_5721)
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

    /// The least-squares base mappings of the residual architecture (`nil`: the identity).
    public var baseMappings: DirectionPair<ColorMapping?> {
        get { DirectionPair(aToB: baseAB.mapping, bToA: baseBA.mapping) }
        set {
            baseAB = BaseMapping(newValue.aToB)
            baseBA = BaseMapping(newValue.bToA)
        }
    }

    /// The target-exposure models applied after mapping (`nil`: mapped images keep the source's exposure).
    public var targetExposures: DirectionPair<TargetExposure?> {
        get { DirectionPair(aToB: exposureAB, bToA: exposureBA) }
        set {
            exposureAB = newValue.aToB
            exposureBA = newValue.bToA
        }
    }

    /// The side of a camera name: the one place a camera name is resolved.
    /// - Throws: ``ModelError/unknownCamera(name:available:)`` when `camera` is neither ``cameraA`` nor ``cameraB``.
    public func side(of camera: String) throws(ModelError) -> CameraSide {
        if camera == cameraA { return .a }
        if camera == cameraB { return .b }
        throw .unknownCamera(name: camera, available: [cameraA, cameraB])
    }

    /// The name of the camera on `side` (``cameraA`` or ``cameraB``).
    public func name(of side: CameraSide) -> String {
        side == .a ? cameraA : cameraB
    }

    func encoder(_ camera: CameraSide) -> UNetEncoder { camera == .a ? encoderA : encoderB }
    func decoder(_ camera: CameraSide) -> UNetDecoder { camera == .a ? decoderA : decoderB }
    func context(from camera: CameraSide) -> ContextBranch? { camera == .a ? contextAB : contextBA }
    func base(from camera: CameraSide) -> BaseMapping { camera == .a ? baseAB : baseBA }

    /// The encoder features of `x` (`[N, 4, H, W]`) in `camera`'s encoder, shallowest first.
    func encode(_ x: Variable, camera: CameraSide) -> [Variable] {
        encoder(camera)(x)
    }

    /// Whether mapping decodes encoder features: the paper's network, or a residual model with
    /// its per-pixel residual (``ModelConfiguration/pixelResidual``).
    var decodesFeatures: Bool { configuration.architecture == .paper || configuration.pixelResidual }

    /// The encoder features a mapping of `x` needs: none when it does not decode them.
    func mappingFeatures(_ x: Variable, camera: CameraSide) -> [Variable] {
        decodesFeatures ? encode(x, camera: camera) : []
    }

    /// Sets the bias of `camera`'s decoder's last layer so that a zero input to it gives `mean`
    /// per channel: the logit of `mean` (clamped to [0.01, 0.99]) under the sigmoid output range,
    /// `mean` itself under clamping (``OptimizationConfiguration/outputBiasPrior``).
    func setOutputPrior(_ mean: SIMD4<Double>, camera: CameraSide) {
        guard let bias = decoder(camera).output.bias else { return }
        let values = (0..<4).map { c -> Float in
            let m = min(0.99, max(0.01, mean[c]))
            return Float(configuration.outputRange == .sigmoid ? log(m / (1 - m)) : m)
        }
        bias.assign(Tensor(shape: [4], values: values))
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
        switch configuration.architecture {
        case .paper:
            return outputActivation(decoder(target)(features))
        case .residual:
            var y = base(from: source)(x)
            if let correction { y = Self.applyCorrection(correction, to: y) }
            return configuration.pixelResidual ? y + decoder(target)(features) : y
        }
    }

    /// Maps `x` from `source` to the other camera; `thumbnails` are those of the images `x` was cut from.
    func map(_ x: Variable, thumbnails: Variable?, from source: CameraSide) -> Variable {
        let features = mappingFeatures(x, camera: source)
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

    /// `y + M y + b` per image, for `[N, 20]` corrections (16 matrix entries row-major, then 4
    /// offsets) and `[N, 4, H, W]` images; differentiable in both.
    static func applyCorrection(_ correction: Variable, to y: Variable) -> Variable {
        let m = correction.value, x = y.value
        let n = x.shape[0], plane = x.shape[2] * x.shape[3]
        precondition(m.shape == [n, 20] && x.rank == 4 && x.shape[1] == 4,
                     "a correction [N, 20] applies to [N, 4, H, W], got \(m.shape) and \(x.shape)")
        let coefficients = m.scalars
        var out = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xb in
            for b in 0..<n {
                let c0 = b * 20, base = b * 4 * plane
                for c in 0..<4 {
                    let row = SIMD4(coefficients[c0 + c * 4], coefficients[c0 + c * 4 + 1],
                                    coefficients[c0 + c * 4 + 2], coefficients[c0 + c * 4 + 3])
                    let offset = coefficients[c0 + 16 + c]
                    for i in 0..<plane {
                        let p = SIMD4(xb[base + i], xb[base + plane + i], xb[base + 2 * plane + i], xb[base + 3 * plane + i])
                        out[base + c * plane + i] = p[c] + offset + (row * p).sum()
                    }
                }
            }
        }
        let needsM = correction.requiresGradient, needsY = y.requiresGradient
        return Variable.differentiable(Tensor(shape: x.shape, values: out), inputs: [correction, y]) { g in
            let gs = g.scalars, xs = x.scalars
            var dm = [Float](repeating: 0, count: n * 20), dy = [Float](repeating: 0, count: needsY ? x.count : 0)
            for b in 0..<n {
                let c0 = b * 20, base = b * 4 * plane
                var sums = [Double](repeating: 0, count: 20)
                for i in 0..<plane {
                    let gp = SIMD4(gs[base + i], gs[base + plane + i], gs[base + 2 * plane + i], gs[base + 3 * plane + i])
                    let xp = SIMD4(xs[base + i], xs[base + plane + i], xs[base + 2 * plane + i], xs[base + 3 * plane + i])
                    if needsM {
                        for c in 0..<4 {
                            for k in 0..<4 { sums[c * 4 + k] += Double(gp[c] * xp[k]) }
                            sums[16 + c] += Double(gp[c])
                        }
                    }
                    if needsY {
                        // dy_k = g_k + sum_c M[c, k] g_c
                        for k in 0..<4 {
                            var v = gp[k]
                            for c in 0..<4 { v += coefficients[c0 + c * 4 + k] * gp[c] }
                            dy[base + k * plane + i] = v
                        }
                    }
                }
                for j in 0..<20 { dm[c0 + j] = Float(sums[j]) }
            }
            return [needsM ? Tensor(shape: [n, 20], values: dm) : nil, needsY ? Tensor(shape: x.shape, values: dy) : nil]
        }
    }
}

/// A network holds mutable parameters and gradients (see ``Raw2RawNetwork``): it is not `Sendable`.
@available(*, unavailable, message: "a Raw2RawNetwork holds mutable tensors; load one per thread")
extension Raw2RawNetwork: @unchecked Sendable {}
