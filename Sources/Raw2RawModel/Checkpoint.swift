import Calibration
import Foundation
import RawSupport
import RawTensor

/// The JSON part of a checkpoint (`state.json`): everything but the weights and optimizer moments.
struct CheckpointState: Codable, Sendable {
    static let formatTag = "raw2raw.Checkpoint"

    var format: String
    var version: Int
    /// Optimizer steps done when the checkpoint was written.
    var step: Int
    var configuration: TrainingConfiguration
    var data: DataFingerprint
    var baseMappingAToB: ColorMapping?
    var baseMappingBToA: ColorMapping?
    /// Per anchor pair, its target's exposure gain A to B and B to A (``ModelConfiguration/alignsAnchorExposure``).
    var anchorGainsAToB: [Double]?
    var anchorGainsBToA: [Double]?
    /// The target-exposure models (``ModelConfiguration/predictsTargetExposure``).
    var exposureAToB: TargetExposure?
    var exposureBToA: TargetExposure?
    var sampler: SamplerState
    var losses: LossTerms?
    var validation: ValidationResult?
    /// Wall-clock training seconds up to this step.
    var seconds: Double
}

/// A checkpoint folder on disk, `checkpoints/step-00000250/`:
/// `state.json`, `weights.safetensors`, `optimizer.safetensors` and `checksums.sha256` (the
/// SHA-256 of the other three, written last; see ``ChecksumList``). Reading verifies each file;
/// a checkpoint written before checksums were recorded is read unverified.
///
/// A checkpoint is written into a hidden temporary folder in `checkpoints/` and renamed into
/// place when all three files are complete, so a folder named `step-*` is always whole: a kill
/// while writing leaves only a `.tmp-*` folder, which the next write or resume removes.
enum CheckpointStore {
    static let folderName = "checkpoints"
    static let stateFile = "state.json"
    static let weightsFile = "weights.safetensors"
    static let optimizerFile = "optimizer.safetensors"
    /// The files a checkpoint's checksum list covers.
    static let checkedFiles: Set<String> = [stateFile, weightsFile, optimizerFile]

    static func folder(in modelDirectory: URL) -> URL { modelDirectory.appendingPathComponent(folderName, isDirectory: true) }

    static func name(step: Int) -> String { String(format: "step-%08d", step) }

