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

    /// The base mappings of both directions (stored as ``baseMappingAToB`` and ``baseMappingBToA``).
    public var baseMappings: DirectionPair<ColorMapping?> {
        get { DirectionPair(aToB: baseMappingAToB, bToA: baseMappingBToA) }
        set {
            baseMappingAToB = newValue.aToB
            baseMappingBToA = newValue.bToA
        }
    }

    /// The target-exposure models of both directions (stored as ``exposureAToB`` and ``exposureBToA``).
    public var targetExposures: DirectionPair<TargetExposure?> {
        get { DirectionPair(aToB: exposureAToB, bToA: exposureBToA) }
        set {
            exposureAToB = newValue.aToB
            exposureBToA = newValue.bToA
        }
    }
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
    /// The checksum list in a model folder: the SHA-256 of `model.json` and `model.safetensors`,
    /// in the text format of `sha256sum` (`sha256sum -c checksums.sha256` checks them too).
    public static let checksumsFileName = ChecksumList.fileName

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

    /// Saves the network as a model folder: `model.safetensors` (weights), `model.json`
    /// (cameras, configuration, base mappings, training record) and `checksums.sha256` (the
    /// SHA-256 of the other two, in `sha256sum` format), each written atomically, in that order.
    ///
    /// The checksum list is written last, so an interrupted save never leaves a folder that
    /// loads with a mix of old and new files: the previous list no longer matches them.
    /// - Throws: ``ModelError/weights(_:)`` or ``ModelError/modelFile(path:reason:)`` naming the file.
    public func save(to folder: URL, training: TrainingRecord? = nil) throws(ModelError) {
        try AtomicFile.makeFolder(folder, error: ModelError.init)
        let weights = weightArchive().encoded()
        let description = Self.encodeJSON(modelDescription(training: training))
        try AtomicFile.write(weights, to: folder.appendingPathComponent(Self.weightsFileName),
                             error: { ModelError.weights(.writeFailed(path: $0.path, reason: $0.reason)) })
        try AtomicFile.write(description, to: folder.appendingPathComponent(Self.descriptionFileName), error: ModelError.init)
        let checksums = ChecksumList(files: [(Self.descriptionFileName, description), (Self.weightsFileName, weights)])
        try AtomicFile.write(checksums.encoded(), to: folder.appendingPathComponent(Self.checksumsFileName), error: ModelError.init)
    }

    /// Loads a model folder written by ``save(to:training:)``, verifying each file against the
    /// checksum recorded when it was saved (``integrity`` tells whether it could be).
    ///
    /// A folder saved before raw2raw recorded checksums (no `checksums.sha256`) still loads,
    /// with ``integrity`` ``ModelIntegrity/unverified(folder:)``: show its
    /// ``ModelIntegrity/warning``.
    /// - Throws: ``ModelError/checksumMismatch(path:expected:found:)`` naming a damaged
    ///   `model.json` or `model.safetensors`, ``ModelError/checksumList(path:reason:)`` when
    ///   `checksums.sha256` is damaged, ``ModelError/modelFile(path:reason:)`` when `model.json`
    ///   is missing or malformed, ``ModelError/weights(_:)`` when the weights file is unreadable
    ///   or does not match (a weight missing or of the wrong shape),
    ///   ``ModelError/nonFiniteWeight(path:parameter:)`` when a stored weight is NaN or infinite;
    ///   each names the file.
    public convenience init(contentsOf folder: URL) throws(ModelError) {
        let checksums = try ChecksumList.read(in: folder)
        let description = try Self.readDescription(folder, checksums: checksums)
        try checksums?.requireExactly([Self.descriptionFileName, description.weightsFile], in: folder)
        try self.init(description: description, folder: folder, checksums: checksums)
        integrity = checksums == nil ? .unverified(folder: folder.path) : .verified
    }

    /// Reads `model.json` of a model folder, verifying it against `checksums.sha256` when the
    /// folder has one (the weights are not read).
    /// - Throws: ``ModelError/checksumMismatch(path:expected:found:)`` or
    ///   ``ModelError/checksumList(path:reason:)`` when `model.json` or the checksum list is
    ///   damaged, ``ModelError/modelFile(path:reason:)`` naming `model.json` and what is wrong
    ///   with it.
    public static func readDescription(_ folder: URL) throws(ModelError) -> ModelDescription {
        try readDescription(folder, checksums: ChecksumList.read(in: folder))
    }

    /// Whether `folder` records checksums (holds `checksums.sha256`): `false` for a model folder
    /// saved before raw2raw recorded them, which loads as ``ModelIntegrity/unverified(folder:)``.
    public static func recordsChecksums(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(checksumsFileName).path)
    }

    /// Reads `model.json`, checked against `checksums` if given.
    static func readDescription(_ folder: URL, checksums: ChecksumList?) throws(ModelError) -> ModelDescription {
        let url = folder.appendingPathComponent(descriptionFileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .modelFile(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                             ? "cannot read the file" : "no such file (is \(folder.path) a model folder?)")
        }
        try checksums?.verify(data, name: descriptionFileName, in: folder)
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
        guard !d.weightsFile.isEmpty, !d.weightsFile.contains("/"), d.weightsFile != ChecksumList.fileName else {
            throw .modelFile(path: url.path, reason: "weightsFile '\(d.weightsFile)' is not a file name in the model folder")
        }
        return d
    }

    /// Builds the network of a description and loads its weights from `folder`, verified against `checksums` if given.
    convenience init(description d: ModelDescription, folder: URL, checksums: ChecksumList?) throws(ModelError) {
        self.init(configuration: d.configuration, cameraA: d.cameraA, cameraB: d.cameraB, seed: 0)
        baseMappings = d.baseMappings
        targetExposures = d.targetExposures
        let url = folder.appendingPathComponent(d.weightsFile)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .weights(FileManager.default.fileExists(atPath: url.path)
                           ? .unreadable(path: url.path, reason: "\(error)") : .fileNotFound(path: url.path))
        }
        try checksums?.verify(data, name: d.weightsFile, in: folder)
        let archive: SafeTensors
        do { archive = try SafeTensors(data: data, path: url.path) } catch { throw .weights(error) }
        try loadWeights(archive, source: url)
    }

    /// Loads every parameter from a safetensors archive read from `url` (strict: all present,
    /// shapes equal, nothing extra; every value finite).
    func loadWeights(_ archive: SafeTensors, source url: URL) throws(ModelError) {
        for (name, t) in archive.tensors.sorted(by: { $0.key < $1.key })
        where !t.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
            throw .nonFiniteWeight(path: url.path, parameter: name)
        }
        do { try loadParameters(archive.tensors, strict: true, source: url.path) } catch { throw .weights(error) }
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
