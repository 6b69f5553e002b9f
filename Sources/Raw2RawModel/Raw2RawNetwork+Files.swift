import Calibration
import Foundation
import RawSupport
import RawTensor

/// What a model folder's `model.json` holds: everything but the weights.
public struct ModelDescription: Codable, Sendable, Equatable {
    /// The format tag, `raw2raw.Raw2RawNetwork`.
    public var format: String
    /// The format version (1).
    public var version: Int
    /// The name of camera A.
    public var cameraA: String
    /// The name of camera B.
    public var cameraB: String
    /// The architecture and sizes.
    public var configuration: ModelConfiguration
    /// The base mapping A to B (residual architecture; `nil` for the identity).
    public var baseMappingAToB: ColorMapping?
    /// The base mapping B to A.
    public var baseMappingBToA: ColorMapping?
    /// The target-exposure model A to B (`nil`: none).
    public var exposureAToB: TargetExposure?
    /// The target-exposure model B to A (`nil`: none).
    public var exposureBToA: TargetExposure?
    /// The weights file, relative to the folder (`model.safetensors`).
    public var weightsFile: String
    /// How the weights were trained, if known.
    public var training: TrainingRecord?

    /// The format tag of `model.json`.
    public static let formatTag = "raw2raw.Raw2RawNetwork"
}

/// A summary of the run that produced a model.
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// The full training configuration.
    public var configuration: TrainingConfiguration
    /// Optimizer steps done.
    public var steps: Int
    /// The loss terms of the last step.
    public var finalLosses: LossTerms?
    /// The last validation, if one ran.
    public var validation: ValidationResult?
    /// Wall-clock seconds spent training (over all resumed parts).
    public var seconds: Double

    /// Creates a record.
    public init(configuration: TrainingConfiguration, steps: Int, finalLosses: LossTerms?, validation: ValidationResult?, seconds: Double) {
        self.configuration = configuration
        self.steps = steps
        self.finalLosses = finalLosses
        self.validation = validation
        self.seconds = seconds
    }
}

extension Raw2RawNetwork {
    /// The model description file name in a model folder.
    public static let descriptionFileName = "model.json"
    /// The weights file name in a model folder.
    public static let weightsFileName = "model.safetensors"

    /// This network's description (without training record).
    public func modelDescription(training: TrainingRecord? = nil) -> ModelDescription {
        ModelDescription(format: ModelDescription.formatTag, version: 1, cameraA: cameraA, cameraB: cameraB,
                         configuration: configuration, baseMappingAToB: baseAB.mapping, baseMappingBToA: baseBA.mapping,
                         exposureAToB: exposureAB, exposureBToA: exposureBA, weightsFile: Self.weightsFileName, training: training)
    }

    /// The weights as a safetensors archive.
    func weightArchive() -> SafeTensors {
        SafeTensors(parameterTensors(), metadata: ["format": ModelDescription.formatTag])
    }

    /// Saves the network as a model folder: `model.safetensors` (weights) and `model.json`
    /// (cameras, configuration, base mappings, training record), each written atomically, the
    /// weights first.
    /// - Throws: ``TrainingError/modelFile(path:reason:)``.
    public func save(to folder: URL, training: TrainingRecord? = nil) throws(TrainingError) {
        try AtomicFile.makeFolder(folder, error: TrainingError.init)
        let weightsURL = folder.appendingPathComponent(Self.weightsFileName)
        do { try weightArchive().write(to: weightsURL) } catch {
            throw .modelFile(path: weightsURL.path, reason: error.description)
        }
        try AtomicFile.write(Self.encodeJSON(modelDescription(training: training)),
                             to: folder.appendingPathComponent(Self.descriptionFileName), error: TrainingError.init)
    }

    /// Loads a model folder written by ``save(to:training:)``.
    /// - Throws: ``TrainingError/modelFile(path:reason:)`` naming the file that is missing, malformed
    ///   or does not match (a weight missing or of the wrong shape).
    public convenience init(contentsOf folder: URL) throws(TrainingError) {
        let description = try Self.readDescription(folder)
        try self.init(description: description, folder: folder)
    }

    /// Reads `model.json` of a model folder.
    public static func readDescription(_ folder: URL) throws(TrainingError) -> ModelDescription {
        let url = folder.appendingPathComponent(descriptionFileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .modelFile(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                             ? "cannot read the file" : "no such file (is \(folder.path) a model folder?)")
        }
        let d: ModelDescription
        do { d = try JSONDecoder().decode(ModelDescription.self, from: data) } catch {
            throw .modelFile(path: url.path, reason: "not a model description: \(Self.describe(error))")
        }
        guard d.format == ModelDescription.formatTag else {
            throw .modelFile(path: url.path, reason: "format '\(d.format)' is not \(ModelDescription.formatTag)")
        }
        guard d.version == 1 else { throw .modelFile(path: url.path, reason: "unsupported version \(d.version)") }
        let problems = d.configuration.problems()
        guard problems.isEmpty else { throw .modelFile(path: url.path, reason: problems.joined(separator: "; ")) }
        for m in [d.baseMappingAToB, d.baseMappingBToA].compactMap({ $0 }) where m.kind.usesAveragedGreens {
            throw .modelFile(path: url.path, reason: "a \(m.kind) base mapping does not work on four packed channels")
        }
        return d
    }

    /// Builds the network of a description and loads its weights from `folder`.
    convenience init(description d: ModelDescription, folder: URL) throws(TrainingError) {
        let bases = d.baseMappingAToB.flatMap { ab in d.baseMappingBToA.map { (aToB: ab, bToA: $0) } }
        self.init(configuration: d.configuration, cameraA: d.cameraA, cameraB: d.cameraB, baseMappings: bases, seed: 0)
        setBaseMappings(aToB: d.baseMappingAToB, bToA: d.baseMappingBToA)
        setTargetExposures(aToB: d.exposureAToB, bToA: d.exposureBToA)
        let weightsURL = folder.appendingPathComponent(d.weightsFile)
        try loadWeights(from: weightsURL)
    }

    /// Loads every parameter from a safetensors file (strict: all present, shapes equal, nothing extra).
    func loadWeights(from url: URL) throws(TrainingError) {
        do throws(TensorIOError) {
            let archive = try SafeTensors(contentsOf: url)
            for (name, t) in archive.tensors where !t.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
                throw TensorIOError.corrupt(path: url.path, reason: "weight \(name) holds NaN or infinite values")
            }
            try loadParameters(archive.tensors, strict: true, source: url.path)
        } catch {
            throw .modelFile(path: url.path, reason: error.description)
        }
    }

    static func encodeJSON<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(value) } catch {
            preconditionFailure("encoding \(T.self) as JSON failed: \(error)")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            return "missing key '\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx), DecodingError.dataCorrupted(let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "at '\(path)': ") + ctx.debugDescription
        default:
            return "\(error)"
        }
    }
}