    /// The complete checkpoints of a model folder, newest first.
    static func list(in modelDirectory: URL) -> [(step: Int, url: URL)] {
        let dir = folder(in: modelDirectory)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return entries.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let s = Int(name.dropFirst(5)), s >= 0 else { return nil }
            return (s, dir.appendingPathComponent(name, isDirectory: true))
        }.sorted { $0.0 > $1.0 }
    }

    /// Removes temporary folders left by interrupted writes.
    static func removeLeftovers(in modelDirectory: URL) {
        let dir = folder(in: modelDirectory)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for name in entries where name.hasPrefix(".tmp-") || name.hasPrefix(".old-") {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
        }
    }

    /// Writes a checkpoint atomically and keeps only the newest `keep`; returns its folder.
    ///
    /// `fault`, for tests, is called after each file is written with its name and may throw to
    /// simulate a crash at that point.
    static func write(state: CheckpointState, weights: SafeTensors, optimizer: SafeTensors, in modelDirectory: URL,
                      keep: Int, fault: ((String) throws(TrainingError) -> Void)? = nil) throws(TrainingError) -> URL {
        let dir = folder(in: modelDirectory)
        try AtomicFile.makeFolder(dir, error: TrainingError.init)
        removeLeftovers(in: modelDirectory)
        let final = dir.appendingPathComponent(name(step: state.step), isDirectory: true)
        let temporary = dir.appendingPathComponent(".tmp-\(name(step: state.step))-\(UUID().uuidString)", isDirectory: true)
        try AtomicFile.makeFolder(temporary, error: TrainingError.init)
        let weightBytes = weights.encoded(), optimizerBytes = optimizer.encoded(), stateBytes = Raw2RawNetwork.encodeJSON(state)
        try AtomicFile.write(weightBytes, to: temporary.appendingPathComponent(weightsFile), error: { e in
            TrainingError.checkpoint(path: temporary.path, reason: "writing the weights failed: \(e.path): \(e.reason)")
        })
        try fault?(weightsFile)
        try AtomicFile.write(optimizerBytes, to: temporary.appendingPathComponent(optimizerFile), error: { e in
            TrainingError.checkpoint(path: temporary.path, reason: "writing the optimizer state failed: \(e.path): \(e.reason)")
        })
        try fault?(optimizerFile)
        try AtomicFile.write(stateBytes, to: temporary.appendingPathComponent(stateFile), error: TrainingError.init)
        try fault?(stateFile)
        let checksums = ChecksumList(files: [(stateFile, stateBytes), (weightsFile, weightBytes), (optimizerFile, optimizerBytes)])
        try AtomicFile.write(checksums.encoded(), to: temporary.appendingPathComponent(ChecksumList.fileName), error: TrainingError.init)
        try fault?(ChecksumList.fileName)
        if FileManager.default.fileExists(atPath: final.path) {
            // Replacing a checkpoint of the same step: move the old one aside first.
            let old = dir.appendingPathComponent(".old-\(name(step: state.step))-\(UUID().uuidString)")
            try AtomicFile.rename(final, to: old, error: TrainingError.init)
            try AtomicFile.rename(temporary, to: final, error: TrainingError.init)
            try? FileManager.default.removeItem(at: old)
        } else {
            try AtomicFile.rename(temporary, to: final, error: TrainingError.init)
        }
        for stale in list(in: modelDirectory).dropFirst(max(1, keep)) {
            try? FileManager.default.removeItem(at: stale.url)
        }
        return final
    }


    /// A checkpoint read from disk, each file checked against its checksum list.
    struct Contents {
        var state: CheckpointState
        var weights: SafeTensors
        var optimizer: SafeTensors
        /// Whether the checkpoint had a checksum list (`false`: written by an older raw2raw, read unverified).
        var verified: Bool
    }

    /// Reads a checkpoint's files, verifying each against the checkpoint's `checksums.sha256`
    /// when it has one.
    /// - Throws: ``TrainingError/model(_:)`` with ``ModelError/checksumMismatch(path:expected:found:)``
    ///   or ``ModelError/checksumList(path:reason:)`` naming a damaged file, or
    ///   ``TrainingError/checkpoint(path:reason:)`` naming a missing or malformed one.
    static func read(_ url: URL) throws(TrainingError) -> Contents {
        let checksums: ChecksumList?
        do {
            checksums = try ChecksumList.read(in: url)
            try checksums?.requireExactly(checkedFiles, in: url)
        } catch { throw .model(error) }
        func bytes(_ name: String) throws(TrainingError) -> Data {
            let file = url.appendingPathComponent(name)
            let data: Data
            do { data = try Data(contentsOf: file) } catch {
                throw .checkpoint(path: file.path, reason: FileManager.default.fileExists(atPath: file.path) ? "cannot read the file" : "the file is missing")
            }
            do { try checksums?.verify(data, name: name, in: url) } catch { throw .model(error) }
            return data
        }
        let stateURL = url.appendingPathComponent(stateFile)
        let data = try bytes(stateFile)
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: data) } catch {
            throw .checkpoint(path: stateURL.path, reason: "not a checkpoint state: \(Raw2RawNetwork.describe(error))")
        }
        guard state.format == CheckpointState.formatTag, state.version == 1 else {
            throw .checkpoint(path: stateURL.path, reason: "format \(state.format) version \(state.version) is not \(CheckpointState.formatTag) 1")
        }
        let weightBytes = try bytes(weightsFile), optimizerBytes = try bytes(optimizerFile)
        let weights: SafeTensors, optimizer: SafeTensors
        do {
            weights = try SafeTensors(data: weightBytes, path: url.appendingPathComponent(weightsFile).path)
            optimizer = try SafeTensors(data: optimizerBytes, path: url.appendingPathComponent(optimizerFile).path)
        } catch {
            throw .checkpoint(path: error.path, reason: error.description)
        }
        return Contents(state: state, weights: weights, optimizer: optimizer, verified: checksums != nil)
    }
}
