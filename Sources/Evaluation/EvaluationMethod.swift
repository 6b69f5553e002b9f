import Calibration
import Foundation
import Raw2RawModel
import RawIO

/// The direction of a mapping between the two cameras of an evaluation: now `MappingDirection`.
@available(*, deprecated, renamed: "MappingDirection")
public typealias EvaluationDirection = MappingDirection

/// A named way of mapping a packed image from one camera's raw space to the other's.
///
/// The evaluator calls ``predict(source:target:direction:)``, which for an ordinary method calls
/// ``map`` with the source image and the direction; the result must have the source's size. Build
/// methods from colour mappings (``mapping(name:aToB:bToA:)``), from a trained network
/// (``learned(_:cameraA:cameraB:name:tiling:)``), or from any closure.
///
/// An *oracle* (``isOracle``, made with ``init(oracleNamed:map:)``) also sees the test target: it
/// is an upper bound that cheats, not a method, and reports mark it as such (see ``OracleMethods``).
public struct EvaluationMethod {
    /// The name shown in reports (`identity`, `anchor-linear3x3`, `learned`, ...).
    public let name: String
    /// Maps a source image in the given direction.
    ///
    /// For an oracle, which needs the target, it throws
    /// ``EvaluationError/methodFailed(method:direction:pair:reason:)``; use
    /// ``predict(source:target:direction:)``.
    public let map: (PackedImage, MappingDirection) throws -> PackedImage
    /// Whether the method looks at the test target (an oracle: an upper bound, not a method).
    public let isOracle: Bool
    /// The oracle's mapping of `(source, target, direction)`; `nil` for ordinary methods.
    private let oracleMap: ((PackedImage, PackedImage, MappingDirection) throws -> PackedImage)?

    /// Creates a method from a name and a mapping closure.
    /// - Parameters:
    ///   - name: the name shown in reports; must not be empty.
    ///   - map: maps a source image in a direction; it may throw, which stops the evaluation with
    ///     ``EvaluationError/methodFailed(method:direction:pair:reason:)``.
    public init(name: String, map: @escaping (PackedImage, MappingDirection) throws -> PackedImage) {
        precondition(!name.isEmpty, "an evaluation method needs a name")
        self.name = name
        self.map = map
        self.isOracle = false
        self.oracleMap = nil
    }

    /// Creates an oracle: a method whose mapping also sees the test target.
    ///
    /// An oracle is evaluated like every other method, but its rows are flagged in reports
    /// (``EvaluationResult/oracle``) and never count as a baseline. Use it for upper bounds such
    /// as "the best global mapping fitted on this very test pair".
    /// - Parameters:
    ///   - name: the name shown in reports; must not be empty.
    ///   - map: maps a source image in a direction, given the target it should predict; it may
    ///     throw, which stops the evaluation with ``EvaluationError/methodFailed(method:direction:pair:reason:)``.
    public init(oracleNamed name: String,
                map: @escaping (_ source: PackedImage, _ target: PackedImage, _ direction: MappingDirection) throws -> PackedImage) {
        precondition(!name.isEmpty, "an evaluation method needs a name")
        self.name = name
        self.isOracle = true
        self.oracleMap = map
        self.map = { _, direction in
            throw EvaluationError.methodFailed(method: name, direction: direction, pair: "",
                                               reason: "an oracle needs the test target: call predict(source:target:direction:)")
        }
    }

    /// The method's prediction of `target` from `source`: ``map`` for an ordinary method (which
    /// ignores `target`), the oracle's mapping for an oracle.
    /// - Throws: whatever the method's closure throws.
    public func predict(source: PackedImage, target: PackedImage, direction: MappingDirection) throws -> PackedImage {
        if let oracleMap { return try oracleMap(source, target, direction) }
        return try map(source, direction)
    }

    /// Doing nothing: the source image taken as the prediction of the target.
    public static var identity: EvaluationMethod { EvaluationMethod(name: identityName) { image, _ in image } }

