import Foundation
import RawCore

/// The default cameras of an N-camera synthetic dataset, as `raw2raw synth --cameras N` makes them.
///
/// Two cameras are the two presets with their own names (`iphonex-like`, `s9-like`), as always.
/// More cameras are named `cam1`, `cam2`, ...: camera 1 is the iPhone-X-like preset, camera 2
/// the Galaxy-S9-like one, and camera `n >= 3` (see ``camera(number:data:)``) cycles through
/// seeded sensor families, CFA phases, exposure rules and levels, so every camera differs from
/// the others in its spectral sensitivities.
public enum CameraLineup {
    /// The sensor families cameras 3, 4, ... use in turn (each seeded with the camera's number).
    public static let families: [SensorFamily] = [
        .gaussianIRCut, .phoneBroad, .perturbedNikon5100, .machineVision, .perturbedSigmaSDMerrill, .gaussianNoIRCut,
    ]
    /// The CFA phases cameras 3, 4, ... use in turn.
    public static let patterns: [CFAPattern] = [.rggb, .grbg, .gbrg, .bggr]
    /// The exposure rules cameras 3, 4, ... use in turn.
    public static let exposures: [ExposureRule] = [.percentile, .mean, .centreWeighted]

    /// The `count` default cameras (`count` in ``SyntheticDatasetConfiguration/cameraCountRange``).
    public static func cameras(count: Int, data: SpectralData) -> [CameraModel] {
        precondition(SyntheticDatasetConfiguration.cameraCountRange.contains(count),
                     "a lineup has \(SyntheticDatasetConfiguration.cameraCountRange.lowerBound) to \(SyntheticDatasetConfiguration.cameraCountRange.upperBound) cameras, got \(count)")
        if count == 2 { return [.iPhoneXLike(data), .galaxyS9Like(data)] }
        return (1...count).map { camera(number: $0, data: data) }
    }

    /// Camera `number` (1-based) of a lineup of more than two cameras, named `cam<number>`.
    ///
    /// Camera 1 is ``CameraModel/iPhoneXLike(_:)`` and camera 2 ``CameraModel/galaxyS9Like(_:)``
    /// (renamed). Camera `n >= 3`, with `m = n - 3`, starts from the iPhone-X-like preset's noise and
    /// takes the sensor `families[m % 6]@n`, the phase `patterns[m % 4]`, the exposure rule
    /// `exposures[m % 3]` (default targets) and, for even `m`, 12 bits with black 256 and white 4095,
    /// for odd `m`, 10 bits with black 64 and white 1023; its make is `raw2raw` and its model
    /// `Synthetic camera <n> (simulated)`.
    public static func camera(number: Int, data: SpectralData) -> CameraModel {
        precondition(number >= 1, "camera numbers start at 1, got \(number)")
        switch number {
        case 1:
            var c = CameraModel.iPhoneXLike(data)
            c.name = "cam1"
            return c
        case 2:
            var c = CameraModel.galaxyS9Like(data)
            c.name = "cam2"
            return c
        default:
            let m = number - 3
            let tenBit = m % 2 == 1
            let specification = CameraSpecification(
                name: "cam\(number)", sensor: SensorSpecification(family: families[m % families.count], seed: UInt64(number)),
                pattern: patterns[m % patterns.count], bitDepth: tenBit ? 10 : 12, blackLevel: tenBit ? 64 : 256,
                whiteLevel: tenBit ? 1023 : 4095, exposure: exposures[m % exposures.count])
            var c: CameraModel
            do throws(CameraSpecificationError) {
                c = try specification.camera(basedOn: .iPhoneXLike(data), data: data)
            } catch {
                preconditionFailure("the lineup's camera \(number) is inconsistent: \(error.description)")
            }
            c.make = "raw2raw"
            c.model = "Synthetic camera \(number) (simulated)"
            return c
        }
    }
}

/// A ``CameraSpecification`` for one camera of several, written `INDEX:fields` (e.g.
/// `3:name=phone,sensor=phone-broad@2`), with `INDEX` the camera's number from 1; the form
/// `raw2raw synth --camera-spec` takes.
public struct IndexedCameraSpecification: Sendable, Equatable, CustomStringConvertible {
    /// The camera's number, from 1.
    public var number: Int
    /// The changes to that camera.
    public var specification: CameraSpecification

    /// Creates an indexed specification.
    public init(number: Int, specification: CameraSpecification) {
        precondition(number >= 1, "camera numbers start at 1, got \(number)")
        self.number = number
        self.specification = specification
    }

    /// Parses `INDEX:fields`, the fields as ``CameraSpecification/init(parsing:)`` reads them.
    ///
    /// - Throws: ``CameraSpecificationError/invalidValue(field:value:reason:)`` for the field
    ///   `index` if there is no `INDEX:` or it is not a number from 1; otherwise the error of the fields.
    public init(parsing text: String) throws(CameraSpecificationError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw .invalidValue(field: "index", value: text, reason: "expected INDEX:fields, e.g. 3:name=phone,sensor=phone-broad@2")
        }
        let index = text[..<colon].trimmingCharacters(in: .whitespaces)
        guard let number = Int(index), number >= 1 else {
            throw .invalidValue(field: "index", value: index, reason: "expected the camera's number, from 1")
        }
        self.init(number: number, specification: try CameraSpecification(parsing: String(text[text.index(after: colon)...])))
    }

    /// The text form `INDEX:fields` (parsing it gives this value back).
    public var description: String { "\(number):\(specification.description)" }
}