    /// The name of ``identity``: `identity`.
    public static let identityName = "identity"

    /// A pair of fitted colour mappings, one per direction.
    public static func mapping(name: String, aToB: ColorMapping, bToA: ColorMapping) -> EvaluationMethod {
        EvaluationMethod(name: name) { image, direction in
            (direction == .aToB ? aToB : bToA).apply(to: image)
        }
    }

    /// A trained network, mapping whole images by tiles.
    ///
    /// The evaluation's cameras are matched to the network's by name, so a network trained with
    /// the cameras the other way round still maps in the right direction.
    /// - Parameters:
    ///   - network: the trained two-camera network.
    ///   - cameraA: the evaluation's first camera; one of the network's cameras.
    ///   - cameraB: the evaluation's second camera; the network's other camera.
    ///   - name: the name shown in reports. Default `learned`.
    ///   - tiling: how whole images are cut into tiles.
    /// - Throws: ``EvaluationError/model(_:)`` when the cameras are not the network's two cameras.
    public static func learned(_ network: Raw2RawNetwork, cameraA: String, cameraB: String, name: String = "learned",
                               tiling: TilingOptions = .default) throws(EvaluationError) -> EvaluationMethod {
        let sideA: CameraSide, sideB: CameraSide
        do {
            sideA = try network.side(of: cameraA)
            sideB = try network.side(of: cameraB)
        } catch {
            throw .model(error)
        }
        guard sideA != sideB else {
            throw .model(.unknownCamera(name: cameraB, available: [network.cameraA, network.cameraB]))
        }
        return EvaluationMethod(name: name) { image, direction in
            network.map(image, direction: MappingDirection(from: direction == .aToB ? sideA : sideB), tiling: tiling)
        }
    }
}

/// The least-squares baselines of the paper's comparison, fitted on anchor pairs.
public enum BaselineMethods {
    /// The colour mapping kinds fitted on all anchor pairs, in report order.
    public static let anchorKinds: [ColorMapping.Kind] = [.linear3x3, .linear4x4, .paperPolynomial, .rootPolynomial2]

    /// The name of the single-calibration method.
    public static let singleCalibrationName = "single-calibration-3x3"

    /// The report name of an anchor baseline, e.g. `anchor-linear3x3`.
    public static func anchorName(_ kind: ColorMapping.Kind) -> String { "anchor-\(kind.rawValue)" }

    /// Fits the baselines: a single calibration (a `ColorMapping.Kind.linear3x3` fitted on the
    /// first anchor pair by name) and every kind of ``anchorKinds`` fitted on all anchor pairs, each
    /// in both directions.
    ///
    /// Anchor images are read one at a time and reduced to at most `maxPixelsPerPair` pixels by an
    /// even stride before fitting, so memory stays bounded for large images.
    /// - Parameters:
    ///   - anchors: the anchor pairs (first image: camera A).
    ///   - maxPixelsPerPair: the most pixels of each pair used for fitting. Default 262 144.
    ///   - options: least-squares options.
    /// - Returns: the single calibration, then the anchor baselines in ``anchorKinds`` order.
    /// - Throws: ``EvaluationError/dataset(_:)`` or ``EvaluationError/calibration(method:error:)``.
    public static func fit(anchors: PackedImagePairSet, maxPixelsPerPair: Int = 1 << 18,
                           options: FitOptions = FitOptions()) throws(EvaluationError) -> [EvaluationMethod] {
        let (sourcesA, sourcesB) = try loadStrided(anchors: anchors, maxPixelsPerPair: maxPixelsPerPair)
        return try fit(sourcesA: sourcesA, sourcesB: sourcesB, options: options)
    }

    /// Reads the anchor pairs one at a time, each reduced to at most `maxPixelsPerPair` pixels.
    static func loadStrided(anchors: PackedImagePairSet,
                            maxPixelsPerPair: Int) throws(EvaluationError) -> (a: [PackedImage], b: [PackedImage]) {
        precondition(maxPixelsPerPair > 0, "maxPixelsPerPair must be positive, got \(maxPixelsPerPair)")
        precondition(anchors.count > 0, "the baselines need at least one anchor pair")
        do { return try anchors.evenlySubsampled(maxPixelsPerPair: maxPixelsPerPair) } catch { throw .dataset(error) }
    }

    /// The baselines fitted on anchor pairs already read and reduced.
    static func fit(sourcesA: [PackedImage], sourcesB: [PackedImage],
                    options: FitOptions) throws(EvaluationError) -> [EvaluationMethod] {
        func fitBoth(_ kind: ColorMapping.Kind, _ a: [PackedImage], _ b: [PackedImage], name: String) throws(EvaluationError) -> EvaluationMethod {
            do {
                let ab = try ColorMapping.fit(kind, sources: a, targets: b, options: options)
                let ba = try ColorMapping.fit(kind, sources: b, targets: a, options: options)
                return .mapping(name: name, aToB: ab, bToA: ba)
            } catch {
                throw .calibration(method: name, error: error)
            }
        }
        var methods = [try fitBoth(.linear3x3, [sourcesA[0]], [sourcesB[0]], name: singleCalibrationName)]
        for kind in anchorKinds {
            methods.append(try fitBoth(kind, sourcesA, sourcesB, name: anchorName(kind)))
        }
        return methods
    }
}

extension Evaluator {
    /// The methods of the paper's comparison on a dataset: ``EvaluationMethod/identity``, the
    /// baselines of ``BaselineMethods/fit(anchors:maxPixelsPerPair:options:)``, when
    /// `modelDirectory` is given the trained network saved there (named `learned`), and with
    /// `oracles` the two oracles of ``OracleMethods/fit(anchors:kind:maxPixelsPerPair:options:saturationLevel:)``.
    ///
    /// The anchor pairs are read once for the baselines and the oracles.
    /// - Parameters:
    ///   - layout: the dataset.
    ///   - cameraA: the first camera's folder name.
    ///   - cameraB: the second camera's folder name.
    ///   - modelDirectory: a folder written by `Trainer` (holding `model.json`), or `nil`.
    ///   - tiling: how the network maps whole images.
    ///   - oracles: whether to add the oracle rows (upper bounds that use the test target) last.
    ///     Default `false`.
    /// - Throws: ``EvaluationError/dataset(_:)``, ``EvaluationError/calibration(method:error:)`` or
    ///   ``EvaluationError/model(_:)``.
    public static func standardMethods(layout: DatasetLayout, cameraA: String, cameraB: String, modelDirectory: URL? = nil,
                                       tiling: TilingOptions = .default, oracles: Bool = false) throws(EvaluationError) -> [EvaluationMethod] {
        let anchors: PackedImagePairSet
        do { anchors = try layout.anchorPairs(cameraA: cameraA, cameraB: cameraB) } catch { throw .dataset(error) }
        let (sourcesA, sourcesB) = try BaselineMethods.loadStrided(anchors: anchors, maxPixelsPerPair: 1 << 18)
        var methods = [EvaluationMethod.identity] + (try BaselineMethods.fit(sourcesA: sourcesA, sourcesB: sourcesB, options: FitOptions()))
        if let modelDirectory {
            let network: Raw2RawNetwork
            do { network = try Raw2RawNetwork(contentsOf: modelDirectory) } catch { throw .model(error) }
            methods.append(try .learned(network, cameraA: cameraA, cameraB: cameraB, tiling: tiling))
        }
        if oracles {
            methods += try OracleMethods.fit(sourcesA: sourcesA, sourcesB: sourcesB, kind: .rootPolynomial2,
                                             maxPixelsPerPair: 1 << 18, options: FitOptions(),
                                             saturationLevel: OracleMethods.defaultSaturationLevel)
        }
        return methods
    }
}
